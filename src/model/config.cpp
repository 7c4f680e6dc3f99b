// Transformer configs from JSON: Hugging Face config.json (per model_type) and TransformerLens
// configs, into one TransformerConfig.
#include "coact/model/config.h"

#include <cmath>
#include <numbers>

#include "coact/core/errors.h"
#include "coact/core/json_value.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

// GELU names both libraries use. gelu_new, gelu_fast and gelu_pytorch_tanh are one function
// written three ways (the tanh approximation); gelu is the exact erf form.
backend::GeluKind parse_gelu(const JsonValue& value) {
  const std::string& name = value.as_string();
  if (name == "gelu") return backend::GeluKind::Erf;
  if (name == "gelu_new" || name == "gelu_fast" || name == "gelu_pytorch_tanh") return backend::GeluKind::Tanh;
  value.fail(str("activation \"", name, "\" is not supported (gelu, gelu_new, gelu_fast or gelu_pytorch_tanh)"));
}

// The activation of a gated MLP's gate.
backend::Activation parse_gate_activation(const JsonValue& value) {
  const std::string& name = value.as_string();
  if (name == "silu" || name == "swish") return backend::Activation::Silu;
  if (name == "gelu") return backend::Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_fast" || name == "gelu_pytorch_tanh") return backend::Activation::GeluTanh;
  value.fail(str("activation \"", name, "\" is not supported for a gated MLP (silu, gelu, gelu_pytorch_tanh)"));
}

// A key that, when present, must hold `expected` for this forward pass to be the model's.
void require_bool(const JsonValue& json, std::string_view key, bool expected, std::string_view meaning) {
  const JsonValue* value = json.find(key);
  if (value && !value->is_null() && value->as_bool() != expected)
    value->fail(str("is ", value->as_bool() ? "true" : "false", ": ", meaning, " is not supported"));
}

std::optional<std::int32_t> token_id(const JsonValue& json, std::string_view key, std::int64_t vocab) {
  const JsonValue* value = json.find(key);
  if (!value || !value->is_integer()) return std::nullopt;  // absent, null, or a list (several ids)
  const std::int64_t id = value->as_int();
  if (id < 0 || id >= vocab) return std::nullopt;
  return static_cast<std::int32_t>(id);
}

// rope_theta and rope_scaling (or, in newer files, rope_parameters holding both).
void parse_rope(const JsonValue& json, TransformerConfig& c, std::string_view base_key, double default_base) {
  c.positions = Positions::Rotary;
  c.rotary.base = json.get_double(base_key, default_base);
  const JsonValue* scaling = json.find("rope_scaling");
  if (const JsonValue* parameters = json.find("rope_parameters"); parameters && parameters->is_object()) {
    c.rotary.base = parameters->get_double("rope_theta", c.rotary.base);
    scaling = parameters;
  }
  if (!scaling || scaling->is_null()) return;
  if (!scaling->is_object()) scaling->fail("expected an object or null");
  const JsonValue* type = scaling->find("rope_type");
  if (!type || type->is_null()) type = scaling->find("type");
  const std::string name = type && !type->is_null() ? type->as_string() : "default";
  if (name == "default") return;
  if (name == "linear") {
    c.rotary.scaling = "linear";
    c.rotary.factor = scaling->get_double("factor");
  } else if (name == "llama3") {
    c.rotary.scaling = "llama3";
    c.rotary.factor = scaling->get_double("factor");
    c.rotary.low_freq_factor = scaling->get_double("low_freq_factor");
    c.rotary.high_freq_factor = scaling->get_double("high_freq_factor");
    c.rotary.original_context = scaling->get_int("original_max_position_embeddings");
  } else {
    type->fail(str("rope scaling \"", name, "\" is not supported (default, linear or llama3)"));
  }
  COACT_REQUIRE(c.rotary.factor > 0 && c.rotary.high_freq_factor > c.rotary.low_freq_factor &&
                    c.rotary.original_context > 0,
                InputError, scaling->where(), ": rope scaling parameters out of range");
}

