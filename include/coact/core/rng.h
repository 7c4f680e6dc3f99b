// Counter-based random numbers (Philox4x32-10, Salmon et al. 2011). A value depends only on
// (key, counter), never on the order of draws, so rank r can generate row i of a data set, or
// the k-th draw of a stream, without generating anything before it: outputs are identical
// whatever the number of ranks, and a resumed run re-creates its stream from a position.
#pragma once

#include <cmath>
#include <cstdint>

#include "coact/core/hd.h"

namespace coact {

struct Philox4x32 {
  std::uint32_t v[4];
};

COACT_HD inline void philox_mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t product = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(product >> 32);
  lo = static_cast<std::uint32_t>(product);
}

// Ten rounds of Philox4x32 on counter c with key (k0, k1).
COACT_HD inline Philox4x32 philox4x32(Philox4x32 c, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u;
  constexpr std::uint32_t W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    philox_mulhilo(M0, c.v[0], hi0, lo0);
    philox_mulhilo(M1, c.v[2], hi1, lo1);
    c = Philox4x32{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
    k0 += W0;
    k1 += W1;
  }
  return c;
}

// Uniform in [0, 1) with 24 random bits (exactly representable in float).
COACT_HD inline float uniform_float(std::uint32_t bits) { return static_cast<float>(bits >> 8) * (1.0f / 16777216.0f); }

// Uniform in [0, 1) with 53 random bits.
COACT_HD inline double uniform_double(std::uint32_t hi, std::uint32_t lo) {
  const std::uint64_t bits = (static_cast<std::uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

// High 64 bits of the 128-bit product a·b (portable: no __int128 in ISO C++ or device code).
COACT_HD inline std::uint64_t mulhi64(std::uint64_t a, std::uint64_t b) {
  const std::uint64_t a_lo = a & 0xffffffffu, a_hi = a >> 32, b_lo = b & 0xffffffffu, b_hi = b >> 32;
  const std::uint64_t lo_lo = a_lo * b_lo, hi_lo = a_hi * b_lo, lo_hi = a_lo * b_hi, hi_hi = a_hi * b_hi;
  const std::uint64_t cross = (lo_lo >> 32) + (hi_lo & 0xffffffffu) + lo_hi;
  return hi_hi + (hi_lo >> 32) + (cross >> 32);
}

// A stream of random numbers addressed by (seed, stream id, position). Every call to next()
// consumes one 128-bit block at `position`; save position() and restore it to resume.
class CounterRng {
 public:
  COACT_HD CounterRng(std::uint64_t seed, std::uint64_t stream, std::uint64_t position = 0)
      : k0_(static_cast<std::uint32_t>(seed)), k1_(static_cast<std::uint32_t>(seed >> 32)),
        stream_(stream), position_(position) {}

  // Four 32-bit random words for the current position; advances by one.
  COACT_HD Philox4x32 next() {
    const Philox4x32 counter{{static_cast<std::uint32_t>(position_), static_cast<std::uint32_t>(position_ >> 32),
                              static_cast<std::uint32_t>(stream_), static_cast<std::uint32_t>(stream_ >> 32)}};
    ++position_;
    return philox4x32(counter, k0_, k1_);
  }

  COACT_HD float uniform() { return uniform_float(next().v[0]); }
  COACT_HD double uniform_double() {
    const Philox4x32 r = next();
    return ::coact::uniform_double(r.v[0], r.v[1]);
  }
  // Uniform in [lo, hi).
  COACT_HD float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box–Muller on one block; the second value is discarded for simplicity
  // of resumption: one draw = one position).
  COACT_HD double normal() {
    const Philox4x32 r = next();
    const double u1 = 1.0 - ::coact::uniform_double(r.v[0], r.v[1]);  // (0, 1]
    const double u2 = ::coact::uniform_double(r.v[2], r.v[3]);
    return ::sqrt(-2.0 * ::log(u1)) * ::cos(6.283185307179586 * u2);
  }
  // Uniform integer in [0, bound), bound > 0 (multiply-shift; bias below 2^-32 * bound).
  COACT_HD std::uint64_t below(std::uint64_t bound) {
    const Philox4x32 r = next();
    const std::uint64_t x = (static_cast<std::uint64_t>(r.v[0]) << 32) | r.v[1];
    return mulhi64(x, bound);
  }

  COACT_HD std::uint64_t position() const { return position_; }
  COACT_HD void set_position(std::uint64_t position) { position_ = position; }
  COACT_HD std::uint64_t stream() const { return stream_; }

 private:
  std::uint32_t k0_, k1_;
  std::uint64_t stream_;
  std::uint64_t position_;
};

// Derives an independent 64-bit seed from a seed and a tag (SplitMix64 finaliser), e.g. one
// stream per (purpose, seed) pair.
COACT_HD inline std::uint64_t mix_seed(std::uint64_t seed, std::uint64_t tag) {
  std::uint64_t z = seed + 0x9E3779B97F4A7C15ull * (tag + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace coact
