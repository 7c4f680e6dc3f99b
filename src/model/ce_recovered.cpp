// CE-loss recovered: three forward passes per block of sequences (clean, replaced, zero-ablated).
#include "coact/model/ce_recovered.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/dist/comm.h"

namespace coact::model {

double CeLossRecovered::recovered() const {
  const double span = zero_ablated - clean;
  return span != 0.0 ? (zero_ablated - replaced) / span : std::numeric_limits<double>::quiet_NaN();
}

CeLossRecovered ce_loss_recovered(ForwardPass& pass, const HookPoint& hook, HookEdit& replacement,
                                  std::span<const std::int32_t> ids, std::int64_t sequences, dist::Comm* comm,
                                  Progress* progress) {
  const std::int64_t T = pass.seq_len(), batch = pass.max_sequences();
  COACT_REQUIRE(sequences >= 1 && static_cast<std::int64_t>(ids.size()) == sequences * T, UsageError,
                "CE-loss recovered: ", ids.size(), " token ids for ", sequences, " sequences of ", T);
  const int rank = comm ? comm->rank() : 0, ranks = comm ? comm->size() : 1;
  const std::int64_t blocks = (sequences + batch - 1) / batch;
  // Each block's three loss sums in its own slots: ranks fill theirs, the allreduce adds zeros
  // elsewhere (exact), and the totals are summed in block order, so they do not depend on the
  // number of ranks.
  std::vector<double> sums(static_cast<std::size_t>(3 * blocks), 0.0);
  ZeroAblation zero;
  HookEdit* edits[3] = {nullptr, &replacement, &zero};
  const std::int64_t rounds = (blocks + ranks - 1) / ranks;
  for (std::int64_t round = 0; round < rounds; ++round) {
    const std::int64_t block = round * ranks + rank;
    if (block < blocks) {
      const std::int64_t first = block * batch, count = std::min(batch, sequences - first);
      const auto part = ids.subspan(static_cast<std::size_t>(first * T), static_cast<std::size_t>(count * T));
      for (int variant = 0; variant < 3; ++variant) {
        ForwardRequest request;
        request.hook = hook;
        request.edit = edits[variant];
        request.losses = true;
        pass.run(part, count, request);
        sums[static_cast<std::size_t>(3 * block + variant)] = pass.loss_sum();
      }
    }
    if (progress) {
      const std::int64_t done_before = std::min(sequences, round * ranks * batch);
      progress->advance(std::min(sequences, (round + 1) * ranks * batch) - done_before);
    }
  }
  if (comm && ranks > 1) comm->allreduce_sum(std::span<double>(sums));
  double totals[3] = {0.0, 0.0, 0.0};
  for (std::int64_t block = 0; block < blocks; ++block)
    for (int variant = 0; variant < 3; ++variant) totals[variant] += sums[static_cast<std::size_t>(3 * block + variant)];
  CeLossRecovered result;
  result.sequences = sequences;
  result.tokens = sequences * (T - 1);
  COACT_REQUIRE(result.tokens > 0, UsageError, "CE-loss recovered needs sequences of at least 2 tokens");
  const double n = static_cast<double>(result.tokens);
  result.clean = totals[0] / n;
  result.replaced = totals[1] / n;
  result.zero_ablated = totals[2] / n;
  for (double value : {result.clean, result.replaced, result.zero_ablated})
    COACT_REQUIRE(std::isfinite(value), NumericError, "CE-loss recovered: a mean loss is not finite (clean ", result.clean,
                  ", replaced ", result.replaced, ", zero-ablated ", result.zero_ablated, ")");
  return result;
}

}  // namespace coact::model
