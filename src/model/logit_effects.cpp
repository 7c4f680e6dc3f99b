// Direct logit effects on the host, in double (one vector per call: d·vocab work).
#include "coact/model/logit_effects.h"

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::model {

std::vector<double> logit_effects(const TransformerConfig& config, const TransformerWeights& weights,
                                  const HookPoint& hook, std::span<const float> direction) {
  const bool residual = hook.site == HookSite::ResidPre || hook.site == HookSite::ResidMid ||
                        hook.site == HookSite::ResidPost || hook.site == HookSite::AttnOut || hook.site == HookSite::MlpOut;
  COACT_REQUIRE(!config.encoder(), UsageError, "logit effects: ", config.family, " is an encoder: it has no logits");
  COACT_REQUIRE(residual || (hook.site == HookSite::MlpPost && !config.post_block_norms), UsageError, "logit effects: ",
                hook.name(), " has no direct effect on the logits (use mlp.hook_post or a residual stream hook)");
  COACT_REQUIRE(config.final_logit_softcap == 0.0, UsageError,
                "logit effects: the final logit soft-capping is not linear (", config.family, ")");
  COACT_REQUIRE(static_cast<std::int64_t>(direction.size()) == hook.width(config), UsageError, "logit effects: a direction of ",
                direction.size(), " values at ", hook.name(), " (width ", hook.width(config), ")");
  const std::int64_t d = config.d_model, vocab = config.d_vocab_out;
  std::vector<double> r(static_cast<std::size_t>(d), 0.0);
  if (hook.site == HookSite::MlpPost) {
    const std::vector<float>& w_out = weights.blocks[static_cast<std::size_t>(hook.layer)].w_out;  // [d_mlp, d]
    for (std::int64_t i = 0; i < config.d_mlp; ++i)
      for (std::int64_t j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] += static_cast<double>(direction[static_cast<std::size_t>(i)]) * w_out[static_cast<std::size_t>(i * d + j)];
  } else {
    for (std::int64_t j = 0; j < d; ++j) r[static_cast<std::size_t>(j)] = direction[static_cast<std::size_t>(j)];
  }
  // LayerNorm centres the row; RMSNorm does not.
  double mean = 0.0;
  if (config.normalization != Normalization::RmsNorm) {
    for (double v : r) mean += v;
    mean /= static_cast<double>(d);
  }
  for (std::int64_t j = 0; j < d; ++j) {
    double& v = r[static_cast<std::size_t>(j)];
    v -= mean;
    if (!weights.ln_final_weight.empty()) v *= weights.ln_final_weight[static_cast<std::size_t>(j)];
  }
  // The unembedding: [d, vocab], or [vocab, d] when transposed (wte itself when tied).
  const std::vector<float>& u = weights.unembed_tied ? weights.wte : weights.unembed;
  const bool transposed = weights.unembed_tied || weights.unembed_transposed;
  std::vector<double> effects(static_cast<std::size_t>(vocab), 0.0);
  for (std::int64_t t = 0; t < vocab; ++t) {
    double sum = 0.0;
    for (std::int64_t j = 0; j < d; ++j)
      sum += r[static_cast<std::size_t>(j)] * u[static_cast<std::size_t>(transposed ? t * d + j : j * vocab + t)];
    effects[static_cast<std::size_t>(t)] = sum;
  }
  return effects;
}

}  // namespace coact::model
