// cpu: grouping a code's entries by column with a parallel counting sort. Threads take fixed,
// contiguous row ranges; each column's slots are laid out thread by thread in row order, so
// every column lists its entries in increasing row order whatever the number of threads.
#include <omp.h>

#include <vector>

#include "cpu/cpu_backend.h"

namespace coact::backend::cpu {

void CpuBackend::sparse_transpose(std::int64_t rows, std::int64_t cols, std::int64_t nnz, SparseRows codes,
                                  std::int32_t* entry_rows, std::int64_t* col_offsets, std::int64_t* col_entry,
                                  std::int32_t* col_row) {
  (void)nnz;
  const int max_threads = omp_get_max_threads();
  // cursor[t][j]: the count, then the next free slot, of column j among thread t's rows.
  std::vector<std::int64_t> cursor(static_cast<std::size_t>(max_threads) * cols, 0);

#pragma omp parallel
  {
    const int team = omp_get_num_threads();  // the partition follows the team actually running
    const int t = omp_get_thread_num();
    const std::int64_t begin = rows * t / team, end = rows * (t + 1) / team;
    std::int64_t* count = cursor.data() + static_cast<std::size_t>(t) * cols;
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) {
        entry_rows[e] = static_cast<std::int32_t>(r);
        ++count[codes.index[e]];
      }
#pragma omp barrier
#pragma omp single
    {
      std::int64_t running = 0;
      for (std::int64_t j = 0; j < cols; ++j) {
        col_offsets[j] = running;
        for (int u = 0; u < team; ++u) {
          std::int64_t& slot = cursor[static_cast<std::size_t>(u) * cols + j];
          const std::int64_t entries = slot;
          slot = running;
          running += entries;
        }
      }
      col_offsets[cols] = running;
    }  // implicit barrier: every thread sees its start slots
    for (std::int64_t r = begin; r < end; ++r)
      for (std::int64_t e = codes.offsets[r]; e < codes.offsets[r + 1]; ++e) {
        const std::int64_t at = count[codes.index[e]]++;
        col_entry[at] = e;
        col_row[at] = static_cast<std::int32_t>(r);
      }
  }
}

}  // namespace coact::backend::cpu
