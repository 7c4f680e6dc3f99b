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

void attention(const AttentionShape& shape, const float* qkv, float* out) {
  const std::int64_t T = shape.seq_len, dh = shape.head_dim, width = shape.width(), ld = shape.input_width();
  const std::int64_t group = shape.heads / shape.groups();
  std::vector<double> weights(static_cast<std::size_t>(T));
  for (std::int64_t s = 0; s < shape.sequences; ++s) {
    const std::int64_t valid = shape.lengths ? shape.lengths[s] : T;
    for (std::int64_t h = 0; h < shape.heads; ++h) {
      const std::int64_t kv = h / group;
      for (std::int64_t t = 0; t < T; ++t) {
        const float* q = qkv + (s * T + t) * ld + h * dh;
        auto visible = [&](std::int64_t j) {
          return (!shape.causal || j <= t) && (shape.window <= 0 || t - j < shape.window) && j < valid;
        };
        double top = -INFINITY;
        for (std::int64_t j = 0; j < T; ++j) {
          if (!visible(j)) continue;
          const float* k = qkv + (s * T + j) * ld + width + kv * dh;
          double dot = 0.0;
          for (std::int64_t e = 0; e < dh; ++e) dot += static_cast<double>(q[e]) * k[e];
          double score = shape.scale * dot;
          if (shape.softcap > 0.0f) score = shape.softcap * std::tanh(score / shape.softcap);
          weights[j] = score;
          top = std::max(top, score);
        }
        double total = 0.0;
        for (std::int64_t j = 0; j < T; ++j) total += weights[j] = visible(j) ? std::exp(weights[j] - top) : 0.0;
        for (std::int64_t e = 0; e < dh; ++e) {
          double acc = 0.0;
          for (std::int64_t j = 0; j < T; ++j)
            if (visible(j)) acc += weights[j] * qkv[(s * T + j) * ld + width + shape.kv_width() + kv * dh + e];
          out[(s * T + t) * width + h * dh + e] = total > 0.0 ? static_cast<float>(acc / total) : 0.0f;
        }
      }
    }
  }
}

void rmsnorm(std::int64_t rows, std::int64_t cols, float eps, const float* in, const float* weight, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* x = in + r * cols;
    double squares = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) squares += static_cast<double>(x[c]) * x[c];
    const double inverse = 1.0 / std::sqrt(squares / static_cast<double>(cols) + eps);
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>(x[c] * inverse * (weight ? weight[c] : 1.0f));
  }
}

void affine_columns(std::int64_t rows, std::int64_t cols, const float* weight, const float* bias, const float* in,
                    float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = static_cast<float>(static_cast<double>(in[r * cols + c]) * (weight ? weight[c] : 1.0f) +
                                             (bias ? bias[c] : 0.0f));
}

void gather_rows(std::int64_t rows, std::int64_t cols, const std::int32_t* tokens, const float* table, float scale,
                 float* out) {
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[r * cols + c] = table[tokens[r] * cols + c] * scale;
}

void rotary(std::int64_t rows, std::int64_t seq_len, std::int64_t heads, std::int64_t head_dim, std::int64_t rotary_dim,
            std::int64_t ld, const float* cos, const float* sin, float* x) {
  const std::int64_t half = rotary_dim / 2;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t p = r % seq_len;
    for (std::int64_t h = 0; h < heads; ++h) {
      float* v = x + r * ld + h * head_dim;
      for (std::int64_t i = 0; i < half; ++i) {
        const double c = cos[p * half + i], s = sin[p * half + i], x1 = v[i], x2 = v[i + half];
        v[i] = static_cast<float>(x1 * c - x2 * s);
        v[i + half] = static_cast<float>(x2 * c + x1 * s);
      }
    }
  }
}

void gated_activation(std::int64_t count, Activation kind, const float* gate, const float* up, float* out) {
  for (std::int64_t i = 0; i < count; ++i) {
    const double g = gate[i];
    double a;
    if (kind == Activation::Silu) a = g / (1.0 + std::exp(-g));
    else if (kind == Activation::GeluErf) a = 0.5 * g * (1.0 + std::erf(g / std::sqrt(2.0)));
    else a = 0.5 * g * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (g + 0.044715 * g * g * g)));
    out[i] = static_cast<float>(a * up[i]);
  }
}

void softcap(std::int64_t count, float cap, float* x) {
  for (std::int64_t i = 0; i < count; ++i) x[i] = static_cast<float>(cap * std::tanh(static_cast<double>(x[i]) / cap));
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

void kl_divergence_rows(std::int64_t rows, std::int64_t vocab, const float* reference, const float* logits,
                        std::int64_t ld, const std::int32_t* targets, float* out) {
  for (std::int64_t r = 0; r < rows; ++r) {
    if (targets[r] < 0) {
      out[r] = 0.0f;
      continue;
    }
    // Both distributions normalised on their own, then Σ p (log p − log q) term by term.
    std::vector<double> p(static_cast<std::size_t>(vocab)), q(p.size());
    double sum_p = 0.0, sum_q = 0.0;
    for (std::int64_t j = 0; j < vocab; ++j) {
      sum_p += p[j] = std::exp(static_cast<double>(reference[r * ld + j]));
      sum_q += q[j] = std::exp(static_cast<double>(logits[r * ld + j]));
    }
    double kl = 0.0;
    for (std::int64_t j = 0; j < vocab; ++j) kl += p[j] / sum_p * std::log((p[j] / sum_p) / (q[j] / sum_q));
    out[r] = static_cast<float>(kl);
  }
}

}  // namespace coact::backend::reference
