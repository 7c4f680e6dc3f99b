// Grouping a code's entries by column: a stable radix sort of (column, entry id) pairs with
// CUB. Entry ids are in row-major order and the sort is stable, so each column lists its
// entries in increasing row order — the same layout the cpu's counting sort produces.
#include <cub/device/device_radix_sort.cuh>

#include "cuda/cuda_check.h"
#include "coact/backend/ops/sparse_encode.h"
#include "cuda/cuda_backend.h"
#include "cuda/launch.cuh"
#include "cuda/scratch.cuh"

namespace coact::backend::cuda {
namespace {

struct Iota {
  std::int64_t* out;
  COACT_HD void operator()(std::int64_t i) const { out[i] = i; }
};

struct RowOfEntry {
  const std::int64_t* col_entry;
  const std::int32_t* entry_rows;
  std::int32_t* col_row;
  COACT_HD void operator()(std::int64_t p) const { col_row[p] = entry_rows[col_entry[p]]; }
};

// col_offsets[j] = first position of a key >= j in the sorted keys.
struct ColumnStarts {
  const std::int32_t* sorted;
  std::int64_t nnz;
  std::int64_t* col_offsets;
  COACT_HD void operator()(std::int64_t j) const {
    std::int64_t lo = 0, hi = nnz;
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (sorted[mid] < j) lo = mid + 1;
      else hi = mid;
    }
    col_offsets[j] = lo;
  }
};

}  // namespace

void CudaBackend::sparse_transpose(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                                   std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry,
                                   std::int32_t* col_row) {
  for_each_index(stream_, rows, ops::EntryRows{codes.offsets, entry_rows});
  DeviceScratch id_scratch(*this, static_cast<std::size_t>(nnz) * sizeof(std::int64_t));
  DeviceScratch key_scratch(*this, static_cast<std::size_t>(nnz) * sizeof(std::int32_t));
  std::int64_t* ids = id_scratch.as<std::int64_t>();
  std::int32_t* keys = key_scratch.as<std::int32_t>();
  if (nnz > 0) {
    for_each_index(stream_, nnz, Iota{ids});
    std::size_t temp_bytes = 0;
    COACT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, codes.index, keys, ids,
                                                     col_entry, nnz, 0, 32, stream_));
    DeviceScratch temp(*this, temp_bytes);
    COACT_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.as(), temp_bytes, codes.index, keys, ids,
                                                     col_entry, nnz, 0, 32, stream_));
    for_each_index(stream_, nnz, RowOfEntry{col_entry, entry_rows, col_row});
  }
  for_each_index(stream_, cols + 1, ColumnStarts{keys, nnz, col_offsets});
}

}  // namespace coact::backend::cuda
