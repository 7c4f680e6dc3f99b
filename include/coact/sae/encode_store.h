// `coact encode`: an SAE's sparse codes over an activation store, written to codes.h5 as CSR
// (docs/formats.md, "codes.h5"): /indptr [rows + 1] int64, /indices [nnz] int32 (features,
// increasing within a row), /values [nnz] float32, and /tokens, /positions [rows] int32 when
// the store has them. The SAE's own encoder kind and input normalisation apply (rows are read
// as stored).
//
// Distributed and incremental: the rows go in blocks of block_rows, block b to rank b mod P;
// each round every rank encodes one block and the root appends the round's codes in row
// order to the file's growing datasets. Memory is one block per rank (and a round's codes on
// the root), whatever the store's size. With --latent-shards T the ranks are P/T data ranks ×
// T shards (shard_codes.h): a data rank's T shards encode its block together, each holding n/T
// latents, and shard 0 gathers the block's sparse code.
#pragma once

#include <cstdint>
#include <string>

#include "coact/backend/backend.h"
#include "coact/core/options.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::sae {

struct EncodeOptions {
  std::string sae;                  // sae_<seed>.h5
  std::string activations;          // store spec
  std::string out;                  // codes.h5
  std::int64_t rows = 0;            // the first `rows` rows of the store (0: all)
  std::int64_t block_rows = 4096;   // rows a rank encodes at once
  std::int64_t latent_shards = 1;   // ranks the SAE's latents are split over (shard_codes.h)
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;
  std::string config_text;
};

// rows, block-rows and latent-shards (coact encode's flags, a study's keys).
const options::Table<EncodeOptions>& encode_table();

struct EncodeResult {
  std::int64_t rows = 0, nnz = 0, n_features = 0;
  double seconds = 0.0;
};

// Collective over the world communicator; the root writes `out` atomically (refused when it
// exists unless force). InputError before any work when the store's width is not the SAE's.
EncodeResult encode_store(dist::MpiRuntime& mpi, const EncodeOptions& options);

}  // namespace coact::sae
