// The bf16 GEMM of the cpu backend (see bf16_gemm.h). The AVX512_BF16 path is a packed GEMM in
// the usual three-level blocking: op(B) is packed (rounded to bf16) a k-slice × column block at
// a time and shared by the threads; each thread packs its own row blocks of op(A) and runs the
// micro-kernel over them. The micro-kernel keeps a 14 × 32 tile of C in 28 zmm accumulators;
// each VDPBF16PS adds, per float lane, the two products of one k-pair, so the packed panels
// hold 32-bit words of two bf16 values: (element k, element k + 1) of a row of op(A) or a
// column of op(B). Every output element is one thread's sum in a fixed k order, so results do
// not depend on the thread count.
#include "cpu/bf16_gemm.h"

#include <cblas.h>
#include <cpuid.h>
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "coact/backend/ops/bf16.h"
#include "cpu/env_switch.h"
#include "coact/core/errors.h"

#define COACT_AVX512_BF16 __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

namespace coact::backend::cpu {
namespace {

constexpr int kMr = 14;                 // rows of a C tile: 28 accumulators + 2 B vectors + 1 broadcast
constexpr int kNr = 32;                 // columns of a C tile: two vectors of 16 float lanes
constexpr std::int64_t kKc = 2048;      // k per packed slice (even: whole pairs)
constexpr std::int64_t kMc = kMr * 8;   // rows of op(A) per thread block: 112 × 2048 bf16 = 448 KiB (L2)
constexpr std::int64_t kNc = 4096;      // columns of op(B) per shared block: 16 MiB at kKc

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Grow-only, cache-line-aligned scratch of 32-bit words (one per thread: packing buffers).
class WordScratch {
 public:
  ~WordScratch() { std::free(data_); }
  std::uint32_t* get(std::size_t words) {
    if (words > capacity_) {
      std::free(data_);
      const std::size_t bytes = (words * sizeof(std::uint32_t) + 63) / 64 * 64;
      data_ = static_cast<std::uint32_t*>(std::aligned_alloc(64, bytes));
      if (!data_) throw Error("cpu bf16 gemm: out of memory for packing buffers");
      capacity_ = words;
    }
    return data_;
  }

 private:
  std::uint32_t* data_ = nullptr;
  std::size_t capacity_ = 0;
};

// A packing source: element (r, kk) of a panel dimension r (rows of op(A), columns of op(B))
// and the k dimension, stored either pairs-contiguous (x[r·ld + kk]) or rows-contiguous
// (x[kk·ld + r]).
struct PackSource {
  const float* x;
  std::int64_t ld;
  bool k_contiguous;
};

__mmask16 low_mask(std::int64_t count) {
  return count >= 16 ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << std::max<std::int64_t>(count, 0)) - 1u);
}

// Words (lo[j], hi[j]) for j < 16 from two rows of 16 floats: bf16 j of the conversion is lo[j],
// bf16 16 + j is hi[j]; the permutation interleaves them.
COACT_AVX512_BF16 inline __m512i interleave_pairs(__m512 lo, __m512 hi) {
  const __m512i converted = reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
  const __m512i order = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8, 23, 7, 22, 6,
                                         21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  return _mm512_permutexvar_epi16(order, converted);
}

// Words (x[2w], x[2w + 1]) for w < 16 from 32 consecutive floats (count of them valid).
COACT_AVX512_BF16 inline __m512i consecutive_pairs(const float* x, std::int64_t count) {
  const __m512 lo = _mm512_maskz_loadu_ps(low_mask(count), x);
  const __m512 hi = _mm512_maskz_loadu_ps(low_mask(count - 16), x + 16);
  return reinterpret_cast<__m512i>(_mm512_cvtne2ps_pbh(hi, lo));
}