// The sliding window of each layer: `layer_types` when the file lists them, else `rule`.
template <class Rule>
void set_windows(const JsonValue& json, TransformerConfig& c, std::int64_t window, const Rule& rule) {
  if (window <= 0) return;
  c.sliding_window.assign(static_cast<std::size_t>(c.n_layers), 0);
  const JsonValue* types = json.find("layer_types");
  if (types && types->is_array()) {
    COACT_REQUIRE(static_cast<std::int64_t>(types->size()) == c.n_layers, InputError, types->where(), ": ",
                  types->size(), " layer types for ", c.n_layers, " layers");
    for (std::int64_t l = 0; l < c.n_layers; ++l) {
      const JsonValue& type = types->at(static_cast<std::size_t>(l));
      const std::string& name = type.as_string();
      if (name == "sliding_attention") c.sliding_window[static_cast<std::size_t>(l)] = window;
      else if (name != "full_attention") type.fail(str("\"", name, "\" is not supported (full_attention or sliding_attention)"));
    }
    return;
  }
  for (std::int64_t l = 0; l < c.n_layers; ++l)
    if (rule(l)) c.sliding_window[static_cast<std::size_t>(l)] = window;
}

// The sizes every Hugging Face family spells alike.
void parse_hf_sizes(const JsonValue& json, TransformerConfig& c) {
  c.d_model = json.get_int("hidden_size");
  c.n_layers = json.get_int("num_hidden_layers");
  c.n_heads = json.get_int("num_attention_heads");
  c.n_kv_heads = json.get_int("num_key_value_heads", c.n_heads);
  COACT_REQUIRE(c.n_heads > 0, InputError, json.where(), ": num_attention_heads must be positive");
  const bool explicit_head = json.contains("head_dim") && !json.at("head_dim").is_null();
  if (!explicit_head)
    COACT_REQUIRE(c.d_model % c.n_heads == 0, InputError, json.where(), ": hidden_size ", c.d_model,
                  " is not a multiple of num_attention_heads ", c.n_heads);
  c.d_head = explicit_head ? json.get_int("head_dim") : c.d_model / c.n_heads;
  COACT_REQUIRE(c.n_kv_heads > 0 && c.n_heads % c.n_kv_heads == 0, InputError, json.where(),
                ": num_attention_heads ", c.n_heads, " is not a multiple of num_key_value_heads ", c.n_kv_heads);
  c.d_mlp = json.get_int("intermediate_size");
  c.d_vocab = json.get_int("vocab_size");
  c.d_vocab_out = c.d_vocab;
  c.n_ctx = json.get_int("max_position_embeddings");
  c.attention_scale = 1.0 / std::sqrt(static_cast<double>(c.d_head));
  c.bos_id = token_id(json, "bos_token_id", c.d_vocab);
}

TransformerConfig parse_gpt2(const JsonValue& json) {
  TransformerConfig config;
  config.family = "gpt2";
  config.d_model = json.get_int("n_embd");
  config.n_layers = json.get_int("n_layer");
  config.n_heads = json.get_int("n_head");
  COACT_REQUIRE(config.n_heads > 0 && config.d_model % config.n_heads == 0, InputError, json.where(),
                ": n_embd ", config.d_model, " is not a multiple of n_head ", config.n_heads);
  config.d_head = config.d_model / config.n_heads;
  config.d_mlp = json.get_int("n_inner", 4 * config.d_model);
  config.d_vocab = json.get_int("vocab_size");
  config.d_vocab_out = config.d_vocab;
  config.n_ctx = json.contains("n_positions") ? json.get_int("n_positions") : json.get_int("n_ctx");
  // GPT2Config's default activation is gelu_new.
  config.activation = json.contains("activation_function") ? parse_gelu(json.at("activation_function"))
                                                           : backend::GeluKind::Tanh;
  config.layer_norm_eps = json.get_double("layer_norm_epsilon", 1e-5);
  config.attention_scale = json.get_bool("scale_attn_weights", true) ? 1.0 / std::sqrt(static_cast<double>(config.d_head)) : 1.0;
  require_bool(json, "scale_attn_by_inverse_layer_idx", false, "scaling attention by the inverse layer index");
  require_bool(json, "add_cross_attention", false, "cross-attention");
  config.bos_id = token_id(json, "bos_token_id", config.d_vocab);
  return config;
}

