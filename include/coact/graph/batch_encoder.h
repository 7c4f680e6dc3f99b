// The SAE codes of one batch of activations read from a store (host rows), encoded in
// sub-batches of at most `sub_rows` rows on the backend and concatenated on the host as one
// SparseBatch (only z > 0 stored, features ascending within a token). Graph building and
// activation matching both encode their batches this way, in the encoder GEMM's precision.
//
// With a shard of an SAE (shard_codes.h), the shards of the same rows encode each sub-batch
// together and one of them, the batch's owner, receives the whole code; the others receive
// none. So a batch's code is whole on exactly one rank, as the per-batch cosines need.
#pragma once

#include <cstdint>

#include "coact/backend/buffer.h"
#include "coact/dist/mpi.h"
#include "coact/graph/coactivation.h"
#include "coact/sae/encoder.h"

namespace coact::graph {

class BatchEncoder {
 public:
  // `shards`: the communicator of the model's shards (required when the model is a shard).
  BatchEncoder(backend::Backend& compute, const sae::Sae& model, std::int64_t sub_rows,
               backend::Precision precision = backend::Precision::Fp32, dist::MpiComm* shards = nullptr);

  // Codes of rows × d host values into `codes` (its previous content is replaced). A shard:
  // collective over the shards; true on shard `owner`, which holds the whole code, false on
  // the others (`codes` left empty). Unsharded: always true.
  bool encode(const float* values, std::int64_t rows, SparseBatch& codes, int owner = 0);

 private:
  backend::Backend& compute_;
  std::int64_t d_, n_, sub_;
  dist::MpiComm* shards_;
  sae::Encoder encoder_;
  backend::Buffer<float> rows_;
};

}  // namespace coact::graph
