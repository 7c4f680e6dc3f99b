// Collectives over latent shards: the exact global per-row top-k from each shard's local top-k
// (training and inference), and the trainer's sums that make every shard see the whole SAE's
// reconstruction and loss (see trainer.h).
#include <algorithm>

#include "coact/core/errors.h"
#include "coact/dist/comm.h"
#include "coact/sae/trainer.h"
#include "global_topk.h"
#include "workspace.h"

namespace coact::sae {
namespace {

// One entry of a shard's per-row top-k, by global latent index (−1: an empty slot).
struct Candidate {
  float value;
  std::int32_t latent;
};

// The TopK order: larger value first, ties to the lower latent (as topk_rows breaks them).
bool before(const Candidate& a, const Candidate& b) {
  return a.value > b.value || (a.value == b.value && a.latent < b.latent);
}

}  // namespace

bool SaeTrainer::owns_row_terms() const { return shards_ == nullptr || shards_->rank() == 0; }
int SaeTrainer::shard_index() const { return shards_ != nullptr ? shards_->rank() : 0; }
int SaeTrainer::shard_count() const { return shards_ != nullptr ? shards_->size() : 1; }

void SaeTrainer::sum_over_shards(float* device_data, std::size_t count) {
  if (shards_ != nullptr) shards_->allreduce_sum(device_data, count, dist::DType::F32);
}

std::int64_t SaeTrainer::sum_over_shards(std::int64_t value) {
  if (shards_ == nullptr) return value;
  backend::Backend& b = sae_.backend();
  detail::ensure_capacity(b, work_->shard_counts, 1);
  b.copy_bytes(work_->shard_counts.data(), &value, sizeof value, backend::CopyKind::HostToDevice);
  shards_->allreduce_sum(work_->shard_counts.data(), 1, dist::DType::I64);
  b.copy_bytes(&value, work_->shard_counts.data(), sizeof value, backend::CopyKind::DeviceToHost);
  return value;
}

void SaeTrainer::sum_shared_over_shards() {
  if (shards_ == nullptr) return;
  float* G = reduce_.data();
  sum_over_shards(G + layout_.params.b_dec, static_cast<std::size_t>(layout_.params.d_in));
  sum_over_shards(G + layout_.centered_sums, layout_.count - layout_.centered_sums);  // centred sums, scalars
}

void SaeTrainer::keep_global_topk(detail::CodeBuffers& codes) {
  if (shards_ != nullptr) detail::keep_global_topk(*shards_, sae_.shard().first, codes, work_->shard_exchange);
}

namespace detail {

void keep_global_topk(dist::Comm& shard_comm, std::int64_t first, CodeBuffers& codes,
                      backend::Buffer<std::uint8_t>& exchange) {
  // Every shard sends its rows' top-k (value, latent) to the others; each keeps the entries at
  // or before the k-th of the merged row. A row's global top-k lies within the union of the
  // shards' top-k under the same order, so this is the unsharded selection, ties included.
  backend::Backend& b = *codes.backend;
  const std::int64_t rows = codes.rows, k = codes.stride;
  const int shards = shard_comm.size();
  const auto slots = static_cast<std::size_t>(rows * k);
  std::vector<std::int64_t> counts(static_cast<std::size_t>(rows));
  std::vector<std::int32_t> index(slots);
  std::vector<float> value(slots);
  b.copy_bytes(counts.data(), codes.counts.data(), counts.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
  b.copy_bytes(index.data(), codes.padded_index.data(), slots * sizeof(std::int32_t), backend::CopyKind::DeviceToHost);
  b.copy_bytes(value.data(), codes.padded_value.data(), slots * sizeof(float), backend::CopyKind::DeviceToHost);

  std::vector<Candidate> all(slots * static_cast<std::size_t>(shards + 1), Candidate{0.0f, -1});
  Candidate* mine = all.data() + slots * static_cast<std::size_t>(shards);  // the send slice, after the gathered ones
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t e = 0; e < counts[r]; ++e)
      mine[r * k + e] = {value[r * k + e], static_cast<std::int32_t>(index[r * k + e] + first)};
  const std::size_t bytes = slots * sizeof(Candidate);
  ensure_capacity(b, exchange, static_cast<std::int64_t>(bytes) * (shards + 1));
  std::uint8_t* staged = exchange.data();
  b.copy_bytes(staged + bytes * shards, mine, bytes, backend::CopyKind::HostToDevice);
  shard_comm.allgather(staged + bytes * shards, staged, bytes);
  b.copy_bytes(all.data(), staged, bytes * shards, backend::CopyKind::DeviceToHost);

  std::vector<Candidate> merged;
  for (std::int64_t r = 0; r < rows; ++r) {
    merged.clear();
    for (int s = 0; s < shards; ++s)
      for (std::int64_t e = 0; e < k; ++e) {
        const Candidate& c = all[static_cast<std::size_t>(s) * slots + static_cast<std::size_t>(r * k + e)];
        if (c.latent >= 0) merged.push_back(c);
      }
    std::int64_t kept = 0;
    if (static_cast<std::int64_t>(merged.size()) <= k) {
      kept = counts[r];
    } else {
      std::nth_element(merged.begin(), merged.begin() + (k - 1), merged.end(), before);
      const Candidate cut = merged[static_cast<std::size_t>(k - 1)];
      for (std::int64_t e = 0; e < counts[r]; ++e) {
        const Candidate& c = mine[r * k + e];
        if (before(cut, c)) continue;  // after the k-th
        index[r * k + kept] = index[r * k + e];  // stays in column order
        value[r * k + kept] = value[r * k + e];
        ++kept;
      }
    }
    counts[r] = kept;
  }
  b.copy_bytes(codes.counts.data(), counts.data(), counts.size() * sizeof(std::int64_t), backend::CopyKind::HostToDevice);
  b.copy_bytes(codes.padded_index.data(), index.data(), slots * sizeof(std::int32_t), backend::CopyKind::HostToDevice);
  b.copy_bytes(codes.padded_value.data(), value.data(), slots * sizeof(float), backend::CopyKind::HostToDevice);
  codes.nnz = b.exclusive_scan(rows, codes.counts.data(), codes.offsets.data());
}

}  // namespace detail
}  // namespace coact::sae
