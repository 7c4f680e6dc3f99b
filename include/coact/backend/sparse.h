// Plain views and parameter blocks the sparse-code, encoder and optimiser ops of `Backend` take. They
// hold device pointers of the backend that runs the op and are passed by value into kernels,
// so they stay trivially copyable (C++17: nvcc compiles this header too).
#pragma once

#include <cstdint>

namespace coact::backend {

// Compressed sparse rows (CSR) of a rows×cols matrix: row r holds the entries at positions
// [offsets[r], offsets[r + 1]) of `index` (column) and `value`. Rows list their columns in
// increasing order (every op that produces codes guarantees it).
struct SparseRows {
  const std::int64_t* offsets = nullptr;  // rows + 1
  const std::int32_t* index = nullptr;    // nnz
  const float* value = nullptr;           // nnz
};

// The same entries grouped by column (CSC without copying values): column j holds the
// positions [offsets[j], offsets[j + 1]) of `entry` (where the entry sits in the row-major
// arrays, so per-entry values need no permuting) and `row` (its row), in increasing row order.
struct SparseColumns {
  const std::int64_t* offsets = nullptr;  // cols + 1
  const std::int64_t* entry = nullptr;    // nnz
  const std::int32_t* row = nullptr;      // nnz
};

// One Adam step in PyTorch's arithmetic (torch.optim.Adam, single-tensor path):
//   g = grad · grad_scale;  m += (1 − β1)(g − m);  v = v·β2 + ((1 − β2)·g)·g
//   param += −step_size · (m / (sqrt(v) / bias_correction2_sqrt + eps))
// with step_size = lr / (1 − β1^t) and bias_correction2_sqrt = sqrt(1 − β2^t). The 1 − β terms
// are formed in double by the caller, as Python forms them before torch rounds to float.
struct AdamParams {
  float step_size = 0.0f;
  float beta2 = 0.999f;
  float one_minus_beta1 = 0.1f;
  float one_minus_beta2 = 0.001f;
  float eps = 1e-8f;
  float bias_correction2_sqrt = 1.0f;
  float grad_scale = 1.0f;  // folds a loss normaliser known only after the allreduce
};

// Uniform values in [−bound, bound) drawn from coact's counter-based RNG: the element at
// stored (row, col) takes the draw at position flat = flat_offset + row·flat_row_stride +
// col·flat_col_stride of stream `stream` under key `key`. Choosing the strides to give the
// element's flat index in the tensor as files present it makes the values independent of the
// internal layout; the offset places a latent shard's rows inside the whole tensor.
struct UniformRowsParams {
  std::uint64_t key = 0;
  std::uint64_t stream = 0;
  double bound = 0.0;
  std::int64_t flat_row_stride = 0;
  std::int64_t flat_col_stride = 1;
  std::int64_t flat_offset = 0;
};

// Which entries v = in[r, c] + bias[c] of a pre-activation row enter a sparse code, and with
// what value: the encoder kinds besides ReLU and per-token TopK (ops/code_rules.h).
struct CodeRule {
  enum class Kind : std::uint8_t {
    Threshold,  // v > threshold[c]; value v (JumpReLU; BatchTopK and Matryoshka at inference)
    Band,       // −½ < (v − threshold[c]) / bandwidth < ½; value v (JumpReLU's straight-through band)
    Gated,      // v > 0 (the gate: bias = b_gate) and m = in·mag_scale[c] + mag_bias[c] > 0; value m
    Above,      // v > level, and the first ties[r] entries of row r with v == level; value v
    Equal,      // v == level (counts the ties of Above)
  };
  Kind kind = Kind::Threshold;
  const float* threshold = nullptr;       // Threshold, Band: [cols]
  float bandwidth = 0.0f;                 // Band
  const float* mag_scale = nullptr;       // Gated: exp(r_mag) [cols]
  const float* mag_bias = nullptr;        // Gated: b_mag [cols]
  float level = 0.0f;                     // Above, Equal
  const std::int64_t* ties = nullptr;     // Above: [rows] (null: no ties enter)
};

// Buckets of value_histogram: 2^16, indexed by 16 bits of a positive float's bit pattern.
inline constexpr std::int64_t kValueBuckets = 65536;

// An SAE's input normalisation, applied row by row (ops/input_norm.h): row r becomes
// (x − mean − m_r)·f_r and a reconstruction goes back as x̂·g_r + m_r + mean, with
//   Scale         m = 0, f = scale, g = 1/scale (mean: the store's column means for center-scale, else null)
//   ConstantNorm  m = 0, f = sqrt(cols)/‖x‖, g = ‖x‖/sqrt(cols)   (SAELens constant_norm_rescale)
//   LayerNorm     m = mean of the row, f = 1/(s + eps), g = s, s the row's unbiased standard
//                 deviation                                      (SAELens layer_norm, OpenAI's LN)
struct InputNorm {
  enum class Kind : std::uint8_t { None, Scale, ConstantNorm, LayerNorm };
  Kind kind = Kind::None;
  float scale = 1.0f;
  const float* mean = nullptr;  // [cols] or null
  float eps = 1e-5f;
};

}  // namespace coact::backend
