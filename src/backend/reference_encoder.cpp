// Plain reference versions of the encoder-kind ops, written independently of the shared
// functors (ops/code_rules.h, ops/input_norm.h) so the op tests compare two derivations.
#include <cmath>
#include <cstring>
#include <vector>

#include "coact/backend/reference.h"

namespace coact::backend::reference {
namespace {

// Row r's selected (column, value) pairs under `rule`, in column order.
std::vector<std::pair<std::int32_t, float>> selected(std::int64_t r, std::int64_t cols, const float* in,
                                                     const float* bias, const CodeRule& rule) {
  std::vector<std::pair<std::int32_t, float>> out;
  std::int64_t ties = rule.ties ? rule.ties[r] : 0;
  for (std::int64_t c = 0; c < cols; ++c) {
    const float pre = in[r * cols + c];
    const float v = pre + bias[c];
    bool take = false;
    float value = v;
    switch (rule.kind) {
      case CodeRule::Kind::Threshold: take = v > rule.threshold[c]; break;
      case CodeRule::Kind::Band: {
        const float u = (v - rule.threshold[c]) / rule.bandwidth;
        take = std::fabs(u) < 0.5f;
        break;
      }
      case CodeRule::Kind::Gated:
        value = pre * rule.mag_scale[c] + rule.mag_bias[c];
        take = v > 0.0f && value > 0.0f;
        break;
      case CodeRule::Kind::Above:
        take = v > rule.level || (v == rule.level && ties-- > 0);
        break;
      case CodeRule::Kind::Equal: take = v == rule.level; break;
    }
    if (take) out.emplace_back(static_cast<std::int32_t>(c), value);
  }
  return out;
}

}  // namespace

void count_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                    std::int64_t* counts) {
  for (std::int64_t r = 0; r < rows; ++r) counts[r] = static_cast<std::int64_t>(selected(r, cols, in, bias, rule).size());
}

void gather_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, const CodeRule& rule,
                     const std::int64_t* offsets, std::int32_t* index, float* value) {
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t at = offsets[r];
    for (const auto& [c, v] : selected(r, cols, in, bias, rule)) {
      index[at] = c;
      value[at++] = v;
    }
  }
}

void value_histogram(std::int64_t rows, std::int64_t cols, const float* in, const float* bias, std::int64_t prefix,
                     std::int64_t* counts) {
  for (std::int64_t b = 0; b < kValueBuckets; ++b) counts[b] = 0;
  for (std::int64_t i = 0; i < rows * cols; ++i) {
    const float v = in[i] + bias[i % cols];
    if (!(v > 0.0f)) continue;
    std::uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    if (prefix < 0) ++counts[bits >> 16];
    else if ((bits >> 16) == static_cast<std::uint32_t>(prefix)) ++counts[bits & 0xFFFFu];
  }
}

void threshold_gradients(std::int64_t nnz, const std::int32_t* index, const float* g, const float* threshold, float l0,
                         float bandwidth, float* out) {
  for (std::int64_t e = 0; e < nnz; ++e) out[e] = -(threshold[index[e]] * g[e] + l0) / bandwidth;
}

void normalize_inputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in, float* out,
                      float* row_stats) {
  for (std::int64_t r = 0; r < rows; ++r) {
    std::vector<double> x(static_cast<std::size_t>(cols));
    for (std::int64_t c = 0; c < cols; ++c) x[c] = static_cast<float>(in[r * cols + c] - (norm.mean ? norm.mean[c] : 0.0f));
    double m = 0.0, f = 1.0, g = 1.0;
    if (norm.kind == InputNorm::Kind::Scale) {
      f = norm.scale;
      g = 1.0 / norm.scale;
    } else if (norm.kind == InputNorm::Kind::ConstantNorm) {
      double squares = 0.0;
      for (double v : x) squares += v * v;
      f = std::sqrt(static_cast<double>(cols)) / std::sqrt(squares);
      g = 1.0 / f;
    } else if (norm.kind == InputNorm::Kind::LayerNorm) {
      for (double v : x) m += v;
      m /= static_cast<double>(cols);
      double squares = 0.0;
      for (double v : x) squares += (v - m) * (v - m);
      g = cols > 1 ? std::sqrt(squares / static_cast<double>(cols - 1)) : 0.0;
      f = 1.0 / (g + norm.eps);
    }
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>((x[c] - m) * f);
    row_stats[r * 3] = static_cast<float>(m);
    row_stats[r * 3 + 1] = static_cast<float>(f);
    row_stats[r * 3 + 2] = static_cast<float>(g);
  }
}

void denormalize_outputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* row_stats,
                         float* inout) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) {
      const double v = static_cast<double>(inout[r * cols + c]) * row_stats[r * 3 + 2] + row_stats[r * 3];
      inout[r * cols + c] = static_cast<float>(v + (norm.mean ? norm.mean[c] : 0.0f));
    }
}

}  // namespace coact::backend::reference
