// Reading every family's parameters, under Hugging Face, TransformerLens or GGUF names, into one
// layout.
#include "coact/model/weights.h"

#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/tensors.h"

namespace coact::model {
namespace {

using io::Shape;

// The loaders' reads, with the layout changes they share.
class Reader {
 public:
  explicit Reader(const WeightSource& source) : source_(source) {}
  const WeightSource& source() const { return source_; }
  bool has(const std::string& name) const { return source_.find(name) != nullptr; }

  std::vector<float> tensor(const std::string& name, const Shape& shape) const { return source_.read(name, shape); }
  // Only when `present`: an empty vector otherwise.
  std::vector<float> tensor_if(bool present, const std::string& name, const Shape& shape) const {
    return present ? tensor(name, shape) : std::vector<float>{};
  }
  // An nn.Linear weight [out, in], returned as [in, out] (x·W).
  std::vector<float> linear(const std::string& name, std::int64_t out, std::int64_t in) const {
    return transpose(tensor(name, {out, in}), out, in);
  }
  // A norm weight stored as w for (1 + w)·x̂ (Gemma): returned as 1 + w.
  std::vector<float> plus_one(const std::string& name, std::int64_t d) const {
    std::vector<float> w = tensor(name, {d});
    for (float& v : w) v = 1.0f + v;
    return w;
  }

  static std::vector<float> transpose(const std::vector<float>& a, std::int64_t rows, std::int64_t cols) {
    std::vector<float> t(a.size());
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) t[static_cast<std::size_t>(c * rows + r)] = a[static_cast<std::size_t>(r * cols + c)];
    return t;
  }

 private:
  const WeightSource& source_;
};

// [rows, a] | [rows, b] | [rows, c] side by side.
std::vector<float> concat_columns(std::int64_t rows, const std::vector<const std::vector<float>*>& parts) {
  std::vector<std::int64_t> widths;
  std::int64_t total = 0;
  for (const auto* part : parts) {
    widths.push_back(static_cast<std::int64_t>(part->size()) / rows);
    total += widths.back();
  }
  std::vector<float> out(static_cast<std::size_t>(rows * total));
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t column = 0;
    for (std::size_t p = 0; p < parts.size(); ++p) {
      for (std::int64_t c = 0; c < widths[p]; ++c)
        out[static_cast<std::size_t>(r * total + column + c)] = (*parts[p])[static_cast<std::size_t>(r * widths[p] + c)];
      column += widths[p];
    }
  }
  return out;
}

std::vector<float> concat(const std::vector<const std::vector<float>*>& parts) {
  std::vector<float> out;
  for (const auto* part : parts) out.insert(out.end(), part->begin(), part->end());
  return out;
}

// The unembedding of a model whose lm_head is an nn.Linear [vocab_out, d], or tied to wte.
void set_unembedding(const Reader& r, const TransformerConfig& c, const std::string& name, TransformerWeights& w) {
  w.unembed_transposed = true;
  if (!c.tie_embeddings) {
    w.unembed = r.tensor(name, {c.d_vocab_out, c.d_model});
    return;
  }
  COACT_REQUIRE(c.d_vocab_out == c.d_vocab, InputError, r.source().path(), ": the unembedding (", c.d_vocab_out,
                " outputs) cannot be tied to the token embedding (", c.d_vocab, " tokens)");
  w.unembed_tied = true;
}

// ---- Hugging Face ----------------------------------------------------------------------------

