// Top-k selection by radix select: the block-per-row form of TopkRows (sparse_encode.h) that the
// cuda backend runs, one thread block per row, with the same result (the k largest positive
// values, ties to the lower column, entries in increasing column order).
//
// A candidate's key is its float's bits: for positive floats they grow with the value, so the
// k-th largest key is found digit by digit, 8 bits a pass from the top, from a 256-bin histogram
// of the keys that still match the chosen prefix. After four passes the threshold key T is
// exact and `ties` says how many entries equal to T are taken; a scan in column order then
// takes every key above T and the first `ties` keys equal to T. Rows with at most k candidates
// take them all. These helpers are the whole selection arithmetic; the kernel adds only the
// parallel histogram, the block scans and the launch, and the cpu tests replay it with them.
#pragma once

#include <cstdint>

#include "coact/backend/ops/bf16.h"
#include "coact/core/hd.h"

namespace coact::backend::ops {

struct RadixTopk {
  static constexpr int kDigitBits = 8;
  static constexpr int kDigits = 1 << kDigitBits;
  static constexpr int kPasses = 32 / kDigitBits;

  // 0 for an entry that cannot be chosen (not allowed, or value <= 0 or NaN, as TopkRows).
  COACT_HD static std::uint32_t key(float v, bool allowed) { return allowed && v > 0.0f ? float_bits(v) : 0u; }
  COACT_HD static int shift(int pass) { return 32 - kDigitBits * (pass + 1); }
  COACT_HD static std::uint32_t digit(std::uint32_t key, int pass) {
    return (key >> shift(pass)) & static_cast<std::uint32_t>(kDigits - 1);
  }
  // The key bits fixed by the passes before `pass`.
  COACT_HD static std::uint32_t prefix_mask(int pass) { return pass == 0 ? 0u : ~0u << (32 - kDigitBits * pass); }
  COACT_HD static bool matches(std::uint32_t key, std::uint32_t prefix, int pass) {
    return key != 0 && (key & prefix_mask(pass)) == prefix;
  }

  struct Choice {
    std::uint32_t prefix;     // the prefix extended by this pass's digit
    std::uint32_t remaining;  // entries still to take among the keys with that prefix
  };
  // From this pass's histogram (candidates matching `prefix`, by digit) and the count still to
  // take (1 <= remaining <= their number): the digit that holds the remaining-th largest key,
  // and how many of its keys are still to take once every larger digit's are.
  COACT_HD static Choice choose(const std::uint32_t* histogram, std::uint32_t prefix, std::uint32_t remaining,
                                int pass) {
    std::uint32_t above = 0;
    int d = kDigits - 1;
    for (; d > 0; --d) {
      if (above + histogram[d] >= remaining) break;
      above += histogram[d];
    }
    return {prefix | (static_cast<std::uint32_t>(d) << shift(pass)), remaining - above};
  }

  // Whether an entry is taken in the final ordered scan, given how many keys equal to the
  // threshold came before it in column order (threshold 0: take every candidate).
  COACT_HD static bool taken(std::uint32_t key, std::uint32_t threshold, std::uint32_t ties,
                             std::uint32_t ties_before) {
    return key > threshold || (key != 0 && key == threshold && ties_before < ties);
  }
};

// ⟨a, b⟩ summed by `lanes` threads, lane l taking elements l, l + lanes, ... (coalesced across
// a warp); the lanes' partial sums are then combined by tree_sum_lanes in the order of a
// shuffle-down reduction.
COACT_HD inline float strided_partial_dot(const float* a, const float* b, std::int64_t n, int lane, int lanes) {
  float s = 0.0f;
  for (std::int64_t i = lane; i < n; i += lanes) s += a[i] * b[i];
  return s;
}

// partial[l] += partial[l + offset] for offset = lanes/2, ..., 1: what __shfl_down_sync leaves in
// lane 0 (lanes a power of two). Overwrites `partial`; returns the sum.
COACT_HD inline float tree_sum_lanes(float* partial, int lanes) {
  for (int offset = lanes / 2; offset > 0; offset /= 2)
    for (int l = 0; l < offset; ++l) partial[l] += partial[l + offset];
  return partial[0];
}

}  // namespace coact::backend::ops