// Llama, Mistral, Qwen2 (and the Llama-shaped SmolLM): one family with options.
TransformerConfig parse_llama(const JsonValue& json, const std::string& type) {
  TransformerConfig c;
  c.family = "llama";
  parse_hf_sizes(json, c);
  c.normalization = Normalization::RmsNorm;
  c.layer_norm_eps = json.get_double("rms_norm_eps", 1e-6);
  c.gated_mlp = true;
  c.gate_activation = json.contains("hidden_act") ? parse_gate_activation(json.at("hidden_act")) : backend::Activation::Silu;
  parse_rope(json, c, "rope_theta", 10000.0);
  c.rotary.dim = c.d_head;
  if (const JsonValue* partial = json.find("partial_rotary_factor"); partial && !partial->is_null())
    c.rotary.dim = static_cast<std::int64_t>(static_cast<double>(c.d_head) * partial->as_double());
  c.qkv_bias = c.out_bias = json.get_bool("attention_bias", false);
  c.mlp_bias = c.mlp_out_bias = json.get_bool("mlp_bias", false);
  c.tie_embeddings = json.get_bool("tie_word_embeddings", false);
  if (type == "qwen2") c.qkv_bias = true;  // Qwen2's q/k/v projections always have biases
  if (type == "mistral") {
    set_windows(json, c, json.get_int("sliding_window", 0), [](std::int64_t) { return true; });
  } else if (type == "qwen2") {
    if (json.get_bool("use_sliding_window", false)) {
      const std::int64_t first = json.get_int("max_window_layers", 0);
      set_windows(json, c, json.get_int("sliding_window", 0), [&](std::int64_t l) { return l >= first; });
    }
  }
  return c;
}

TransformerConfig parse_gpt_neox(const JsonValue& json) {
  TransformerConfig c;
  c.family = "gpt_neox";
  parse_hf_sizes(json, c);
  COACT_REQUIRE(c.n_kv_heads == c.n_heads, InputError, json.where(), ": GPT-NeoX has no grouped-query attention");
  c.layer_norm_eps = json.get_double("layer_norm_eps", 1e-5);
  c.activation = json.contains("hidden_act") ? parse_gelu(json.at("hidden_act")) : backend::GeluKind::Erf;
  c.parallel_residual = json.get_bool("use_parallel_residual", true);
  parse_rope(json, c, json.contains("rotary_emb_base") ? "rotary_emb_base" : "rope_theta", 10000.0);
  double fraction = json.get_double("rotary_pct", 0.25);
  if (const JsonValue* partial = json.find("partial_rotary_factor"); partial && !partial->is_null())
    fraction = partial->as_double();
  c.rotary.dim = static_cast<std::int64_t>(static_cast<double>(c.d_head) * fraction);
  c.qkv_bias = c.out_bias = json.get_bool("attention_bias", true);
  c.tie_embeddings = json.get_bool("tie_word_embeddings", false);
  return c;
}

TransformerConfig parse_gemma(const JsonValue& json, bool gemma2) {
  TransformerConfig c;
  c.family = gemma2 ? "gemma2" : "gemma";
  parse_hf_sizes(json, c);
  c.normalization = Normalization::RmsNorm;
  c.layer_norm_eps = json.get_double("rms_norm_eps", 1e-6);
  c.gated_mlp = true;
  // Hugging Face's Gemma MLP reads hidden_activation when it is set, hidden_act otherwise.
  const JsonValue* act = json.find("hidden_activation");
  if (!act || act->is_null()) act = json.find("hidden_act");
  c.gate_activation = act && !act->is_null() ? parse_gate_activation(*act) : backend::Activation::GeluTanh;
  parse_rope(json, c, "rope_theta", 10000.0);
  c.rotary.dim = c.d_head;
  c.embedding_scale = std::sqrt(static_cast<double>(c.d_model));
  c.qkv_bias = c.out_bias = json.get_bool("attention_bias", false);
  c.mlp_bias = c.mlp_out_bias = false;
  c.tie_embeddings = json.get_bool("tie_word_embeddings", true);
  if (gemma2) {
    c.post_block_norms = true;
    c.attention_scale = 1.0 / std::sqrt(json.get_double("query_pre_attn_scalar", static_cast<double>(c.d_head)));
    c.attention_softcap = json.get_double("attn_logit_softcapping", 0.0);
    c.final_logit_softcap = json.get_double("final_logit_softcapping", 0.0);
    // Even layers attend locally, odd layers globally.
    set_windows(json, c, json.get_int("sliding_window", 0), [](std::int64_t l) { return l % 2 == 0; });
  }
  return c;
}