// Packs rows [r0, r0 + rows) × k [k0, k0 + kc) of the source into ceil(rows / W) panels of
// kp = ceil(kc / 2) pair-words × W (word (p, w) at panel[p·W + w]); rows past the end and the
// odd k's partner are zero.
template <int W>
COACT_AVX512_BF16 void pack_panels(const PackSource& s, std::int64_t r0, std::int64_t rows, std::int64_t k0,
                                   std::int64_t kc, std::uint32_t* out) {
  const std::int64_t kp = ceil_div(kc, 2);
  const std::int64_t panels = ceil_div(rows, W);
  for (std::int64_t q = 0; q < panels; ++q) {
    std::uint32_t* panel = out + q * kp * W;
    const std::int64_t first = q * W, valid = std::min<std::int64_t>(W, rows - first);
    if (s.k_contiguous) {
      // Each row's pairs are consecutive floats: convert 16 pairs at a time, then transpose
      // the words into the panel (one scalar store per word).
      alignas(64) std::uint32_t words[16];
      for (std::int64_t w = 0; w < W; ++w) {
        if (w >= valid) {
          for (std::int64_t p = 0; p < kp; ++p) panel[p * W + w] = 0;
          continue;
        }
        const float* row = s.x + (r0 + first + w) * s.ld + k0;
        for (std::int64_t p0 = 0; p0 < kp; p0 += 16) {
          _mm512_store_si512(words, consecutive_pairs(row + 2 * p0, kc - 2 * p0));
          const std::int64_t count = std::min<std::int64_t>(16, kp - p0);
          for (std::int64_t j = 0; j < count; ++j) panel[(p0 + j) * W + w] = words[j];
        }
      }
    } else {
      // Rows are contiguous: two k-rows give 16 pair-words of adjacent panel rows at once.
      for (std::int64_t p = 0; p < kp; ++p) {
        const std::int64_t kk = k0 + 2 * p;
        const bool has_partner = 2 * p + 1 < kc;
        const float* lo_row = s.x + kk * s.ld + r0 + first;
        for (std::int64_t w0 = 0; w0 < W; w0 += 16) {
          const __mmask16 load = low_mask(valid - w0);
          const __m512 lo = _mm512_maskz_loadu_ps(load, lo_row + w0);
          const __m512 hi = has_partner ? _mm512_maskz_loadu_ps(load, lo_row + s.ld + w0) : _mm512_setzero_ps();
          _mm512_mask_storeu_epi32(panel + p * W + w0, low_mask(W - w0), interleave_pairs(lo, hi));
        }
      }
    }
  }
}

// C tile (rows × cols of at most kMr × kNr) = alpha · A panel · B panel (+ beta · C on the first
// k-slice, + C on later ones).
COACT_AVX512_BF16 void micro_kernel(std::int64_t kp, const std::uint32_t* __restrict a, const std::uint32_t* __restrict b,
                                    float* c, std::int64_t ldc, int rows, int cols, float alpha, float beta,
                                    bool first_slice) {
  __m512 acc0[kMr], acc1[kMr];
#pragma GCC unroll 14
  for (int i = 0; i < kMr; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (std::int64_t p = 0; p < kp; ++p) {
    const __m512bh b0 = reinterpret_cast<__m512bh>(_mm512_load_si512(b + p * kNr));
    const __m512bh b1 = reinterpret_cast<__m512bh>(_mm512_load_si512(b + p * kNr + 16));
    const std::uint32_t* ap = a + p * kMr;
#pragma GCC unroll 14
    for (int i = 0; i < kMr; ++i) {
      const __m512bh av = reinterpret_cast<__m512bh>(_mm512_set1_epi32(static_cast<int>(ap[i])));
      acc0[i] = _mm512_dpbf16_ps(acc0[i], av, b0);
      acc1[i] = _mm512_dpbf16_ps(acc1[i], av, b1);
    }
  }
  const __mmask16 m0 = low_mask(cols), m1 = low_mask(cols - 16);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  const bool read_c = !first_slice || beta != 0.0f;  // beta == 0 never reads C (it may hold NaN)
  const __m512 scale_c = first_slice ? vb : _mm512_set1_ps(1.0f);
#pragma GCC unroll 14
  for (int i = 0; i < kMr; ++i) {
    if (i >= rows) break;
    float* row = c + i * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc0[i]), v1 = _mm512_mul_ps(va, acc1[i]);
    if (read_c) {
      v0 = _mm512_fmadd_ps(scale_c, _mm512_maskz_loadu_ps(m0, row), v0);
      v1 = _mm512_fmadd_ps(scale_c, _mm512_maskz_loadu_ps(m1, row + 16), v1);
    }
    _mm512_mask_storeu_ps(row, m0, v0);
    _mm512_mask_storeu_ps(row + 16, m1, v1);
  }
}

