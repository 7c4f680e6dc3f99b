// The SAE codes of one batch of activations read from a store (host rows), encoded in
// sub-batches of at most `sub_rows` rows on the backend and concatenated on the host as one
// SparseBatch (only z > 0 stored, features ascending within a token). Graph building and
// activation matching both encode their batches this way, in the encoder GEMM's precision.
#pragma once

#include <cstdint>

#include "coact/backend/buffer.h"
#include "coact/graph/coactivation.h"
#include "coact/sae/encoder.h"

namespace coact::graph {

class BatchEncoder {
 public:
  BatchEncoder(backend::Backend& compute, const sae::Sae& model, std::int64_t sub_rows,
               backend::Precision precision = backend::Precision::Fp32);

  // Codes of rows × d host values into `codes` (its previous content is replaced).
  void encode(const float* values, std::int64_t rows, SparseBatch& codes);

 private:
  backend::Backend& compute_;
  std::int64_t d_, n_, sub_;
  sae::Encoder encoder_;
  backend::Buffer<float> rows_;
};

}  // namespace coact::graph
