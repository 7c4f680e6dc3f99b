// Inference: the codes z of a batch of activations, as a sparse CSR on the device (what graph
// building consumes) or as a dense matrix, under the SAE's encoder kind and input
// normalisation (encoder_spec.h); and the reconstruction of the last batch. Owns the work
// space for up to max_rows rows; each call overwrites the previous result. The encoder GEMM
// runs in the chosen precision (the weights stay fp32; bf16 rounds the GEMM's operands as it
// reads them).
//
// A shard of an SAE split over latents (Sae::shard()) encodes with its own latents: given the
// communicator of the T shards that encode the same rows, a TopK code keeps the entries of the
// whole SAE's per-row top-k (exact, ties included); the other kinds select each latent alone.
// Its code holds its latents only, by whole-dictionary index (shard_codes.h gathers a row's
// entries from the shards).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "coact/backend/sparse.h"
#include "coact/sae/sae.h"

namespace coact::dist {
class Comm;
}

namespace coact::sae {

// A code on the host: row r's entries are [offsets[r], offsets[r + 1]) of index/value, in
// increasing feature order; indices are of the whole dictionary of n_features.
struct SparseCodesHost {
  std::int64_t rows = 0;
  std::int64_t n_features = 0;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> index;
  std::vector<float> value;
};

namespace detail {
struct CodeBuffers;
}

class Encoder {
 public:
  // `shards`: the shards encoding the same rows, in shard order; required when the SAE is a shard.
  Encoder(const Sae& sae, std::int64_t max_rows, backend::Precision precision = backend::Precision::Fp32,
          dist::Comm* shards = nullptr);
  ~Encoder();
  Encoder(Encoder&&) noexcept;
  Encoder& operator=(Encoder&&) = delete;

  // Codes of the rows×d batch x (device memory, activations as stored: the SAE normalises
  // them itself). The view stays valid until the next call.
  backend::SparseRows encode(const float* x, std::int64_t rows);
  std::int64_t rows() const { return rows_; }
  std::int64_t nnz() const { return nnz_; }
  SparseCodesHost to_host() const;  // of the last encode (a shard: its latents' entries)

  // z as a dense rows×n matrix written to z (device memory).
  void encode_dense(const float* x, std::int64_t rows, float* z);

  // x̂ of the last encode's rows into out (rows×d, device memory): z·W_dec + b_dec, taken back
  // through the inverse of the input normalisation. Not for a shard (UsageError).
  void reconstruct_last(float* out);

 private:
  void preactivations(const float* x, std::int64_t rows);

  const Sae* sae_;
  std::int64_t max_rows_;
  backend::Precision precision_;
  dist::Comm* shards_;
  backend::Buffer<std::uint8_t> shard_exchange_;  // the shards' per-row top-k (global_topk.h)
  backend::Buffer<float> xn_, xc_, pre_, row_stats_;
  std::unique_ptr<detail::CodeBuffers> codes_;
  std::int64_t rows_ = 0, nnz_ = 0;
};

}  // namespace coact::sae
