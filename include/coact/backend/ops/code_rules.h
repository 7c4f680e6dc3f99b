// Sparse codes by rule (CodeRule: JumpReLU thresholds, the JumpReLU straight-through band,
// gated SAEs, the global BatchTopK selection), the value histograms the BatchTopK selection
// walks, and the JumpReLU threshold gradient, shared by every backend. Row functors take one
// item per row and write its entries in increasing column order, as every code builder does.
#pragma once

#include <cstdint>
#include <cstring>

#include "coact/backend/sparse.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

// Whether v = in + bias at column c enters the code under `rule`, and its value. `ties_left`
// is the row's remaining allowance of entries equal to the level (Above).
COACT_HD inline bool rule_selects(const CodeRule& rule, float in, float bias, std::int64_t c, std::int64_t& ties_left,
                                  float& value) {
  const float v = in + bias;
  switch (rule.kind) {
    case CodeRule::Kind::Threshold:
      value = v;
      return v > rule.threshold[c];
    case CodeRule::Kind::Band: {
      const float u = (v - rule.threshold[c]) / rule.bandwidth;
      value = v;
      return u > -0.5f && u < 0.5f;
    }
    case CodeRule::Kind::Gated: {
      if (!(v > 0.0f)) return false;
      value = in * rule.mag_scale[c] + rule.mag_bias[c];
      return value > 0.0f;
    }
    case CodeRule::Kind::Above:
      value = v;
      if (v > rule.level) return true;
      if (v == rule.level && ties_left > 0) {
        --ties_left;
        return true;
      }
      return false;
    case CodeRule::Kind::Equal:
      value = v;
      return v == rule.level;
  }
  return false;
}

// The count of a row. Threshold, Band, Equal and Above without ties are branch-free comparisons
// written out per kind (the same expressions as rule_selects), so the loop vectorises; the other
// kinds keep the shared rule.
struct CountSelected {
  std::int64_t cols;
  const float* in;
  const float* bias;
  CodeRule rule;
  std::int64_t* counts;
  COACT_HD void operator()(std::int64_t r) const {
    const float* row = in + r * cols;
    std::int64_t count = 0;
    using Kind = CodeRule::Kind;
    if (rule.kind == Kind::Threshold) {
      for (std::int64_t c = 0; c < cols; ++c) count += row[c] + bias[c] > rule.threshold[c] ? 1 : 0;
    } else if (rule.kind == Kind::Band) {
      for (std::int64_t c = 0; c < cols; ++c) {
        const float u = (row[c] + bias[c] - rule.threshold[c]) / rule.bandwidth;
        count += u > -0.5f && u < 0.5f ? 1 : 0;
      }
    } else if (rule.kind == Kind::Equal) {
      for (std::int64_t c = 0; c < cols; ++c) count += row[c] + bias[c] == rule.level ? 1 : 0;
    } else if (rule.kind == Kind::Above && !rule.ties) {
      for (std::int64_t c = 0; c < cols; ++c) count += row[c] + bias[c] > rule.level ? 1 : 0;
    } else {  // gated, and Above with a tie allowance (taken in column order)
      std::int64_t ties = rule.ties ? rule.ties[r] : 0;
      float value = 0.0f;
      for (std::int64_t c = 0; c < cols; ++c) count += rule_selects(rule, row[c], bias[c], c, ties, value) ? 1 : 0;
    }
    counts[r] = count;
  }
};

struct GatherSelected {
  std::int64_t cols;
  const float* in;
  const float* bias;
  CodeRule rule;
  const std::int64_t* offsets;
  std::int32_t* index;
  float* value;
  COACT_HD void operator()(std::int64_t r) const {
    const float* row = in + r * cols;
    std::int64_t ties = rule.ties ? rule.ties[r] : 0, at = offsets[r];
    float v = 0.0f;
    for (std::int64_t c = 0; c < cols; ++c)
      if (rule_selects(rule, row[c], bias[c], c, ties, v)) {
        index[at] = static_cast<std::int32_t>(c);
        value[at] = v;
        ++at;
      }
  }
};

// The histogram bucket of v = in + bias, or −1 when v is not counted. Positive floats order as
// their bit patterns read as unsigned integers, so bucketing the high 16 bits, then the low 16
// bits of the values in one high bucket, locates any rank's value exactly in two passes. With
// prefix < 0 every v > 0 counts by its high bits; otherwise only the v > 0 whose high bits
// equal the prefix, by their low bits.
COACT_HD inline std::int64_t value_bucket(float v, std::int64_t prefix) {
  if (!(v > 0.0f)) return -1;
  std::uint32_t bits = 0;
  memcpy(&bits, &v, sizeof bits);
  if (prefix < 0) return static_cast<std::int64_t>(bits >> 16);
  return static_cast<std::int64_t>(bits >> 16) == prefix ? static_cast<std::int64_t>(bits & 0xFFFFu) : -1;
}

// The JumpReLU threshold's gradient from one band entry e of column j = index[e], with g[e] the
// gradient reaching the code entry from the reconstruction: the straight-through estimates of
// ∂z/∂θ = −(θ_j/ε)·K and of ∂L0/∂θ = −(1/ε)·K (K the rectangle kernel, 1 in the band) give
// out[e] = −(θ_j·g[e] + l0) / ε, where l0 is the L0 term's weight per entry (λ / batch rows).
struct ThresholdGradients {
  const std::int32_t* index;
  const float* g;
  const float* threshold;
  float l0;
  float bandwidth;
  float* out;
  COACT_HD void operator()(std::int64_t e) const { out[e] = -(threshold[index[e]] * g[e] + l0) / bandwidth; }
};

}  // namespace coact::backend::ops
