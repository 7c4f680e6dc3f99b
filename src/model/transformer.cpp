// The transformer's parameters on the device.
#include "coact/model/transformer.h"

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

// A device copy of `host`, which must hold `count` values (empty allowed when `optional`).
backend::Buffer<float> upload(backend::Backend& backend, const std::vector<float>& host, std::int64_t count,
                              const char* what, bool optional = false) {
  if (optional && host.empty()) return {};
  COACT_REQUIRE(static_cast<std::int64_t>(host.size()) == count, InputError, "transformer weights: ", what, " holds ",
                host.size(), " values, the config needs ", count);
  backend::Buffer<float> buffer(backend, host.size());
  buffer.copy_from_host(host);
  return buffer;
}

}  // namespace

Transformer::Transformer(backend::Backend& backend, TransformerConfig config, const TransformerWeights& weights)
    : backend_(&backend), config_(std::move(config)) {
  const TransformerConfig& c = config_;
  c.validate("transformer config");
  const std::int64_t d = c.d_model, da = c.d_attn(), m = c.d_mlp, qkv = c.d_qkv();
  // Which parameters exist follows from the config; a present one must have its size.
  const bool norm_weights = c.normalization != Normalization::LayerNormPre;
  const bool norm_biases = c.normalization == Normalization::LayerNorm;
  auto need = [&](bool present, const std::vector<float>& host, std::int64_t count, const char* what) {
    if (!present) {
      COACT_REQUIRE(host.empty(), InputError, "transformer weights: ", what, " is given, the ",
                    c.family.empty() ? "model" : c.family, " config has none");
      return backend::Buffer<float>{};
    }
    return upload(backend, host, count, what);
  };
  COACT_REQUIRE(static_cast<std::int64_t>(weights.blocks.size()) == c.n_layers, InputError, "transformer weights: ",
                weights.blocks.size(), " blocks, the config has ", c.n_layers, " layers");
  wte_ = upload(backend, weights.wte, c.d_vocab * d, "wte");
  wpe_ = need(c.positions == Positions::Learned, weights.wpe, c.n_ctx * d, "wpe");
  token_type_ = need(c.post_ln, weights.token_type, d, "token type embedding");
  embed_ln_weight_ = need(c.post_ln, weights.embed_ln_weight, d, "embedding LayerNorm weight");
  embed_ln_bias_ = need(c.post_ln, weights.embed_ln_bias, d, "embedding LayerNorm bias");
  for (const BlockWeights& b : weights.blocks) {
    Block block;
    block.ln1_weight = need(norm_weights, b.ln1_weight, d, "ln1 weight");
    block.ln1_bias = need(norm_biases, b.ln1_bias, d, "ln1 bias");
    block.w_qkv = upload(backend, b.w_qkv, d * qkv, "W_qkv");
    block.b_qkv = need(c.qkv_bias, b.b_qkv, qkv, "b_qkv");
    block.w_o = upload(backend, b.w_o, da * d, "W_O");
    block.b_o = need(c.out_bias, b.b_o, d, "b_O");
    block.ln2_weight = need(norm_weights, b.ln2_weight, d, "ln2 weight");
    block.ln2_bias = need(norm_biases, b.ln2_bias, d, "ln2 bias");
    block.w_in = upload(backend, b.w_in, d * m, c.gated_mlp ? "W_gate" : "W_in");
    block.b_in = need(c.mlp_bias, b.b_in, m, c.gated_mlp ? "b_gate" : "b_in");
    block.w_up = need(c.gated_mlp, b.w_up, d * m, "W_up");
    block.b_up = need(c.gated_mlp && c.mlp_bias, b.b_up, m, "b_up");
    block.w_out = upload(backend, b.w_out, m * d, "W_out");
    block.b_out = need(c.mlp_out_bias, b.b_out, d, "b_out");
    block.post_attn_norm = need(c.post_block_norms, b.post_attn_norm, d, "post-attention norm");
    block.post_mlp_norm = need(c.post_block_norms, b.post_mlp_norm, d, "post-MLP norm");
    blocks_.push_back(std::move(block));
  }
  if (c.encoder()) {
    COACT_REQUIRE(weights.unembed.empty() && !weights.unembed_tied, InputError,
                  "transformer weights: an encoder has no unembedding");
    return;
  }
  ln_final_weight_ = need(norm_weights, weights.ln_final_weight, d, "final norm weight");
  ln_final_bias_ = need(norm_biases, weights.ln_final_bias, d, "final norm bias");
  unembed_tied_ = weights.unembed_tied;
  unembed_transposed_ = weights.unembed_transposed || weights.unembed_tied;
  if (unembed_tied_) COACT_REQUIRE(c.d_vocab_out == c.d_vocab, InputError, "transformer weights: a tied unembedding needs d_vocab_out = d_vocab");
  else unembed_ = upload(backend, weights.unembed, d * c.d_vocab_out, "unembedding");
  unembed_bias_ = upload(backend, weights.unembed_bias, c.d_vocab_out, "unembedding bias", true);
}

void ZeroAblation::apply(backend::Backend& backend, float* activations, std::int64_t rows, std::int64_t width) {
  backend.zero_bytes(activations, static_cast<std::size_t>(rows * width) * sizeof(float));
}

}  // namespace coact::model
