// Plain references of the transformer ops: double accumulators and the C library's exp, erf
// and tanh, so they check the float approximations the backends share (ops/fast_math.h)
// rather than repeat them.
#include <algorithm>
#include <cmath>
#include <vector>

#include "coact/backend/reference.h"

namespace coact::backend::reference {

void layernorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight, const float* bias,
               float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * cols;
    double mean = 0.0, variance = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) mean += x[c];
    mean /= static_cast<double>(cols);
    for (std::int64_t c = 0; c < cols; ++c) variance += (x[c] - mean) * (x[c] - mean);
    variance /= static_cast<double>(cols);
    const double inverse = 1.0 / std::sqrt(variance + eps);
    for (std::int64_t c = 0; c < cols; ++c) {
      double y = (x[c] - mean) * inverse;
      if (weight) y *= weight[c];
      if (bias) y += bias[c];
      out[r * cols + c] = static_cast<float>(y);
    }
  }
}

void bias_gelu(std::int64_t rows, std::int64_t cols, GeluKind kind, const float* bias, const float* in, float* out) {
  const double sqrt_2_over_pi = std::sqrt(2.0 / M_PI);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t c = 0; c < cols; ++c) {
      const double x = static_cast<double>(in[r * cols + c]) + (bias ? bias[c] : 0.0f);
      const double y = kind == GeluKind::Erf ? 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))
                                             : 0.5 * x * (1.0 + std::tanh(sqrt_2_over_pi * (x + 0.044715 * x * x * x)));
      out[r * cols + c] = static_cast<float>(y);
    }
  }
}

void embed_tokens(std::int64_t rows, std::int64_t cols, std::int64_t seq_len, const std::int32_t* tokens,
                  const float* wte, const float* wpe, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t position = r % seq_len;
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = wte[tokens[r] * cols + c] + wpe[position * cols + c];
  }
}

void causal_attention(const AttentionShape& shape, const float* qkv, float* out) {
  const std::int64_t T = shape.seq_len, dh = shape.head_dim, width = shape.width();
  std::vector<double> weights(static_cast<std::size_t>(T));
  for (std::int64_t s = 0; s < shape.sequences; ++s) {
    for (std::int64_t h = 0; h < shape.heads; ++h) {
      for (std::int64_t t = 0; t < T; ++t) {
        const float* q = qkv + (s * T + t) * 3 * width + h * dh;
        double top = -INFINITY;
        for (std::int64_t j = 0; j <= t; ++j) {
          const float* k = qkv + (s * T + j) * 3 * width + width + h * dh;
          double dot = 0.0;
          for (std::int64_t e = 0; e < dh; ++e) dot += static_cast<double>(q[e]) * k[e];
          weights[j] = shape.scale * dot;
          top = std::max(top, weights[j]);
        }
        double total = 0.0;
        for (std::int64_t j = 0; j <= t; ++j) total += weights[j] = std::exp(weights[j] - top);
        for (std::int64_t e = 0; e < dh; ++e) {
          double acc = 0.0;
          for (std::int64_t j = 0; j <= t; ++j) acc += weights[j] * qkv[(s * T + j) * 3 * width + 2 * width + h * dh + e];
          out[(s * T + t) * width + h * dh + e] = static_cast<float>(acc / total);
        }
      }
    }
  }
}

void cross_entropy_rows(std::int64_t rows, std::int64_t vocab, const float* logits, std::int64_t ld,
                        const std::int32_t* targets, float* losses) {
  for (std::int64_t r = 0; r < rows; ++r) {
    if (targets[r] < 0) {
      losses[r] = 0.0f;
      continue;
    }
    const float* row = logits + r * ld;
    double top = row[0];
    for (std::int64_t j = 1; j < vocab; ++j) top = std::max(top, static_cast<double>(row[j]));
    double total = 0.0;
    for (std::int64_t j = 0; j < vocab; ++j) total += std::exp(row[j] - top);
    losses[r] = static_cast<float>(top + std::log(total) - row[targets[r]]);
  }
}

}  // namespace coact::backend::reference
