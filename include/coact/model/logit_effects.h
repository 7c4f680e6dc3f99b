// Direct logit effects of a direction at a hook point (a feature's decoder row): what writing
// the direction into the residual stream does to the logits through the unembedding alone,
// TransformerLens's direct logit attribution:
//   residual direction r = v · W_out[L] for blocks.L.mlp.hook_post, v itself at the residual
//   stream hooks; effect = (r − mean(r)) ⊙ ln_final.w · W_U
// (the final LayerNorm's centring and scale kept — RMSNorm does not centre —, its division by the
// row's spread left out, as it depends on the token). Hooks inside the blocks' halves (before
// the GELU, the norms, the heads) and the logits have no such effect; neither do encoders, and
// soft-capped logits (Gemma-2) are refused.
#pragma once

#include <span>
#include <vector>

#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/weights.h"

namespace coact::model {

// [d_vocab_out] effects of `direction` (width of the hook). Throws UsageError for a hook
// without a direct effect and for a direction of the wrong width.
std::vector<double> logit_effects(const TransformerConfig& config, const TransformerWeights& weights,
                                  const HookPoint& hook, std::span<const float> direction);

}  // namespace coact::model