TransformerConfig parse_bert(const JsonValue& json) {
  TransformerConfig c;
  c.family = "bert";
  parse_hf_sizes(json, c);
  COACT_REQUIRE(c.n_kv_heads == c.n_heads, InputError, json.where(), ": BERT has no grouped-query attention");
  c.layer_norm_eps = json.get_double("layer_norm_eps", 1e-12);
  c.activation = json.contains("hidden_act") ? parse_gelu(json.at("hidden_act")) : backend::GeluKind::Erf;
  c.post_ln = true;
  c.causal = false;
  c.d_vocab_out = 0;
  c.token_types = json.get_int("type_vocab_size", 2);
  const std::string positions = json.get_string("position_embedding_type", "absolute");
  if (positions != "absolute")
    json.at("position_embedding_type").fail(str("\"", positions, "\" is not supported (absolute)"));
  require_bool(json, "is_decoder", false, "a BERT decoder");
  require_bool(json, "add_cross_attention", false, "cross-attention");
  c.pad_id = token_id(json, "pad_token_id", c.d_vocab);
  return c;
}

// The Hugging Face model_type, else the first of `architectures` ("LlamaForCausalLM" → llama).
std::string hf_model_type(const JsonValue& json) {
  if (const JsonValue* type = json.find("model_type"); type && !type->is_null()) return type->as_string();
  if (const JsonValue* architectures = json.find("architectures"); architectures && architectures->is_array() &&
                                                                     architectures->size() > 0) {
    const std::string& name = architectures->at(0).as_string();
    const std::pair<const char*, const char*> prefixes[] = {
        {"GPT2", "gpt2"}, {"Llama", "llama"}, {"Mistral", "mistral"}, {"Qwen2", "qwen2"}, {"GPTNeoX", "gpt_neox"},
        {"Gemma2", "gemma2"}, {"Gemma", "gemma"}, {"Bert", "bert"}};
    for (const auto& [prefix, type] : prefixes)
      if (name.rfind(prefix, 0) == 0) return type;
    architectures->at(0).fail(str("architecture \"", name, "\" is not supported (families: ", supported_families(), ")"));
  }
  return json.contains("n_embd") ? "gpt2" : "";
}

TransformerConfig parse_huggingface(const JsonValue& json) {
  const std::string type = hf_model_type(json);
  TransformerConfig c;
  if (type == "gpt2") c = parse_gpt2(json);
  else if (type == "llama" || type == "mistral" || type == "qwen2") c = parse_llama(json, type);
  else if (type == "gpt_neox") c = parse_gpt_neox(json);
  else if (type == "gemma" || type == "gemma2") c = parse_gemma(json, type == "gemma2");
  else if (type == "bert") c = parse_bert(json);
  else json.at("model_type").fail(str("\"", type, "\" is not supported (families: ", supported_families(), ")"));
  c.format = "huggingface";
  c.model_type = type;
  c.name = json.get_string("_name_or_path", "");
  require_bool(json, "is_encoder_decoder", false, "an encoder-decoder model");
  return c;
}

