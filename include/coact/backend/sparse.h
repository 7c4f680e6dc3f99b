// Plain views and parameter blocks the sparse-code and optimiser ops of `Backend` take. They
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
// stored (row, col) takes the draw at position flat = row·flat_row_stride + col·flat_col_stride
// of stream `stream` under key `key`. Choosing the strides to give the element's flat index in
// the tensor as files present it makes the values independent of the internal layout.
struct UniformRowsParams {
  std::uint64_t key = 0;
  std::uint64_t stream = 0;
  double bound = 0.0;
  std::int64_t flat_row_stride = 0;
  std::int64_t flat_col_stride = 1;
};

}  // namespace coact::backend
