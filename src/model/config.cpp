// Transformer configs from JSON: Hugging Face GPT-2 config.json and TransformerLens configs.
#include "coact/model/config.h"

#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/json_value.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

// GELU names both libraries use. gelu_new, gelu_fast and gelu_pytorch_tanh are one function
// written three ways (the tanh approximation); gelu is the exact erf form.
backend::GeluKind parse_activation(const JsonValue& value) {
  const std::string& name = value.as_string();
  if (name == "gelu") return backend::GeluKind::Erf;
  if (name == "gelu_new" || name == "gelu_fast" || name == "gelu_pytorch_tanh") return backend::GeluKind::Tanh;
  value.fail(str("activation \"", name, "\" is not supported (gelu, gelu_new, gelu_fast or gelu_pytorch_tanh)"));
}

// A key that, when present, must hold `expected` for this forward pass to be the model's.
void require_bool(const JsonValue& json, std::string_view key, bool expected, std::string_view meaning) {
  const JsonValue* value = json.find(key);
  if (value && !value->is_null() && value->as_bool() != expected)
    value->fail(str("is ", value->as_bool() ? "true" : "false", ": ", meaning, " is not supported"));
}

TransformerConfig parse_huggingface(const JsonValue& json) {
  TransformerConfig config;
  config.format = "huggingface";
  if (const JsonValue* type = json.find("model_type"); type && type->as_string() != "gpt2")
    type->fail(str("\"", type->as_string(), "\" is not a GPT-2 model (model_type \"gpt2\")"));
  config.name = json.get_string("_name_or_path", "");
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
  config.activation = json.contains("activation_function") ? parse_activation(json.at("activation_function"))
                                                           : backend::GeluKind::Tanh;
  config.layer_norm_eps = json.get_double("layer_norm_epsilon", 1e-5);
  config.attention_scale = json.get_bool("scale_attn_weights", true) ? 1.0 / std::sqrt(static_cast<double>(config.d_head)) : 1.0;
  require_bool(json, "scale_attn_by_inverse_layer_idx", false, "scaling attention by the inverse layer index");
  require_bool(json, "add_cross_attention", false, "cross-attention");
  if (const JsonValue* bos = json.find("bos_token_id"); bos && bos->is_integer()) {
    const std::int64_t id = bos->as_int();
    if (id >= 0 && id < config.d_vocab) config.bos_id = static_cast<std::int32_t>(id);
  }
  return config;
}

TransformerConfig parse_transformerlens(const JsonValue& json) {
  TransformerConfig config;
  config.format = "transformerlens";
  config.name = json.get_string("model_name", "");
  config.d_model = json.get_int("d_model");
  config.n_layers = json.get_int("n_layers");
  config.n_heads = json.get_int("n_heads");
  config.d_head = json.contains("d_head") ? json.get_int("d_head") : (config.n_heads > 0 ? config.d_model / config.n_heads : 0);
  config.d_vocab = json.get_int("d_vocab");
  config.d_vocab_out = json.get_int("d_vocab_out", -1);
  if (config.d_vocab_out == -1) config.d_vocab_out = config.d_vocab;
  config.n_ctx = json.get_int("n_ctx");
  require_bool(json, "attn_only", false, "an attention-only model (no MLP)");
  require_bool(json, "parallel_attn_mlp", false, "parallel attention and MLP");
  require_bool(json, "gated_mlp", false, "a gated MLP");
  require_bool(json, "use_local_attn", false, "local attention");
  require_bool(json, "final_rms", false, "a final RMSNorm");
  config.d_mlp = json.get_int("d_mlp", 4 * config.d_model);
  config.activation = parse_activation(json.at("act_fn"));
  const JsonValue& normalization = json.at("normalization_type");
  const std::string norm = normalization.is_null() ? "null" : normalization.as_string();
  if (norm == "LN") config.normalization = Normalization::LayerNorm;
  else if (norm == "LNPre") config.normalization = Normalization::LayerNormPre;
  else normalization.fail(str("\"", norm, "\" is not supported (LN or LNPre)"));
  const std::string positions = json.get_string("positional_embedding_type", "standard");
  if (positions != "standard")
    json.at("positional_embedding_type").fail(str("\"", positions, "\" is not supported (standard: learned positions)"));
  if (const JsonValue* heads = json.find("n_key_value_heads"); heads && !heads->is_null() && heads->as_int() != config.n_heads)
    heads->fail("grouped-query attention is not supported");
  config.layer_norm_eps = json.get_double("eps", 1e-5);
  // HookedTransformerConfig divides scores by attn_scale (√d_head unless set), or by nothing
  // when use_attn_scale is false.
  double divisor = json.get_double("attn_scale", -1.0);
  if (divisor <= 0.0) divisor = std::sqrt(static_cast<double>(config.d_head));
  config.attention_scale = json.get_bool("use_attn_scale", true) ? 1.0 / divisor : 1.0;
  return config;
}

}  // namespace

const char* to_string(Normalization normalization) {
  return normalization == Normalization::LayerNorm ? "LN" : "LNPre";
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
  positive("d_vocab_out", d_vocab_out, INT32_MAX);
  positive("n_ctx", n_ctx, kWidthLimit);
  COACT_REQUIRE(d_attn() <= kWidthLimit, InputError, where, ": n_heads × d_head = ", d_attn(), " is too wide");
  COACT_REQUIRE(std::isfinite(layer_norm_eps) && layer_norm_eps >= 0, InputError, where,
                ": the layer norm epsilon must be finite and >= 0 (found ", layer_norm_eps, ")");
  COACT_REQUIRE(std::isfinite(attention_scale) && attention_scale > 0, InputError, where,
                ": the attention scale must be finite and positive (found ", attention_scale, ")");
}

std::string TransformerConfig::summary() const {
  return str(n_layers, n_layers == 1 ? " layer" : " layers", ", d_model ", d_model, ", ", n_heads, " heads × ", d_head,
             ", d_mlp ", d_mlp, ", vocab ", with_commas(d_vocab), ", context ", with_commas(n_ctx), ", ",
             activation == backend::GeluKind::Erf ? "gelu (erf)" : "gelu (tanh)", ", ", to_string(normalization));
}

TransformerConfig parse_transformer_config(const JsonValue& json) {
  if (!json.is_object()) json.fail("expected a JSON object (a model config)");
  TransformerConfig config;
  if (json.contains("n_embd")) config = parse_huggingface(json);
  else if (json.contains("d_model")) config = parse_transformerlens(json);
  else json.fail("neither a Hugging Face GPT-2 config (n_embd) nor a TransformerLens config (d_model)");
  config.validate(json.context());
  return config;
}

TransformerConfig read_transformer_config(const std::string& path) {
  return parse_transformer_config(parse_json_file(path));
}

}  // namespace coact::model