TransformerConfig parse_transformerlens(const JsonValue& json) {
  TransformerConfig c;
  c.format = "transformerlens";
  c.name = json.get_string("model_name", "");
  c.d_model = json.get_int("d_model");
  c.n_layers = json.get_int("n_layers");
  c.n_heads = json.get_int("n_heads");
  c.d_head = json.contains("d_head") ? json.get_int("d_head") : (c.n_heads > 0 ? c.d_model / c.n_heads : 0);
  c.d_vocab = json.get_int("d_vocab");
  c.d_vocab_out = json.get_int("d_vocab_out", -1);
  if (c.d_vocab_out == -1) c.d_vocab_out = c.d_vocab;
  c.n_ctx = json.get_int("n_ctx");
  require_bool(json, "attn_only", false, "an attention-only model (no MLP)");
  require_bool(json, "use_local_attn", false, "local attention (GPT-Neo)");
  require_bool(json, "rotary_adjacent_pairs", false, "rotary embedding of adjacent pairs (GPT-J layout)");
  require_bool(json, "use_NTK_by_parts_rope", false, "NTK-by-parts rotary scaling");
  require_bool(json, "use_qk_norm", false, "query/key normalisation");
  c.parallel_residual = json.get_bool("parallel_attn_mlp", false);
  c.gated_mlp = json.get_bool("gated_mlp", false);
  c.d_mlp = json.get_int("d_mlp", 4 * c.d_model);
  if (c.gated_mlp) c.gate_activation = parse_gate_activation(json.at("act_fn"));
  else c.activation = parse_gelu(json.at("act_fn"));
  const JsonValue& normalization = json.at("normalization_type");
  const std::string norm = normalization.is_null() ? "null" : normalization.as_string();
  if (norm == "LN") c.normalization = Normalization::LayerNorm;
  else if (norm == "LNPre") c.normalization = Normalization::LayerNormPre;
  else if (norm == "RMS") c.normalization = Normalization::RmsNorm;
  else normalization.fail(str("\"", norm, "\" is not supported (LN, LNPre or RMS)"));
  require_bool(json, "final_rms", norm == "RMS", "a final norm of another kind than the blocks'");
  const std::string positions = json.get_string("positional_embedding_type", "standard");
  if (positions == "rotary") {
    c.positions = Positions::Rotary;
    c.rotary.base = json.get_double("rotary_base", 10000.0);
    c.rotary.dim = json.get_int("rotary_dim", c.d_head);
  } else if (positions != "standard") {
    json.at("positional_embedding_type").fail(str("\"", positions, "\" is not supported (standard or rotary)"));
  }
  if (const JsonValue* heads = json.find("n_key_value_heads"); heads && !heads->is_null()) {
    c.n_kv_heads = heads->as_int();
    COACT_REQUIRE(c.n_kv_heads > 0 && c.n_heads % c.n_kv_heads == 0, InputError, heads->where(), ": n_heads ",
                  c.n_heads, " is not a multiple of ", c.n_kv_heads);
  }
  c.layer_norm_eps = json.get_double("eps", 1e-5);
  // HookedTransformerConfig divides scores by attn_scale (√d_head unless set), or by nothing
  // when use_attn_scale is false.
  double divisor = json.get_double("attn_scale", -1.0);
  if (divisor <= 0.0) divisor = std::sqrt(static_cast<double>(c.d_head));
  c.attention_scale = json.get_bool("use_attn_scale", true) ? 1.0 / divisor : 1.0;
  c.attention_softcap = json.get_double("attn_scores_soft_cap", -1.0);
  if (c.attention_softcap < 0) c.attention_softcap = 0.0;
  c.final_logit_softcap = json.get_double("output_logits_soft_cap", -1.0);
  if (c.final_logit_softcap < 0) c.final_logit_softcap = 0.0;
  c.post_block_norms = json.get_bool("use_normalization_before_and_after", false);
  c.family = c.gated_mlp || c.positions == Positions::Rotary ? "llama" : "gpt2";
  c.mlp_bias = !c.gated_mlp;  // TransformerLens's gated b_in is checked to be zero when read
  c.model_type = "transformerlens";
  return c;
}

}  // namespace

const char* supported_families() { return "gpt2, llama (mistral, qwen2), gpt_neox, gemma, gemma2, bert"; }

const char* to_string(Normalization normalization) {
  switch (normalization) {
    case Normalization::LayerNorm: return "LN";
    case Normalization::LayerNormPre: return "LNPre";
    case Normalization::RmsNorm: return "RMS";
  }
  return "?";
}

std::vector<float> rotary_inverse_frequencies(const RotaryConfig& r) {
  // As transformers computes them, in float32: base ** (arange(0, dim, 2) / dim), inverted.
  const std::int64_t half = r.dim / 2;
  std::vector<float> inv(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i) {
    const float exponent = static_cast<float>(2 * i) / static_cast<float>(r.dim);
    inv[static_cast<std::size_t>(i)] = 1.0f / std::pow(static_cast<float>(r.base), exponent);
  }
  if (r.scaling == "linear") {
    for (float& f : inv) f = f / static_cast<float>(r.factor);
  } else if (r.scaling == "llama3") {
    const auto factor = static_cast<float>(r.factor), low = static_cast<float>(r.low_freq_factor),
               high = static_cast<float>(r.high_freq_factor), old = static_cast<float>(r.original_context);
    const float low_wavelen = old / low, high_wavelen = old / high;
    for (float& f : inv) {
      const float wavelen = 2.0f * std::numbers::pi_v<float> / f;
      if (wavelen > low_wavelen) {
        f = f / factor;  // low frequencies: interpolated
      } else if (wavelen >= high_wavelen) {
        const float smooth = (old / wavelen - low) / (high - low);
        f = (1.0f - smooth) * f / factor + smooth * f;  // between: a blend
      }  // high frequencies: unchanged
    }
  }
  return inv;
}

