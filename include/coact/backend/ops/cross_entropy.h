// Next-token cross-entropy of rows of logits, shared by every backend.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/backend/ops/fast_math.h"
#include "coact/backend/ops/lanes.h"
#include "coact/backend/ops/row_lanes.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// Σ_j e^(x_j − top) over a row, in kLanes partial sums (the order of row_lanes.h).
COACT_HD inline float sum_exp_lanes(const float* x, float top, std::int64_t n) {
  return lane_sum<float, kLanes>(n, [x, top](std::int64_t i) { return exp_approx(x[i] - top); });
}

// The loss of one row once its max and Σ e^(x − max) are known.
COACT_HD inline float cross_entropy_from(float top, float sum_exp, float target_logit) {
  return top + logf(sum_exp) - target_logit;
}

// losses[r] = log Σ_j e^(logits[r, j]) − logits[r, targets[r]] (the negative log-probability
// of the target), or 0 where targets[r] < 0 (no next token: a sequence's last position).
// Rows of logits are `ld` floats apart.
struct CrossEntropyRows {
  std::int64_t vocab;
  std::int64_t ld;
  const float* logits;
  const std::int32_t* targets;
  float* losses;
  COACT_HD void operator()(std::int64_t r) const {
    const std::int32_t target = targets[r];
    if (target < 0) {
      losses[r] = 0.0f;
      return;
    }
    const float* row = logits + r * ld;
    const float top = max_lanes(row, vocab);
    losses[r] = cross_entropy_from(top, sum_exp_lanes(row, top, vocab), row[target]);
  }
};

// out[r] = KL(softmax(reference[r]) ‖ softmax(logits[r])) = Σ_j p_j (log p_j − log q_j), the
// divergence of a patched next-token distribution from the clean one, or 0 where targets[r] < 0
// (positions without a next token, as for the losses). Accumulated in double: the divergence of
// close distributions is a small difference of large sums.
struct KlDivergenceRows {
  std::int64_t vocab;
  std::int64_t ld;
  const float* reference;
  const float* logits;
  const std::int32_t* targets;
  float* out;
  COACT_HD void operator()(std::int64_t r) const {
    if (targets[r] < 0) {
      out[r] = 0.0f;
      return;
    }
    const float* p = reference + r * ld;
    const float* q = logits + r * ld;
    double top_p = p[0], top_q = q[0];
    for (std::int64_t j = 1; j < vocab; ++j) {
      top_p = p[j] > top_p ? p[j] : top_p;
      top_q = q[j] > top_q ? q[j] : top_q;
    }
    double sum_p = 0.0, sum_q = 0.0, weighted = 0.0;
    for (std::int64_t j = 0; j < vocab; ++j) {
      const double e = exp(static_cast<double>(p[j]) - top_p);
      sum_p += e;
      sum_q += exp(static_cast<double>(q[j]) - top_q);
      weighted += e * (static_cast<double>(p[j]) - q[j]);
    }
    // Σ p (p_j − q_j) − lse(p) + lse(q), with Σ p = 1.
    const double kl = weighted / sum_p - (top_p + log(sum_p)) + (top_q + log(sum_q));
    out[r] = static_cast<float>(kl > 0.0 ? kl : 0.0);
  }
};

}  // namespace coact::backend::ops
