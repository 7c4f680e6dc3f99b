// The trainer's per-batch device work space (private to src/sae). Sized for max_local_rows at
// construction, except what only some steps need (the dense path's chunk, AuxK), which is
// allocated on first use.
#pragma once

#include <cstdint>
#include <vector>

#include "codes.h"
#include "coact/backend/buffer.h"

namespace coact::sae {

// The dense path's dL/dz = g W_decᵀ is formed this many rows at a time, so it needs a chunk of
// rows×n rather than a second full code matrix (64 MiB: 1,024 rows at n = 16,384, enough rows
// for both threads of a GEMM and few re-reads of W_dec).
inline constexpr std::int64_t kDenseChunkFloats = std::int64_t{1} << 24;

struct SaeTrainer::Workspace {
  Workspace(backend::Backend& b, std::int64_t rows, std::int64_t d, std::int64_t n)
      : xc(b, static_cast<std::size_t>(rows * d)), xhat(b, static_cast<std::size_t>(rows * d)),
        dxhat(b, static_cast<std::size_t>(rows * d)), row_stats(b, static_cast<std::size_t>(rows * 3)),
        pre(b, static_cast<std::size_t>(rows * n)), feature_sums(b, static_cast<std::size_t>(n)),
        dead_mask(b, static_cast<std::size_t>(n)), main(b), aux(b), band(b) {}

  backend::Buffer<float> xc;         // x − b_dec
  backend::Buffer<float> xhat;       // reconstruction
  backend::Buffer<float> dxhat;      // dL/dx̂ (as the reduce buffer's scale implies)
  backend::Buffer<float> row_stats;  // rows × 3 (ops::kRowStats)
  backend::Buffer<float> pre;        // rows × n pre-activations; the dense path's z, then dL/dpre
  backend::Buffer<float> feature_sums;  // [n]: Σ_rows z per feature
  backend::Buffer<std::uint8_t> dead_mask;
  backend::Buffer<float> dz_chunk;   // dense path: chunk × n
  backend::Buffer<float> aux_grad;   // AuxK: ê, then dL/dê
  detail::CodeBuffers main, aux;
  detail::CodeBuffers band;          // jumprelu: entries in the straight-through band
  backend::Buffer<std::int64_t> histogram;  // batchtopk: kValueBuckets, then the ranks' tie counts
  backend::Buffer<std::int64_t> row_ties;   // batchtopk: ties each row lets in
  backend::Buffer<std::uint8_t> shard_exchange;  // latent shards: the gathered per-row top-k
  backend::Buffer<std::int64_t> shard_counts;    // latent shards: counts summed over the shards
  // matryoshka: each level's share of the code, dL/dx̂ of levels 1.. (level 0's is dxhat), a
  // level's partial decode, the inner levels' row statistics and their sums.
  std::vector<detail::CodeBuffers> levels;
  backend::Buffer<float> level_grads, partial, level_stats, level_sums;
};

}  // namespace coact::sae
