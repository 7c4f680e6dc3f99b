// CE-loss recovered (docs/method.md, "Metrics"): how much of the next-token loss a replacement of
// one hook's activations keeps, between the clean model (1) and zero-ablating the hook (0):
//   recovered = (CE_zero − CE_replaced) / (CE_zero − CE_clean)
// with each CE the mean next-token cross-entropy over every position that has a next token.
// The replacement is any HookEdit; an SAE's reconstruction x̂ = z·W_dec + b_dec is the use.
// Beside the losses: the mean KL divergence of the patched next-token distributions from the
// clean ones, KL(p_clean ‖ p_patched), over the same positions. An encoder (BERT) has no
// next-token distribution: reconstruction_metrics() measures what an edit keeps there (and
// at any hook of any family).
#pragma once

#include <cstdint>
#include <span>

#include "coact/model/hooks.h"
#include "coact/model/transformer.h"

namespace coact {
class Progress;
}
namespace coact::dist {
class Comm;
}

namespace coact::model {

struct CeLossRecovered {
  double clean = 0.0;         // mean CE of the unchanged model
  double replaced = 0.0;      // ... with the hook's activations replaced
  double zero_ablated = 0.0;  // ... with them set to zero
  double kl_replaced = 0.0;   // mean KL(clean ‖ replaced) of the next-token distributions
  double kl_zero_ablated = 0.0;  // mean KL(clean ‖ zero-ablated)
  bool has_kl = false;        // the KL divergences were computed
  std::int64_t sequences = 0;
  std::int64_t tokens = 0;    // positions the means are over

  // (zero − replaced) / (zero − clean); NaN when zero-ablation does not change the loss.
  double recovered() const;
};

// Runs the three forward passes over `sequences` rows of ids [sequences, pass.seq_len()] (the
// same on every rank) in fixed blocks of pass.max_sequences(); with `comm`, rank r takes blocks
// r, r + P, ... and the sums are combined, so the result does not depend on the rank count
// beyond summation order. `progress` (may be null) advances by sequences. With `divergence`,
// each block keeps its clean logits (2 · rows · d_vocab_out floats on the device) for the KL
// divergences. Throws UsageError for an encoder, naming reconstruction_metrics instead.
CeLossRecovered ce_loss_recovered(ForwardPass& pass, const HookPoint& hook, HookEdit& replacement,
                                  std::span<const std::int32_t> ids, std::int64_t sequences, dist::Comm* comm,
                                  Progress* progress = nullptr, bool divergence = true);

// What replacing a hook's activations x by x̂ keeps of them, over every token:
//   mse = mean over tokens of ‖x − x̂‖²;  fvu = Σ‖x − x̂‖² / Σ‖x − mean(x)‖²;
//   cosine = mean over tokens of cos(x, x̂);  l2 ratio = mean ‖x̂‖ / ‖x‖.
// Blocks and ranks as ce_loss_recovered.
struct ReconstructionMetrics {
  double mse = 0.0;
  double fvu = 0.0;
  double cosine = 0.0;
  double l2_ratio = 0.0;
  std::int64_t tokens = 0;
};
ReconstructionMetrics reconstruction_metrics(ForwardPass& pass, const HookPoint& hook, HookEdit& replacement,
                                             std::span<const std::int32_t> ids, std::int64_t sequences,
                                             dist::Comm* comm, Progress* progress = nullptr);

}  // namespace coact::model
