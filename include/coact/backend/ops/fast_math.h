// exp and erfc in plain float arithmetic for the transformer ops. The C library's expf/erff are
// calls the compiler cannot vectorise (without -ffast-math), and the logits' cross-entropy
// alone needs ~2·10^8 exponentials per batch of the gelu-1l benchmark; these are branch-free
// (selects only, which GCC blends with -fno-trapping-math: see src/backend/CMakeLists.txt) and
// call no library function, so the cpu loops vectorise, and the GPU runs the same arithmetic,
// keeping the backends in step. Accuracy: exp_approx about 2 ulp; erfc_nonnegative 1.2e-7 relative.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "coact/core/hd.h"

namespace coact::backend::ops {

// e^x, x clamped to [−87, 88] (results below 1.6e-38 and above 1.6e38 are not needed by the
// callers: softmax arguments are <= 0, GELU arguments are bounded before they get here).
COACT_HD inline float exp_approx(float x) {
  x = x < -87.0f ? -87.0f : x;
  x = x > 88.0f ? 88.0f : x;
  // x = n·ln2 + r with |r| <= ln2/2. ln2 is split in two (Cody–Waite): ln2_hi has 15
  // significant bits, so n·ln2_hi is exact for |n| < 2^8 and r keeps its low bits.
  // n = round(x / ln2) by the float "shifter" trick: adding 1.5·2^23 leaves the integer part in
  // the mantissa's low bits, rounded to nearest. Unlike floorf (a libm call without SSE4.1), it
  // vectorises on any x86-64 and is exact for |x / ln2| < 2^22.
  constexpr float kShifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + kShifter) - kShifter;
  const float r = (x - n * 0.693145751953125f) - n * 1.428606765330187e-6f;
  // Taylor series of e^r to degree 7: the remainder r^8/8! < 6e-9 on |r| <= 0.347.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n built from its exponent bits; n is in [−126, 127] after the clamp.
  const std::int32_t bits = (static_cast<std::int32_t>(n) + 127) << 23;
  float scale;
  memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// erfc(z) for z >= 0: the Chebyshev fit of Press et al., Numerical Recipes (2nd ed., §6.2,
// erfcc), whose fractional error is below 1.2e-7 everywhere.
COACT_HD inline float erfc_nonnegative(float z) {
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  return t * exp_approx(p - z * z);
}

}  // namespace coact::backend::ops
