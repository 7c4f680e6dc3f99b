// Reading GPT-2-family parameters under Hugging Face or TransformerLens names into one layout.
#include "coact/model/weights.h"

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/tensors.h"

namespace coact::model {
namespace {

using io::Shape;

// Reads `name` as float32, requiring `shape`. A missing tensor names the shape it should have.
std::vector<float> read(const io::TensorFile& file, const std::string& name, const Shape& shape) {
  if (!file.find(name)) {
    std::string listing;
    const auto& tensors = file.tensors();
    for (std::size_t i = 0; i < tensors.size() && i < 6; ++i) listing += str(i ? ", " : "", tensors[i].name);
    if (tensors.size() > 6) listing += ", ...";
    throw InputError(str(file.path(), ": no tensor ", name, " (expected shape ", io::shape_string(shape),
                         "; the file holds ", tensors.size(), " tensors: ", listing, ")"));
  }
  return file.read_f32(name, shape);
}

TransformerWeights load_huggingface(const io::TensorFile& file, const TransformerConfig& c, const std::string& prefix) {
  TransformerWeights w;
  w.naming = "huggingface";
  const std::int64_t d = c.d_model, da = c.d_attn();
  COACT_REQUIRE(da == d, InputError, file.path(), ": GPT-2 tensors need n_heads × d_head = d_model (", da, " vs ", d, ")");
  auto name = [&](const std::string& rest) { return prefix + rest; };
  w.wte = read(file, name("wte.weight"), {c.d_vocab, d});
  w.wpe = read(file, name("wpe.weight"), {c.n_ctx, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string h = str("h.", layer, ".");
    BlockWeights b;
    b.ln1_weight = read(file, name(h + "ln_1.weight"), {d});
    b.ln1_bias = read(file, name(h + "ln_1.bias"), {d});
    // Conv1D stores its weight as [in, out]: already the x·W orientation.
    b.w_qkv = read(file, name(h + "attn.c_attn.weight"), {d, 3 * da});
    b.b_qkv = read(file, name(h + "attn.c_attn.bias"), {3 * da});
    b.w_o = read(file, name(h + "attn.c_proj.weight"), {da, d});
    b.b_o = read(file, name(h + "attn.c_proj.bias"), {d});
    b.ln2_weight = read(file, name(h + "ln_2.weight"), {d});
    b.ln2_bias = read(file, name(h + "ln_2.bias"), {d});
    b.w_in = read(file, name(h + "mlp.c_fc.weight"), {d, c.d_mlp});
    b.b_in = read(file, name(h + "mlp.c_fc.bias"), {c.d_mlp});
    b.w_out = read(file, name(h + "mlp.c_proj.weight"), {c.d_mlp, d});
    b.b_out = read(file, name(h + "mlp.c_proj.bias"), {d});
    w.blocks.push_back(std::move(b));
  }
  w.ln_final_weight = read(file, name("ln_f.weight"), {d});
  w.ln_final_bias = read(file, name("ln_f.bias"), {d});
  // lm_head is tied to wte in GPT-2; a file that stores it (GPT2LMHeadModel's state dict) may
  // also hold an untied one.
  w.unembed_transposed = true;
  if (file.find("lm_head.weight")) w.unembed = read(file, "lm_head.weight", {c.d_vocab_out, d});
  else {
    COACT_REQUIRE(c.d_vocab_out == c.d_vocab, InputError, file.path(), ": no lm_head.weight, and the unembedding (",
                  c.d_vocab_out, " outputs) cannot be tied to wte (", c.d_vocab, " tokens)");
    w.unembed_tied = true;
  }
  return w;
}

TransformerWeights load_transformerlens(const io::TensorFile& file, const TransformerConfig& c) {
  TransformerWeights w;
  w.naming = "transformerlens";
  const std::int64_t d = c.d_model, H = c.n_heads, dh = c.d_head, da = c.d_attn();
  const bool ln = c.normalization == Normalization::LayerNorm;
  w.wte = read(file, "embed.W_E", {c.d_vocab, d});
  w.wpe = read(file, "pos_embed.W_pos", {c.n_ctx, d});
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const std::string p = str("blocks.", layer, ".");
    BlockWeights b;
    if (ln) {
      b.ln1_weight = read(file, p + "ln1.w", {d});
      b.ln1_bias = read(file, p + "ln1.b", {d});
      b.ln2_weight = read(file, p + "ln2.w", {d});
      b.ln2_bias = read(file, p + "ln2.b", {d});
    }
    // W_Q/W_K/W_V [H, d, dh] and b_* [H, dh] -> columns part·da + h·dh + j of [d, 3·da].
    b.w_qkv.assign(static_cast<std::size_t>(d * 3 * da), 0.0f);
    b.b_qkv.assign(static_cast<std::size_t>(3 * da), 0.0f);
    const char* parts[] = {"Q", "K", "V"};
    for (std::int64_t part = 0; part < 3; ++part) {
      const std::vector<float> weight = read(file, str(p, "attn.W_", parts[part]), {H, d, dh});
      const std::vector<float> bias = read(file, str(p, "attn.b_", parts[part]), {H, dh});
      for (std::int64_t h = 0; h < H; ++h) {
        for (std::int64_t i = 0; i < d; ++i)
          for (std::int64_t j = 0; j < dh; ++j)
            b.w_qkv[static_cast<std::size_t>(i * 3 * da + part * da + h * dh + j)] =
                weight[static_cast<std::size_t>((h * d + i) * dh + j)];
        for (std::int64_t j = 0; j < dh; ++j)
          b.b_qkv[static_cast<std::size_t>(part * da + h * dh + j)] = bias[static_cast<std::size_t>(h * dh + j)];
      }
    }
    // W_O [H, dh, d] is [(h, j), d] row-major: already [da, d].
    b.w_o = read(file, p + "attn.W_O", {H, dh, d});
    b.b_o = read(file, p + "attn.b_O", {d});
    b.w_in = read(file, p + "mlp.W_in", {d, c.d_mlp});
    b.b_in = read(file, p + "mlp.b_in", {c.d_mlp});
    b.w_out = read(file, p + "mlp.W_out", {c.d_mlp, d});
    b.b_out = read(file, p + "mlp.b_out", {d});
    w.blocks.push_back(std::move(b));
  }
  if (ln) {
    w.ln_final_weight = read(file, "ln_final.w", {d});
    w.ln_final_bias = read(file, "ln_final.b", {d});
  }
  w.unembed = read(file, "unembed.W_U", {d, c.d_vocab_out});
  w.unembed_bias = read(file, "unembed.b_U", {c.d_vocab_out});
  return w;
}

}  // namespace

TransformerWeights load_transformer_weights(const io::TensorFile& file, const TransformerConfig& config) {
  if (file.find("embed.W_E")) return load_transformerlens(file, config);
  if (file.find("wte.weight")) return load_huggingface(file, config, "");
  if (file.find("transformer.wte.weight")) return load_huggingface(file, config, "transformer.");
  std::string listing;
  const auto& tensors = file.tensors();
  for (std::size_t i = 0; i < tensors.size() && i < 6; ++i) listing += str(i ? ", " : "", tensors[i].name);
  throw InputError(str(file.path(), ": neither Hugging Face GPT-2 tensors (wte.weight) nor TransformerLens tensors ",
                       "(embed.W_E); the file holds ", tensors.size(), " tensors", tensors.empty() ? "" : ": ", listing,
                       tensors.size() > 6 ? ", ..." : ""));
}

TransformerWeights load_transformer_weights(const std::string& path, const TransformerConfig& config) {
  const std::unique_ptr<io::TensorFile> file = io::open_tensor_file(path);
  return load_transformer_weights(*file, config);
}

}  // namespace coact::model
