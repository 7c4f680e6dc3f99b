// CE-loss recovered: three forward passes per block of sequences (clean, replaced, zero-ablated),
// with the KL divergences of the patched distributions; reconstruction metrics at a hook.
#include "coact/model/ce_recovered.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/dist/comm.h"

namespace coact::model {
namespace {

// Rank r takes blocks r, r + P, ...: run(block, first, count) fills that block's `slots` sums;
// the allreduce adds zeros elsewhere (exact), and the totals are summed in block order, so they
// do not depend on the number of ranks.
template <class Run>
std::vector<double> blockwise_sums(std::int64_t sequences, std::int64_t batch, std::size_t slots, dist::Comm* comm,
                                   Progress* progress, const Run& run) {
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  const std::int64_t blocks = (sequences + batch - 1) / batch;
  std::vector<double> sums(static_cast<std::size_t>(blocks) * slots, 0.0);
  const std::int64_t rounds = (blocks + ranks - 1) / ranks;
  for (std::int64_t round = 0; round < rounds; ++round) {
    const std::int64_t block = round * ranks + rank;
    if (block < blocks) {
      const std::int64_t first = block * batch, count = std::min(batch, sequences - first);
      run(first, count, sums.data() + static_cast<std::size_t>(block) * slots);
    }
    if (progress) {
      const std::int64_t done_before = std::min(sequences, round * ranks * batch);
      progress->advance(std::min(sequences, (round + 1) * ranks * batch) - done_before);
    }
  }
  if (comm && ranks > 1) comm->allreduce_sum(std::span<double>(sums));
  std::vector<double> totals(slots, 0.0);
  for (std::int64_t block = 0; block < blocks; ++block)
    for (std::size_t slot = 0; slot < slots; ++slot) totals[slot] += sums[static_cast<std::size_t>(block) * slots + slot];
  return totals;
}

template <class T>
void reserve(backend::Buffer<T>& buffer, backend::Backend& backend, std::int64_t count) {
  if (static_cast<std::int64_t>(buffer.size()) < count) buffer = backend::Buffer<T>(backend, static_cast<std::size_t>(count));
}

double device_sum(backend::Backend& backend, const float* values, std::int64_t count) {
  std::vector<float> host(static_cast<std::size_t>(count));
  backend.copy_bytes(host.data(), values, host.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  double sum = 0.0;
  for (float v : host) sum += v;
  return sum;
}

}  // namespace

double CeLossRecovered::recovered() const {
  const double span = zero_ablated - clean;
  return span != 0.0 ? (zero_ablated - replaced) / span : std::numeric_limits<double>::quiet_NaN();
}

CeLossRecovered ce_loss_recovered(ForwardPass& pass, const HookPoint& hook, HookEdit& replacement,
                                  std::span<const std::int32_t> ids, std::int64_t sequences, dist::Comm* comm,
                                  Progress* progress, bool divergence) {
  const TransformerConfig& config = pass.model().config();
  COACT_REQUIRE(!config.encoder(), UsageError, "CE-loss recovered: ", config.name.empty() ? "the model" : config.name,
                " is an encoder (", config.family, ") with no next-token prediction; measure its reconstruction ",
                "metrics (FVU, cosine) instead");
  const std::int64_t T = pass.seq_len(), batch = pass.max_sequences();
  COACT_REQUIRE(sequences >= 1 && static_cast<std::int64_t>(ids.size()) == sequences * T, UsageError,
                "CE-loss recovered: ", ids.size(), " token ids for ", sequences, " sequences of ", T);
  COACT_REQUIRE(T >= 2, UsageError, "CE-loss recovered needs sequences of at least 2 tokens");
  backend::Backend& b = pass.model().backend();
  const std::int64_t vocab = config.d_vocab_out;
  ZeroAblation zero;
  HookEdit* edits[3] = {nullptr, &replacement, &zero};
  backend::Buffer<float> clean_logits, divergences;
  backend::Buffer<std::int32_t> targets;
  std::vector<std::int32_t> host_targets;
  // Slots per block: the three loss sums, then the two KL sums.
  const std::vector<double> totals = blockwise_sums(sequences, batch, 5, comm, progress, [&](std::int64_t first, std::int64_t count, double* slots) {
    const auto part = ids.subspan(static_cast<std::size_t>(first * T), static_cast<std::size_t>(count * T));
    const std::int64_t rows = count * T;
    if (divergence) {
      host_targets.assign(static_cast<std::size_t>(rows), 0);
      for (std::int64_t r = T - 1; r < rows; r += T) host_targets[static_cast<std::size_t>(r)] = -1;
      reserve(targets, b, rows);
      reserve(divergences, b, rows);
      reserve(clean_logits, b, rows * vocab);
      b.copy_bytes(targets.data(), host_targets.data(), host_targets.size() * sizeof(std::int32_t),
                   backend::CopyKind::HostToDevice);
    }
    for (int variant = 0; variant < 3; ++variant) {
      ForwardRequest request;
      request.hook = hook;
      request.edit = edits[variant];
      request.losses = true;
      request.logits = divergence;
      pass.run(part, count, request);
      slots[variant] = pass.loss_sum();
      if (!divergence) continue;
      if (variant == 0) {
        b.copy_bytes(clean_logits.data(), pass.logits(), static_cast<std::size_t>(rows * vocab) * sizeof(float),
                     backend::CopyKind::DeviceToDevice);
      } else {
        b.kl_divergence_rows(rows, vocab, clean_logits.data(), pass.logits(), vocab, targets.data(), divergences.data());
        slots[2 + variant] = device_sum(b, divergences.data(), rows);
      }
    }
  });
  CeLossRecovered result;
  result.sequences = sequences;
  result.tokens = sequences * (T - 1);
  const double n = static_cast<double>(result.tokens);
  result.clean = totals[0] / n;
  result.replaced = totals[1] / n;
  result.zero_ablated = totals[2] / n;
  result.has_kl = divergence;
  result.kl_replaced = totals[3] / n;
  result.kl_zero_ablated = totals[4] / n;
  for (double value : {result.clean, result.replaced, result.zero_ablated, result.kl_replaced, result.kl_zero_ablated})
    COACT_REQUIRE(std::isfinite(value), NumericError, "CE-loss recovered: a mean is not finite (clean ", result.clean,
                  ", replaced ", result.replaced, ", zero-ablated ", result.zero_ablated, ", KL ", result.kl_replaced,
                  ", ", result.kl_zero_ablated, ")");
  return result;
}

ReconstructionMetrics reconstruction_metrics(ForwardPass& pass, const HookPoint& hook, HookEdit& replacement,
                                             std::span<const std::int32_t> ids, std::int64_t sequences,
                                             dist::Comm* comm, Progress* progress) {
  const TransformerConfig& config = pass.model().config();
  COACT_REQUIRE(hook.site != HookSite::Logits, UsageError, "reconstruction metrics: the logits are not replaced");
  const std::int64_t T = pass.seq_len(), batch = pass.max_sequences(), width = hook.width(config);
  COACT_REQUIRE(sequences >= 1 && static_cast<std::int64_t>(ids.size()) == sequences * T, UsageError,
                "reconstruction metrics: ", ids.size(), " token ids for ", sequences, " sequences of ", T);
  backend::Backend& b = pass.model().backend();
  backend::Buffer<float> edited;
  std::vector<float> x, xhat;
  // Slots: Σ‖x − x̂‖², Σ cos, Σ ‖x̂‖/‖x‖, Σ‖x‖², then Σ x per column (for Σ‖x − mean‖²).
  const std::size_t slots = 4 + static_cast<std::size_t>(width);
  const std::vector<double> totals = blockwise_sums(sequences, batch, slots, comm, progress, [&](std::int64_t first, std::int64_t count, double* s) {
    const auto part = ids.subspan(static_cast<std::size_t>(first * T), static_cast<std::size_t>(count * T));
    const std::int64_t rows = count * T;
    ForwardRequest request;
    request.hook = hook;
    request.capture = true;
    pass.run(part, count, request);
    reserve(edited, b, rows * width);
    b.copy_bytes(edited.data(), pass.activations(), static_cast<std::size_t>(rows * width) * sizeof(float),
                 backend::CopyKind::DeviceToDevice);
    replacement.apply(b, edited.data(), rows, width);
    x.resize(static_cast<std::size_t>(rows * width));
    xhat.resize(x.size());
    b.copy_bytes(x.data(), pass.activations(), x.size() * sizeof(float), backend::CopyKind::DeviceToHost);
    b.copy_bytes(xhat.data(), edited.data(), xhat.size() * sizeof(float), backend::CopyKind::DeviceToHost);
    for (std::int64_t r = 0; r < rows; ++r) {
      double error = 0.0, dot = 0.0, norm_x = 0.0, norm_hat = 0.0;
      for (std::int64_t c = 0; c < width; ++c) {
        const double a = x[static_cast<std::size_t>(r * width + c)], h = xhat[static_cast<std::size_t>(r * width + c)];
        error += (a - h) * (a - h);
        dot += a * h;
        norm_x += a * a;
        norm_hat += h * h;
        s[4 + c] += a;
      }
      s[0] += error;
      s[1] += dot / std::max(std::sqrt(norm_x * norm_hat), 1e-30);
      s[2] += std::sqrt(norm_hat) / std::max(std::sqrt(norm_x), 1e-30);
      s[3] += norm_x;
    }
  });
  ReconstructionMetrics m;
  m.tokens = sequences * T;
  const double n = static_cast<double>(m.tokens);
  double mean_square = 0.0;  // Σ_c (Σ x_c)² / n
  for (std::int64_t c = 0; c < width; ++c) mean_square += totals[4 + static_cast<std::size_t>(c)] * totals[4 + static_cast<std::size_t>(c)] / n;
  const double variance = totals[3] - mean_square;  // Σ‖x − mean‖²
  m.mse = totals[0] / n;
  m.fvu = variance > 0 ? totals[0] / variance : std::numeric_limits<double>::quiet_NaN();
  m.cosine = totals[1] / n;
  m.l2_ratio = totals[2] / n;
  return m;
}

}  // namespace coact::model
