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
  const std::int64_t d = c.d_model, da = c.d_attn(), m = c.d_mlp;
  const bool pre = c.normalization == Normalization::LayerNormPre;
  COACT_REQUIRE(static_cast<std::int64_t>(weights.blocks.size()) == c.n_layers, InputError, "transformer weights: ",
                weights.blocks.size(), " blocks, the config has ", c.n_layers, " layers");
  wte_ = upload(backend, weights.wte, c.d_vocab * d, "wte");
  wpe_ = upload(backend, weights.wpe, c.n_ctx * d, "wpe");
  for (const BlockWeights& b : weights.blocks) {
    Block block;
    block.ln1_weight = upload(backend, b.ln1_weight, d, "ln1 weight", pre);
    block.ln1_bias = upload(backend, b.ln1_bias, d, "ln1 bias", pre);
    block.w_qkv = upload(backend, b.w_qkv, d * 3 * da, "W_qkv");
    block.b_qkv = upload(backend, b.b_qkv, 3 * da, "b_qkv");
    block.w_o = upload(backend, b.w_o, da * d, "W_O");
    block.b_o = upload(backend, b.b_o, d, "b_O");
    block.ln2_weight = upload(backend, b.ln2_weight, d, "ln2 weight", pre);
    block.ln2_bias = upload(backend, b.ln2_bias, d, "ln2 bias", pre);
    block.w_in = upload(backend, b.w_in, d * m, "W_in");
    block.b_in = upload(backend, b.b_in, m, "b_in");
    block.w_out = upload(backend, b.w_out, m * d, "W_out");
    block.b_out = upload(backend, b.b_out, d, "b_out");
    blocks_.push_back(std::move(block));
  }
  ln_final_weight_ = upload(backend, weights.ln_final_weight, d, "final ln weight", pre);
  ln_final_bias_ = upload(backend, weights.ln_final_bias, d, "final ln bias", pre);
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
