// Hook points of the forward pass, named and placed as TransformerLens names and places them,
// where activations are recorded or replaced (CE-loss recovered): the embeddings, the residual
// stream before, between and after a block's two halves, each norm's normalised value (before
// its learned scale and shift), the attention's per-head result z and output, the MLP's pre-
// and post-activation (hook_post = the down projection's input, act(gate)·up for a gated MLP)
// and output, and the logits. Which of them a model has depends on its architecture:
// hook_names(config) lists them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "coact/model/config.h"

namespace coact::model {

enum class HookSite {
  Embed,                // hook_embed: the token embedding (× √d for Gemma), before positions
  PosEmbed,             // hook_pos_embed: the learned position embedding (GPT-2, BERT)
  ResidPre,             // blocks.L.hook_resid_pre: the block's input (layer 0: the embeddings)
  Ln1Normalized,        // blocks.L.ln1.hook_normalized: the attention's norm, before w and b
                        //   (BERT: the norm after the attention, of hook_resid_mid)
  AttnZ,                // blocks.L.attn.hook_z: the heads' weighted values [n_heads · d_head]
  AttnOut,              // blocks.L.hook_attn_out: z·W_O + b_O (after Gemma-2's post-norm)
  ResidMid,             // blocks.L.hook_resid_mid: after the attention half (not with a
                        //   parallel residual)
  Ln2Normalized,        // blocks.L.ln2.hook_normalized: the MLP's norm (BERT: the block's last)
  MlpPre,               // blocks.L.mlp.hook_pre: LN2(x)·W_in + b_in (gated: the gate, x·W_gate)
  MlpPreLinear,         // blocks.L.mlp.hook_pre_linear: x·W_up (gated MLPs only)
  MlpPost,              // blocks.L.mlp.hook_post: act(hook_pre) (gated: act(gate)·up)
  MlpOut,               // blocks.L.hook_mlp_out: post·W_out + b_out (after Gemma-2's post-norm)
  ResidPost,            // blocks.L.hook_resid_post: the block's output (BERT: before its LN)
  NormalizedResidPost,  // blocks.L.hook_normalized_resid_post: BERT's block output after LN
  LnFinalNormalized,    // ln_final.hook_normalized: the final norm (decoders)
  Logits,               // logits: the unembedding's output [rows, d_vocab_out] (recorded, never
                        //   edited; decoders only)
};

struct HookPoint {
  std::int64_t layer = 0;  // hook_embed and hook_pos_embed: 0; ln_final and logits: n_layers − 1
  HookSite site = HookSite::MlpPost;

  std::string name() const;  // "blocks.0.mlp.hook_post", "logits"
  // Width of the activations there: d_mlp for the MLP's inner hooks, n_heads·d_head for
  // attn.hook_z, d_vocab_out for the logits, d_model elsewhere.
  std::int64_t width(const TransformerConfig& config) const;
  bool operator==(const HookPoint&) const = default;
};

// Whether the model has this hook site (a gated MLP has mlp.hook_pre_linear, a parallel
// residual has no hook_resid_mid, an encoder no logits, ...).
bool has_hook(HookSite site, const TransformerConfig& config);

// Parses a TransformerLens hook name. Throws UsageError naming the hook and listing the valid
// ones ("hook_embed, blocks.L.hook_resid_pre, ... for L in 0..N-1, ln_final.hook_normalized,
// logits") for an unknown name, a layer out of range or a hook this architecture lacks.
HookPoint parse_hook(std::string_view name, const TransformerConfig& config);
// Every hook point of the model, in forward order (`coact record --list-hooks`).
std::vector<std::string> hook_names(const TransformerConfig& config);
// The same as HookPoints, in forward order.
std::vector<HookPoint> hook_points(const TransformerConfig& config);
// "name  width" lines of every hook of the model at `weights` (config as read_model_config).
std::string hook_listing(const std::string& weights, const std::string& config_path);

}  // namespace coact::model
