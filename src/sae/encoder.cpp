#include "coact/sae/encoder.h"

#include "codes.h"
#include "coact/core/errors.h"
#include "coact/dist/comm.h"
#include "global_topk.h"

namespace coact::sae {

Encoder::Encoder(const Sae& sae, std::int64_t max_rows, backend::Precision precision, dist::Comm* shards)
    : sae_(&sae),
      max_rows_(max_rows),
      precision_(precision),
      shards_(sae.shard().sharded() ? shards : nullptr),
      codes_(std::make_unique<detail::CodeBuffers>(sae.backend())) {
  COACT_REQUIRE(max_rows >= 1, UsageError, "Encoder: max_rows must be at least 1 (got ", max_rows, ")");
  COACT_REQUIRE(!sae.shard().sharded() || shards != nullptr, UsageError,
                "Encoder: a shard of an SAE encodes with the communicator of its shards");
  sae.backend().require_precision(precision);
  const auto rows_d = static_cast<std::size_t>(max_rows * sae.d_in());
  if (sae.spec().input_norm != InputNormKind::None) xn_ = backend::Buffer<float>(sae.backend(), rows_d);
  xc_ = backend::Buffer<float>(sae.backend(), rows_d);
  pre_ = backend::Buffer<float>(sae.backend(), static_cast<std::size_t>(max_rows * sae.n_features()));
  row_stats_ = backend::Buffer<float>(sae.backend(), static_cast<std::size_t>(max_rows * 3));
}

Encoder::~Encoder() = default;
Encoder::Encoder(Encoder&&) noexcept = default;

void Encoder::preactivations(const float* x, std::int64_t rows) {
  COACT_REQUIRE(rows >= 0 && rows <= max_rows_, UsageError, "Encoder: ", rows, " rows, at most ", max_rows_);
  backend::Backend& b = sae_->backend();
  const std::int64_t d = sae_->d_in(), n = sae_->n_features();
  const float* input = x;
  if (xn_.size() > 0) {
    b.normalize_inputs(rows, d, sae_->input_norm(), x, xn_.data(), row_stats_.data());
    input = xn_.data();
  }
  if (sae_->spec().subtract_b_dec) {
    b.add_row_vector(rows, d, -1.0f, sae_->b_dec(), input, xc_.data());
    input = xc_.data();
  }
  b.gemm_mixed(precision_, backend::Transpose::No, backend::Transpose::Yes, rows, n, d, 1.0f, input, d,
               sae_->w_enc_t(), d, 0.0f, pre_.data(), n);
}

backend::SparseRows Encoder::encode(const float* x, std::int64_t rows) {
  preactivations(x, rows);
  rows_ = rows;
  nnz_ = detail::count_codes(detail::inference_selection(*sae_), pre_.data(), sae_->b_enc(), rows, sae_->n_features(),
                             *codes_);
  if (shards_ != nullptr && codes_->selection.mode == detail::Selection::Mode::TopK) {
    detail::keep_global_topk(*shards_, sae_->shard().first, *codes_, shard_exchange_);
    nnz_ = codes_->nnz;
  }
  detail::fill_codes(pre_.data(), sae_->b_enc(), *codes_);
  return codes_->view();
}

SparseCodesHost Encoder::to_host() const {
  SparseCodesHost host;
  host.rows = rows_;
  host.n_features = sae_->shard().total;
  host.offsets.resize(static_cast<std::size_t>(rows_ + 1));
  host.index.resize(static_cast<std::size_t>(nnz_));
  host.value.resize(static_cast<std::size_t>(nnz_));
  backend::Backend& b = sae_->backend();
  b.copy_bytes(host.offsets.data(), codes_->offsets.data(), host.offsets.size() * sizeof(std::int64_t),
               backend::CopyKind::DeviceToHost);
  b.copy_bytes(host.index.data(), codes_->index.data(), host.index.size() * sizeof(std::int32_t),
               backend::CopyKind::DeviceToHost);
  b.copy_bytes(host.value.data(), codes_->value.data(), host.value.size() * sizeof(float),
               backend::CopyKind::DeviceToHost);
  const auto first = static_cast<std::int32_t>(sae_->shard().first);
  if (first != 0)
    for (auto& feature : host.index) feature += first;
  return host;
}

void Encoder::encode_dense(const float* x, std::int64_t rows, float* z) {
  const std::int64_t n = sae_->n_features();
  if (sae_->kind() == EncoderKind::Relu) {
    preactivations(x, rows);
    rows_ = rows;
    nnz_ = 0;
    sae_->backend().bias_relu(rows, n, sae_->b_enc(), pre_.data(), z);
    return;
  }
  const auto codes = encode(x, rows);
  sae_->backend().zero_bytes(z, static_cast<std::size_t>(rows * n) * sizeof(float));
  sae_->backend().scatter_rows(rows, n, codes, z);
}

void Encoder::reconstruct_last(float* out) {
  COACT_REQUIRE(!sae_->shard().sharded(), UsageError,
                "Encoder: a shard's decoder holds part of x̂; reconstruction needs the whole SAE");
  backend::Backend& b = sae_->backend();
  const std::int64_t d = sae_->d_in();
  b.sparse_decode(rows_, d, codes_->view(), sae_->w_dec(), sae_->b_dec(), out);
  if (xn_.size() > 0) b.denormalize_outputs(rows_, d, sae_->input_norm(), row_stats_.data(), out);
}

}  // namespace coact::sae