TransformerWeights load_gpt2(const Reader& r, const TransformerConfig& c, const std::string& prefix) {
  TransformerWeights w;
  w.naming = "huggingface";
  const std::int64_t d = c.d_model, da = c.d_attn();
  COACT_REQUIRE(da == d, InputError, r.source().path(), ": GPT-2 tensors need n_heads × d_head = d_model (", da,
                " vs ", d, ")");
  auto name = [&](const std::string& rest) { return prefix + rest; };
  w.wte = r.tensor(name("wte.weight"), {c.d_vocab, d});
  w.wpe = r.tensor(name("wpe.weight"), {c.n_ctx, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string h = str("h.", layer, ".");
    BlockWeights b;
    b.ln1_weight = r.tensor(name(h + "ln_1.weight"), {d});
    b.ln1_bias = r.tensor(name(h + "ln_1.bias"), {d});
    // Conv1D stores its weight as [in, out]: already the x·W orientation.
    b.w_qkv = r.tensor(name(h + "attn.c_attn.weight"), {d, 3 * da});
    b.b_qkv = r.tensor(name(h + "attn.c_attn.bias"), {3 * da});
    b.w_o = r.tensor(name(h + "attn.c_proj.weight"), {da, d});
    b.b_o = r.tensor(name(h + "attn.c_proj.bias"), {d});
    b.ln2_weight = r.tensor(name(h + "ln_2.weight"), {d});
    b.ln2_bias = r.tensor(name(h + "ln_2.bias"), {d});
    b.w_in = r.tensor(name(h + "mlp.c_fc.weight"), {d, c.d_mlp});
    b.b_in = r.tensor(name(h + "mlp.c_fc.bias"), {c.d_mlp});
    b.w_out = r.tensor(name(h + "mlp.c_proj.weight"), {c.d_mlp, d});
    b.b_out = r.tensor(name(h + "mlp.c_proj.bias"), {d});
    w.blocks.push_back(std::move(b));
  }
  w.ln_final_weight = r.tensor(name("ln_f.weight"), {d});
  w.ln_final_bias = r.tensor(name("ln_f.bias"), {d});
  // lm_head is tied to wte in GPT-2; a file that stores it (GPT2LMHeadModel's state dict) may
  // also hold an untied one.
  w.unembed_transposed = true;
  if (r.has("lm_head.weight")) w.unembed = r.tensor("lm_head.weight", {c.d_vocab_out, d});
  else {
    COACT_REQUIRE(c.d_vocab_out == c.d_vocab, InputError, r.source().path(), ": no lm_head.weight, and the unembedding (",
                  c.d_vocab_out, " outputs) cannot be tied to wte (", c.d_vocab, " tokens)");
    w.unembed_tied = true;
  }
  return w;
}

// Llama, Mistral, Qwen2, Gemma and Gemma-2 share their names (LlamaForCausalLM's state dict).
TransformerWeights load_llama(const Reader& r, const TransformerConfig& c, const std::string& prefix) {
  TransformerWeights w;
  w.naming = "huggingface";
  const std::int64_t d = c.d_model, da = c.d_attn(), dkv = c.d_kv(), m = c.d_mlp;
  const bool gemma = c.family == "gemma" || c.family == "gemma2";
  auto norm = [&](const std::string& name) { return gemma ? r.plus_one(name, d) : r.tensor(name, {d}); };
  w.wte = r.tensor(prefix + "embed_tokens.weight", {c.d_vocab, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string p = str(prefix, "layers.", layer, ".");
    BlockWeights b;
    b.ln1_weight = norm(p + "input_layernorm.weight");
    const auto q = r.linear(p + "self_attn.q_proj.weight", da, d), k = r.linear(p + "self_attn.k_proj.weight", dkv, d),
               v = r.linear(p + "self_attn.v_proj.weight", dkv, d);
    b.w_qkv = concat_columns(d, {&q, &k, &v});
    if (c.qkv_bias) {
      const auto bq = r.tensor(p + "self_attn.q_proj.bias", {da}), bk = r.tensor(p + "self_attn.k_proj.bias", {dkv}),
                 bv = r.tensor(p + "self_attn.v_proj.bias", {dkv});
      b.b_qkv = concat({&bq, &bk, &bv});
    }
    b.w_o = r.linear(p + "self_attn.o_proj.weight", d, da);
    b.b_o = r.tensor_if(c.out_bias, p + "self_attn.o_proj.bias", {d});
    if (c.family == "gemma2") {
      b.post_attn_norm = norm(p + "post_attention_layernorm.weight");
      b.ln2_weight = norm(p + "pre_feedforward_layernorm.weight");
      b.post_mlp_norm = norm(p + "post_feedforward_layernorm.weight");
    } else {
      b.ln2_weight = norm(p + "post_attention_layernorm.weight");
    }
    b.w_in = r.linear(p + "mlp.gate_proj.weight", m, d);
    b.w_up = r.linear(p + "mlp.up_proj.weight", m, d);
    b.w_out = r.linear(p + "mlp.down_proj.weight", d, m);
    b.b_in = r.tensor_if(c.mlp_bias, p + "mlp.gate_proj.bias", {m});
    b.b_up = r.tensor_if(c.mlp_bias, p + "mlp.up_proj.bias", {m});
    b.b_out = r.tensor_if(c.mlp_out_bias, p + "mlp.down_proj.bias", {d});
    w.blocks.push_back(std::move(b));
  }
  w.ln_final_weight = norm(prefix + "norm.weight");
  set_unembedding(r, c, "lm_head.weight", w);
  return w;
}

TransformerWeights load_gpt_neox(const Reader& r, const TransformerConfig& c, const std::string& prefix) {
  TransformerWeights w;
  w.naming = "huggingface";
  const std::int64_t d = c.d_model, dh = c.d_head, da = c.d_attn(), m = c.d_mlp;
  w.wte = r.tensor(prefix + "embed_in.weight", {c.d_vocab, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string p = str(prefix, "layers.", layer, ".");
    BlockWeights b;
    b.ln1_weight = r.tensor(p + "input_layernorm.weight", {d});
    b.ln1_bias = r.tensor(p + "input_layernorm.bias", {d});
    b.ln2_weight = r.tensor(p + "post_attention_layernorm.weight", {d});
    b.ln2_bias = r.tensor(p + "post_attention_layernorm.bias", {d});
    // query_key_value's output row h·3·dh + part·dh + j is column part·da + h·dh + j here.
    const auto fused = r.tensor(p + "attention.query_key_value.weight", {3 * da, d});
    auto column = [&](std::int64_t row) {
      const std::int64_t h = row / (3 * dh), part = (row / dh) % 3, j = row % dh;
      return part * da + h * dh + j;
    };
    b.w_qkv.assign(static_cast<std::size_t>(d * 3 * da), 0.0f);
    for (std::int64_t row = 0; row < 3 * da; ++row)
      for (std::int64_t i = 0; i < d; ++i)
        b.w_qkv[static_cast<std::size_t>(i * 3 * da + column(row))] = fused[static_cast<std::size_t>(row * d + i)];
    if (c.qkv_bias) {
      const auto bias = r.tensor(p + "attention.query_key_value.bias", {3 * da});
      b.b_qkv.assign(bias.size(), 0.0f);
      for (std::int64_t row = 0; row < 3 * da; ++row) b.b_qkv[static_cast<std::size_t>(column(row))] = bias[static_cast<std::size_t>(row)];
    }
    b.w_o = r.linear(p + "attention.dense.weight", d, da);
    b.b_o = r.tensor_if(c.out_bias, p + "attention.dense.bias", {d});
    b.w_in = r.linear(p + "mlp.dense_h_to_4h.weight", m, d);
    b.b_in = r.tensor(p + "mlp.dense_h_to_4h.bias", {m});
    b.w_out = r.linear(p + "mlp.dense_4h_to_h.weight", d, m);
    b.b_out = r.tensor(p + "mlp.dense_4h_to_h.bias", {d});
    w.blocks.push_back(std::move(b));
  }
  w.ln_final_weight = r.tensor(prefix + "final_layer_norm.weight", {d});
  w.ln_final_bias = r.tensor(prefix + "final_layer_norm.bias", {d});
  set_unembedding(r, c, "embed_out.weight", w);
  return w;
}

TransformerWeights load_bert(const Reader& r, const TransformerConfig& c, const std::string& prefix) {
  TransformerWeights w;
  w.naming = "huggingface";
  const std::int64_t d = c.d_model, m = c.d_mlp;
  // Old BERT checkpoints name LayerNorm parameters gamma and beta.
  auto layer_norm = [&](const std::string& base, std::vector<float>& weight, std::vector<float>& bias) {
    const bool old = !r.has(base + ".weight") && r.has(base + ".gamma");
    weight = r.tensor(base + (old ? ".gamma" : ".weight"), {d});
    bias = r.tensor(base + (old ? ".beta" : ".bias"), {d});
  };
  w.wte = r.tensor(prefix + "embeddings.word_embeddings.weight", {c.d_vocab, d});
  w.wpe = r.tensor(prefix + "embeddings.position_embeddings.weight", {c.n_ctx, d});
  const auto types = r.tensor(prefix + "embeddings.token_type_embeddings.weight", {c.token_types, d});
  w.token_type.assign(types.begin(), types.begin() + d);  // every token is of type 0
  layer_norm(prefix + "embeddings.LayerNorm", w.embed_ln_weight, w.embed_ln_bias);
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string p = str(prefix, "encoder.layer.", layer, ".");
    BlockWeights b;
    const auto q = r.linear(p + "attention.self.query.weight", d, d), k = r.linear(p + "attention.self.key.weight", d, d),
               v = r.linear(p + "attention.self.value.weight", d, d);
    b.w_qkv = concat_columns(d, {&q, &k, &v});
    const auto bq = r.tensor(p + "attention.self.query.bias", {d}), bk = r.tensor(p + "attention.self.key.bias", {d}),
               bv = r.tensor(p + "attention.self.value.bias", {d});
    b.b_qkv = concat({&bq, &bk, &bv});
    b.w_o = r.linear(p + "attention.output.dense.weight", d, d);
    b.b_o = r.tensor(p + "attention.output.dense.bias", {d});
    layer_norm(p + "attention.output.LayerNorm", b.ln1_weight, b.ln1_bias);
    b.w_in = r.linear(p + "intermediate.dense.weight", m, d);
    b.b_in = r.tensor(p + "intermediate.dense.bias", {m});
    b.w_out = r.linear(p + "output.dense.weight", d, m);
    b.b_out = r.tensor(p + "output.dense.bias", {d});
    layer_norm(p + "output.LayerNorm", b.ln2_weight, b.ln2_bias);
    w.blocks.push_back(std::move(b));
  }
  return w;
}

// ---- TransformerLens -------------------------------------------------------------------------

TransformerWeights load_transformerlens(const Reader& r, const TransformerConfig& c) {
  TransformerWeights w;
  w.naming = "transformerlens";
  const std::int64_t d = c.d_model, H = c.n_heads, KV = c.kv_heads(), dh = c.d_head, da = c.d_attn(), dkv = c.d_kv();
  const bool weights = c.normalization != Normalization::LayerNormPre;
  const bool shifts = c.normalization == Normalization::LayerNorm;
  w.wte = r.tensor("embed.W_E", {c.d_vocab, d});
  if (c.positions == Positions::Learned) w.wpe = r.tensor("pos_embed.W_pos", {c.n_ctx, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string p = str("blocks.", layer, ".");
    BlockWeights b;
    if (weights) {
      b.ln1_weight = r.tensor(p + "ln1.w", {d});
      b.ln2_weight = r.tensor(p + "ln2.w", {d});
    }
    if (shifts) {
      b.ln1_bias = r.tensor(p + "ln1.b", {d});
      b.ln2_bias = r.tensor(p + "ln2.b", {d});
    }
    if (c.post_block_norms) {
      b.post_attn_norm = r.tensor(p + "ln1_post.w", {d});
      b.post_mlp_norm = r.tensor(p + "ln2_post.w", {d});
    }
    // W_Q [H, d, dh], W_K/W_V [KV, d, dh] (named _W_K/_W_V when grouped) → columns of [d, d_qkv].
    b.w_qkv.assign(static_cast<std::size_t>(d * c.d_qkv()), 0.0f);
    b.b_qkv.assign(static_cast<std::size_t>(c.d_qkv()), 0.0f);
    const char* parts[] = {"Q", "K", "V"};
    const std::int64_t offsets[] = {0, da, da + dkv};
    for (std::int64_t part = 0; part < 3; ++part) {
      const std::int64_t heads = part == 0 ? H : KV;
      const std::string grouped = part > 0 && KV != H ? "_" : "";
      const std::vector<float> weight = r.tensor(str(p, "attn.", grouped, "W_", parts[part]), {heads, d, dh});
      const std::vector<float> bias = r.tensor(str(p, "attn.", grouped, "b_", parts[part]), {heads, dh});
      for (std::int64_t h = 0; h < heads; ++h) {
        for (std::int64_t i = 0; i < d; ++i)
          for (std::int64_t j = 0; j < dh; ++j)
            b.w_qkv[static_cast<std::size_t>(i * c.d_qkv() + offsets[part] + h * dh + j)] =
                weight[static_cast<std::size_t>((h * d + i) * dh + j)];
        for (std::int64_t j = 0; j < dh; ++j)
          b.b_qkv[static_cast<std::size_t>(offsets[part] + h * dh + j)] = bias[static_cast<std::size_t>(h * dh + j)];
      }
    }
    // W_O [H, dh, d] is [(h, j), d] row-major: already [da, d].
    b.w_o = r.tensor(p + "attn.W_O", {H, dh, d});
    b.b_o = r.tensor(p + "attn.b_O", {d});
    if (c.gated_mlp) {
      // TransformerLens's gated MLP: act(x·W_gate)·(x·W_in) + b_in. Its b_in comes after the
      // product, where this forward pass has none: only a zero one is representable.
      b.w_in = r.tensor(p + "mlp.W_gate", {d, c.d_mlp});
      b.w_up = r.tensor(p + "mlp.W_in", {d, c.d_mlp});
      const std::vector<float> post_bias = r.tensor(p + "mlp.b_in", {c.d_mlp});
      for (float v : post_bias)
        COACT_REQUIRE(v == 0.0f, InputError, r.source().path(), ": ", p,
                      "mlp.b_in of a gated MLP is not zero (a bias after act(gate)·up is not supported)");
    } else {
      b.w_in = r.tensor(p + "mlp.W_in", {d, c.d_mlp});
      b.b_in = r.tensor(p + "mlp.b_in", {c.d_mlp});
    }
    b.w_out = r.tensor(p + "mlp.W_out", {c.d_mlp, d});
    b.b_out = r.tensor(p + "mlp.b_out", {d});
    w.blocks.push_back(std::move(b));
  }
  if (weights) w.ln_final_weight = r.tensor("ln_final.w", {d});
  if (shifts) w.ln_final_bias = r.tensor("ln_final.b", {d});
  w.unembed = r.tensor("unembed.W_U", {d, c.d_vocab_out});
  w.unembed_bias = r.tensor("unembed.b_U", {c.d_vocab_out});
  return w;
}

// The first of `prefixes` under which `name` exists, or nullopt.
std::optional<std::string> prefix_of(const Reader& r, const std::string& name, std::initializer_list<const char*> prefixes) {
  for (const char* prefix : prefixes)
    if (r.has(prefix + name)) return std::string(prefix);
  return std::nullopt;
}

}  // namespace

TransformerWeights load_transformer_weights(const WeightSource& source, const TransformerConfig& c) {
  const Reader r(source);
  if (r.has("embed.W_E")) return load_transformerlens(r, c);
  std::optional<std::string> prefix;
  std::string expected;
  if (c.family == "gpt2") {
    if ((prefix = prefix_of(r, "wte.weight", {"", "transformer."}))) return load_gpt2(r, c, *prefix);
    expected = "wte.weight";
  } else if (c.family == "llama" || c.family == "gemma" || c.family == "gemma2") {
    if ((prefix = prefix_of(r, "embed_tokens.weight", {"model.", ""}))) {
      TransformerWeights w = load_llama(r, c, *prefix);
      if (source.format() == "gguf") w.naming = "gguf";
      return w;
    }
    expected = "model.embed_tokens.weight";
  } else if (c.family == "gpt_neox") {
    if ((prefix = prefix_of(r, "embed_in.weight", {"gpt_neox.", ""}))) return load_gpt_neox(r, c, *prefix);
    expected = "gpt_neox.embed_in.weight";
  } else if (c.family == "bert") {
    if ((prefix = prefix_of(r, "embeddings.word_embeddings.weight", {"", "bert."}))) return load_bert(r, c, *prefix);
    expected = "embeddings.word_embeddings.weight";
  }
  throw InputError(str(source.path(), ": neither Hugging Face ", c.family, " tensors (", expected,
                       ") nor TransformerLens tensors (embed.W_E); ", source.listing()));
}

TransformerWeights load_transformer_weights(const std::string& path, const TransformerConfig& config) {
  return load_transformer_weights(*open_weights(path), config);
}

TransformerWeights load_transformer_weights(const io::TensorFile& file, const TransformerConfig& config) {
  // A view of one open file as a WeightSource.
  class OneFile final : public WeightSource {
   public:
    explicit OneFile(const io::TensorFile& file) : file_(file) {}
    const std::string& path() const override { return file_.path(); }
    std::string format() const override { return file_.format(); }
    const io::TensorInfo* find(std::string_view name) const override { return file_.find(name); }
    std::vector<float> read_f32(std::string_view name) const override { return file_.read_f32(name); }
    std::vector<std::string> names() const override {
      std::vector<std::string> all;
      for (const io::TensorInfo& t : file_.tensors()) all.push_back(t.name);
      return all;
    }
    const io::TensorFile* single_file() const override { return &file_; }

   private:
    const io::TensorFile& file_;
  };
  return load_transformer_weights(OneFile(file), config);
}

}  // namespace coact::model