COACT_AVX512_BF16 void gemm_avx512_bf16(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k,
                                        float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb,
                                        float beta, float* c, std::int64_t ldc) {
  // op(A) row i, k kk: a[i·lda + kk] (No) or a[kk·lda + i] (Yes); op(B) column j: b[kk·ldb + j]
  // (No) or b[j·ldb + kk] (Yes).
  const PackSource sa{a, lda, ta == Transpose::No};
  const PackSource sb{b, ldb, tb == Transpose::Yes};
  const std::int64_t kp_max = ceil_div(std::min(kKc, k), 2);
  static thread_local WordScratch b_scratch;
  std::uint32_t* b_pack = b_scratch.get(static_cast<std::size_t>(kp_max * ceil_div(std::min(kNc, n), kNr) * kNr));
  const std::int64_t a_blocks = ceil_div(m, kMc);
#pragma omp parallel
  {
    static thread_local WordScratch a_scratch;
    std::uint32_t* a_pack = a_scratch.get(static_cast<std::size_t>(kp_max * kMc));
    for (std::int64_t jc = 0; jc < n; jc += kNc) {
      const std::int64_t nc = std::min(kNc, n - jc), b_panels = ceil_div(nc, kNr);
      for (std::int64_t pc = 0; pc < k; pc += kKc) {
        const std::int64_t kc = std::min(kKc, k - pc), kp = ceil_div(kc, 2);
#pragma omp for schedule(static)
        for (std::int64_t q = 0; q < b_panels; ++q)
          pack_panels<kNr>(sb, jc + q * kNr, std::min<std::int64_t>(kNr, nc - q * kNr), pc, kc, b_pack + q * kp * kNr);
        // (the implicit barrier: every thread sees the whole packed block)
#pragma omp for schedule(dynamic, 1)
        for (std::int64_t ib = 0; ib < a_blocks; ++ib) {
          const std::int64_t ic = ib * kMc, mc = std::min(kMc, m - ic);
          pack_panels<kMr>(sa, ic, mc, pc, kc, a_pack);
          for (std::int64_t q = 0; q < b_panels; ++q) {
            const std::int64_t cols = std::min<std::int64_t>(kNr, nc - q * kNr);
            for (std::int64_t r = 0; r * kMr < mc; ++r) {
              const std::int64_t rows = std::min<std::int64_t>(kMr, mc - r * kMr);
              micro_kernel(kp, a_pack + r * kp * kMr, b_pack + q * kp * kNr, c + (ic + r * kMr) * ldc + jc + q * kNr,
                           ldc, static_cast<int>(rows), static_cast<int>(cols), alpha, beta, pc == 0);
            }
          }
        }
      }
    }
  }
}

// The fallback: bf16-rounded copies of the stored operands, then sgemm.
std::vector<float> rounded_copy(const float* x, std::int64_t rows, std::int64_t cols, std::int64_t ld) {
  std::vector<float> out(static_cast<std::size_t>(rows * cols));
#pragma omp parallel for schedule(static) if (rows * cols >= (1 << 16))
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t col = 0; col < cols; ++col) out[r * cols + col] = ops::round_to_bf16(x[r * ld + col]);
  return out;
}

void gemm_fallback(Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k, float alpha,
                   const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
                   std::int64_t ldc) {
  const std::int64_t a_rows = ta == Transpose::No ? m : k, a_cols = ta == Transpose::No ? k : m;
  const std::int64_t b_rows = tb == Transpose::No ? k : n, b_cols = tb == Transpose::No ? n : k;
  const auto ra = rounded_copy(a, a_rows, a_cols, lda), rb = rounded_copy(b, b_rows, b_cols, ldb);
  cblas_sgemm(CblasRowMajor, ta == Transpose::No ? CblasNoTrans : CblasTrans,
              tb == Transpose::No ? CblasNoTrans : CblasTrans, static_cast<blasint>(m), static_cast<blasint>(n),
              static_cast<blasint>(k), alpha, ra.data(), static_cast<blasint>(std::max<std::int64_t>(a_cols, 1)),
              rb.data(), static_cast<blasint>(std::max<std::int64_t>(b_cols, 1)), beta, c, static_cast<blasint>(ldc));
}

}  // namespace

const char* to_string(Bf16Kernel kernel) { return kernel == Bf16Kernel::Avx512Bf16 ? "avx512_bf16" : "fp32 fallback"; }

bool cpu_has_avx512_bf16() {
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return false;
  const bool bf16 = ((eax >> 5) & 1u) != 0;
  // __builtin_cpu_supports also checks that the OS saves the AVX-512 state (XCR0).
  return bf16 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl");
}

Bf16Kernel bf16_kernel() {
  static const bool hardware = cpu_has_avx512_bf16();
  if (env_forces("COACT_CPU_BF16", "fallback")) return Bf16Kernel::Fp32Fallback;
  return hardware ? Bf16Kernel::Avx512Bf16 : Bf16Kernel::Fp32Fallback;
}

void gemm_bf16(Bf16Kernel kernel, Transpose ta, Transpose tb, std::int64_t m, std::int64_t n, std::int64_t k,
               float alpha, const float* a, std::int64_t lda, const float* b, std::int64_t ldb, float beta, float* c,
               std::int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) {  // no products: C = beta · C (beta == 0 clears, whatever C held)
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j) c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
    return;
  }
  if (kernel == Bf16Kernel::Avx512Bf16)
    gemm_avx512_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gemm_fallback(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace coact::backend::cpu