void TransformerConfig::validate(const std::string& where) const {
  auto positive = [&](const char* key, std::int64_t value, std::int64_t limit) {
    COACT_REQUIRE(value > 0 && value <= limit, InputError, where, ": ", key, " must be in [1, ", with_commas(limit),
                  "] (found ", value, ")");
  };
  constexpr std::int64_t kWidthLimit = std::int64_t{1} << 20;
  positive("n_layers", n_layers, 4096);
  positive("d_model", d_model, kWidthLimit);
  positive("n_heads", n_heads, 4096);
  positive("d_head", d_head, kWidthLimit);
  positive("d_mlp", d_mlp, kWidthLimit);
  positive("d_vocab", d_vocab, INT32_MAX);
  if (!encoder()) positive("d_vocab_out", d_vocab_out, INT32_MAX);
  positive("n_ctx", n_ctx, std::int64_t{1} << 24);
  COACT_REQUIRE(kv_heads() > 0 && n_heads % kv_heads() == 0, InputError, where, ": n_heads ", n_heads,
                " is not a multiple of the key/value heads ", kv_heads());
  COACT_REQUIRE(d_qkv() <= 3 * kWidthLimit, InputError, where, ": n_heads × d_head = ", d_attn(), " is too wide");
  COACT_REQUIRE(std::isfinite(layer_norm_eps) && layer_norm_eps >= 0, InputError, where,
                ": the layer norm epsilon must be finite and >= 0 (found ", layer_norm_eps, ")");
  COACT_REQUIRE(std::isfinite(attention_scale) && attention_scale > 0, InputError, where,
                ": the attention scale must be finite and positive (found ", attention_scale, ")");
  if (positions == Positions::Rotary) {
    COACT_REQUIRE(rotary.dim >= 2 && rotary.dim <= d_head && rotary.dim % 2 == 0, InputError, where,
                  ": the rotary dimension must be even and in [2, d_head ", d_head, "] (found ", rotary.dim, ")");
    COACT_REQUIRE(std::isfinite(rotary.base) && rotary.base > 1.0, InputError, where,
                  ": the rotary base must be > 1 (found ", rotary.base, ")");
  }
  COACT_REQUIRE(sliding_window.empty() || static_cast<std::int64_t>(sliding_window.size()) == n_layers, InputError,
                where, ": ", sliding_window.size(), " sliding windows for ", n_layers, " layers");
  for (double cap : {attention_softcap, final_logit_softcap, embedding_scale})
    COACT_REQUIRE(std::isfinite(cap) && cap >= 0, InputError, where, ": soft caps and scales must be finite and >= 0");
  COACT_REQUIRE(!post_ln || normalization == Normalization::LayerNorm, InputError, where,
                ": post-LN blocks need LayerNorm");
}

std::string TransformerConfig::summary() const {
  std::string text = str(n_layers, n_layers == 1 ? " layer" : " layers", ", d_model ", d_model, ", ", n_heads,
                         " heads × ", d_head);
  if (kv_heads() != n_heads) text += str(" (", kv_heads(), " kv)");
  text += str(", d_mlp ", d_mlp, ", vocab ", with_commas(d_vocab), ", context ", with_commas(n_ctx), ", ",
              family.empty() ? "gpt2" : family, ": ", to_string(normalization));
  if (positions == Positions::Rotary) text += str(", rotary ", rotary.dim, rotary.scaling.empty() ? "" : " " + rotary.scaling);
  if (gated_mlp) {
    const char* names[] = {"silu", "gelu (tanh)", "gelu (erf)"};
    text += str(", gated ", names[static_cast<int>(gate_activation)]);
  } else {
    text += activation == backend::GeluKind::Erf ? ", gelu (erf)" : ", gelu (tanh)";
  }
  if (parallel_residual) text += ", parallel residual";
  if (!causal) text += ", bidirectional";
  return text;
}

TransformerConfig parse_transformer_config(const JsonValue& json) {
  if (!json.is_object()) json.fail("expected a JSON object (a model config)");
  TransformerConfig config;
  if (json.contains("d_model") && json.contains("n_layers")) config = parse_transformerlens(json);
  else if (json.contains("model_type") || json.contains("architectures") || json.contains("n_embd"))
    config = parse_huggingface(json);
  else
    json.fail(str("neither a Hugging Face config (model_type, architectures or n_embd) nor a TransformerLens ",
                  "config (d_model); coact supports ", supported_families()));
  if (config.model_type.empty()) config.model_type = config.family;
  config.validate(json.context());
  return config;
}

TransformerConfig read_transformer_config(const std::string& path) {
  return parse_transformer_config(parse_json_file(path));
}

}  // namespace coact::model
