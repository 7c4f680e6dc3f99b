// Small SAE training problems shared by the sae tests: a configured SAE with a perturbed start,
// a batch with structure, and comparison helpers.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/sae/trainer.h"

namespace coact::sae::testing {

inline std::vector<float> uniform_vector(std::size_t count, unsigned seed, float lo, float hi) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(count);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Rows with a mean offset and per-dimension scales, so the batch variance and b_dec matter.
inline std::vector<float> make_batch(std::int64_t rows, std::int64_t d, unsigned seed) {
  auto x = uniform_vector(static_cast<std::size_t>(rows * d), seed, -1.5f, 1.5f);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t i = 0; i < d; ++i) x[r * d + i] = x[r * d + i] * (1.0f + 0.05f * static_cast<float>(i % 20)) + 0.2f;
  return x;
}

inline SaeConfig small_config(Recipe recipe, std::int64_t d = 24, std::int64_t n = 64) {
  SaeConfig c = default_config(recipe, d, n, 99);
  if (recipe == Recipe::TopK || selects_over_batch(recipe)) {
    c.k = 6;
    c.lr_warmup_steps = 0;
    // Three levels whose widths do not divide n evenly.
    if (recipe == Recipe::Matryoshka) c.matryoshka_widths = str(n / 8, ",", n / 3, ",", n);
  } else if (recipe == Recipe::JumpRelu) {
    c.lr = 1e-3;
    c.lr_warmup_steps = 0;
    c.l0_warmup_steps = 0;
    c.l0_coeff = 0.05;
    c.bandwidth = 0.05;  // a band wide enough that a small batch has entries in it
  } else {
    c.lr = 1e-3;
  }
  return c;
}

// Initialises the SAE for its recipe and moves the biases off zero (b_enc negative for ReLU,
// so the code is sparse-ish).
inline void perturbed_init(Sae& sae, const SaeConfig& c, unsigned seed) {
  sae.init(c.seed, c.recipe, c.threshold_init);
  SaeTensors t = sae.to_host();
  t.b_dec = uniform_vector(t.b_dec.size(), seed, -0.3f, 0.3f);
  t.b_enc = c.recipe == Recipe::Nanda1L ? uniform_vector(t.b_enc.size(), seed + 1, -1.3f, -0.7f)
                                        : uniform_vector(t.b_enc.size(), seed + 1, -0.1f, 0.1f);
  if (c.recipe == Recipe::JumpRelu) t.threshold = uniform_vector(t.threshold.size(), seed + 2, 0.05f, 0.4f);
  sae.from_host(t);
}

// ‖a − b‖ / ‖b‖ over a range of two host vectors.
inline double relative_error(const float* a, const float* b, std::size_t count) {
  double err = 0, ref = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const double diff = static_cast<double>(a[i]) - b[i];
    err += diff * diff;
    ref += static_cast<double>(b[i]) * b[i];
  }
  return ref > 0 ? std::sqrt(err / ref) : std::sqrt(err);
}

inline double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  return relative_error(a.data(), b.data(), std::min(a.size(), b.size()));
}

inline void expect_tensors_near(const SaeTensors& got, const SaeTensors& want, double tol, const char* what) {
  EXPECT_LT(relative_error(got.w_enc, want.w_enc), tol) << what << ": W_enc";
  EXPECT_LT(relative_error(got.b_enc, want.b_enc), tol) << what << ": b_enc";
  EXPECT_LT(relative_error(got.w_dec, want.w_dec), tol) << what << ": W_dec";
  EXPECT_LT(relative_error(got.b_dec, want.b_dec), tol) << what << ": b_dec";
  EXPECT_EQ(got.threshold.size(), want.threshold.size()) << what << ": threshold";
  if (!want.threshold.empty()) {
    EXPECT_LT(relative_error(got.threshold, want.threshold), tol) << what << ": threshold";
  }
}

}  // namespace coact::sae::testing
