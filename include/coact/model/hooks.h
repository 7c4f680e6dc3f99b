// Hook points of the forward pass, named as TransformerLens names them, where activations are
// recorded or replaced (CE-loss recovered): the residual stream before, between and after a
// block's two halves, and the MLP's pre- and post-activation.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coact/model/config.h"

namespace coact::model {

enum class HookSite {
  ResidPre,   // blocks.L.hook_resid_pre: the block's input (layer 0: the embeddings)
  ResidMid,   // blocks.L.hook_resid_mid: after the attention half
  MlpPre,     // blocks.L.mlp.hook_pre: LN2(resid_mid)·W_in + b_in
  MlpPost,    // blocks.L.mlp.hook_post: GELU of hook_pre
  ResidPost,  // blocks.L.hook_resid_post: the block's output
  Logits,     // logits: the unembedding's output [rows, d_vocab_out] (recorded, never edited)
};

struct HookPoint {
  std::int64_t layer = 0;
  HookSite site = HookSite::MlpPost;

  std::string name() const;  // "blocks.0.mlp.hook_post", "logits"
  // Width of the activations there: d_mlp for the MLP hooks, d_model for the residual stream,
  // d_vocab_out for the logits.
  std::int64_t width(const TransformerConfig& config) const;
  bool operator==(const HookPoint&) const = default;
};

// Parses a TransformerLens hook name, or "logits" (layer n_layers − 1). Throws UsageError
// naming the hook and listing the valid ones ("blocks.L.hook_resid_pre, ... for L in 0..N-1")
// for an unknown name or layer.
HookPoint parse_hook(std::string_view name, const TransformerConfig& config);
// Every hook point of the model, in forward order (logits last).
std::vector<std::string> hook_names(const TransformerConfig& config);

}  // namespace coact::model
