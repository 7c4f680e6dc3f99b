// cpu: the encoder kinds' code rules, the BatchTopK value histograms, the JumpReLU threshold
// gradient and input normalisation.
#include <omp.h>

#include <vector>

#include "coact/backend/ops/code_rules.h"
#include "coact/backend/ops/input_norm.h"
#include "cpu/cpu_backend.h"
#include "cpu/parallel_for.h"

namespace coact::backend::cpu {

void CpuBackend::count_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                const CodeRule& rule, std::int64_t* counts) {
  parallel_for_items(rows, ops::CountSelected{cols, in, bias, rule, counts});
}

// The two codes' functors run on a row back to back: the second reads the row from cache.
void CpuBackend::count_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                    const CodeRule& first, std::int64_t* first_counts, const CodeRule& second,
                                    std::int64_t* second_counts) {
  const ops::CountSelected a{cols, in, bias, first, first_counts}, b{cols, in, bias, second, second_counts};
  parallel_for_items(rows, [&](std::int64_t r) {
    a(r);
    b(r);
  });
}

void CpuBackend::gather_selected_two(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                     const CodeRule& first, const std::int64_t* first_offsets,
                                     std::int32_t* first_index, float* first_value, const CodeRule& second,
                                     const std::int64_t* second_offsets, std::int32_t* second_index,
                                     float* second_value) {
  const ops::GatherSelected a{cols, in, bias, first, first_offsets, first_index, first_value};
  const ops::GatherSelected b{cols, in, bias, second, second_offsets, second_index, second_value};
  parallel_for_items(rows, [&](std::int64_t r) {
    a(r);
    b(r);
  });
}

void CpuBackend::gather_selected(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 const CodeRule& rule, const std::int64_t* offsets, std::int32_t* index, float* value) {
  parallel_for_items(rows, ops::GatherSelected{cols, in, bias, rule, offsets, index, value});
}

void CpuBackend::value_histogram(std::int64_t rows, std::int64_t cols, const float* in, const float* bias,
                                 std::int64_t prefix, std::int64_t* counts) {
  // Each thread counts into its own histogram; integer sums do not depend on the split.
  for (std::int64_t b = 0; b < kValueBuckets; ++b) counts[b] = 0;
#pragma omp parallel if (rows * cols >= kParallelThreshold)
  {
    std::vector<std::int64_t> local(static_cast<std::size_t>(kValueBuckets), 0);
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < rows; ++r) {
      const float* row = in + r * cols;
      for (std::int64_t c = 0; c < cols; ++c) {
        const std::int64_t bucket = ops::value_bucket(row[c] + bias[c], prefix);
        if (bucket >= 0) ++local[static_cast<std::size_t>(bucket)];
      }
    }
#pragma omp critical
    for (std::int64_t b = 0; b < kValueBuckets; ++b) counts[b] += local[static_cast<std::size_t>(b)];
  }
}

void CpuBackend::threshold_gradients(std::int64_t nnz, const std::int32_t* index, const float* g,
                                     const float* threshold, float l0, float bandwidth, float* out) {
  parallel_for(nnz, ops::ThresholdGradients{index, g, threshold, l0, bandwidth, out});
}

void CpuBackend::normalize_inputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm, const float* in,
                                  float* out, float* row_stats) {
  parallel_for_items(rows, ops::NormalizeInputs{cols, norm, in, out, row_stats}, 16);
}

void CpuBackend::denormalize_outputs(std::int64_t rows, std::int64_t cols, const InputNorm& norm,
                                     const float* row_stats, float* inout) {
  parallel_for_items(rows, ops::DenormalizeOutputs{cols, norm, row_stats, inout}, 16);
}

}  // namespace coact::backend::cpu
