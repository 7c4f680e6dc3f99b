// Inference with an SAE split over latent shards (`coact graph` and `coact encode` with
// --latent-shards T), so that no rank holds the whole SAE.
//
// With P ranks and T shards the world is a grid of P/T data ranks × T shards, rank = data rank
// · T + shard. The T shards of a data rank read the same rows and each encodes them with its
// latents (an Encoder given the shards' communicator: a TopK code is merged exactly, the other
// kinds select each latent alone). The rows' whole code is then gathered sparse on one shard:
// only the entries z > 0 travel, rows × L0 of them, never rows × n.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "coact/core/options.h"
#include "coact/dist/mpi.h"
#include "coact/sae/encoder.h"
#include "coact/sae/sae.h"

namespace coact::sae {

// The --latent-shards field of the inference commands (a divisor of the ranks; 1: every rank
// holds the whole SAE). It does not change results: a shard's code is the unsharded code.
options::Spec inference_shards_option();

// UsageError "--latent-shards T ..." before any work: T does not divide the `ranks`, or is more
// than the SAE's n latents (0: not known yet).
void check_inference_shards(std::int64_t shards, std::int64_t n, int ranks);

struct InferenceGrid {
  int shards = 1, shard = 0;
  int data_ranks = 1, data_rank = 0;
  FeatureShard latents;                  // this rank's latents (all of them when shards = 1)
  std::unique_ptr<dist::MpiComm> comm;   // the shards of this data rank in shard order; null when shards = 1
};

// Collective over `world` (checks as check_inference_shards).
InferenceGrid make_inference_grid(dist::MpiComm& world, std::int64_t shards, std::int64_t n);

// A code as bytes: rows, nnz, each row's entry count, the indices, the values. Shards and ranks
// exchange codes in this form.
std::vector<std::uint8_t> pack_codes(const SparseCodesHost& codes);
// The packed code that starts at bytes[at]; `at` moves past it.
SparseCodesHost unpack_codes(std::span<const std::uint8_t> bytes, std::size_t& at, std::int64_t n_features);

// Collective over `shards`, every shard with a code of the same rows: `root` receives the rows'
// whole code, each row's entries taken from the shards in shard order (their latents are
// consecutive ranges, so features stay increasing); the other shards receive an empty code.
SparseCodesHost gather_codes(const dist::MpiComm& shards, const SparseCodesHost& mine, int root);

}  // namespace coact::sae
