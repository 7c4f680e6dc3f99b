#include "coact/graph/batch_encoder.h"

#include <algorithm>

#include "coact/sae/shard_codes.h"

namespace coact::graph {

BatchEncoder::BatchEncoder(backend::Backend& compute, const sae::Sae& model, std::int64_t sub_rows,
                           backend::Precision precision, dist::MpiComm* shards)
    : compute_(compute),
      d_(model.d_in()),
      n_(model.shard().total),
      sub_(sub_rows),
      shards_(model.shard().sharded() ? shards : nullptr),
      encoder_(model, sub_rows, precision, shards),
      rows_(compute, static_cast<std::size_t>(sub_rows * model.d_in())) {}

bool BatchEncoder::encode(const float* values, std::int64_t rows, SparseBatch& codes, int owner) {
  const bool holds = shards_ == nullptr || shards_->rank() == owner;
  codes.rows = holds ? rows : 0;
  codes.features = n_;
  codes.row_begin.assign(1, 0);
  codes.feature.clear();
  codes.value.clear();
  for (std::int64_t first = 0; first < rows; first += sub_) {
    const std::int64_t count = std::min(sub_, rows - first);
    compute_.copy_bytes(rows_.data(), values + first * d_, static_cast<std::size_t>(count * d_) * sizeof(float),
                        backend::CopyKind::HostToDevice);
    encoder_.encode(rows_.data(), count);
    const sae::SparseCodesHost host =
        shards_ != nullptr ? sae::gather_codes(*shards_, encoder_.to_host(), owner) : encoder_.to_host();
    if (!holds) continue;
    const std::int64_t base = codes.row_begin.back();
    for (std::int64_t r = 1; r <= count; ++r) codes.row_begin.push_back(base + host.offsets[static_cast<std::size_t>(r)]);
    codes.feature.insert(codes.feature.end(), host.index.begin(), host.index.end());
    codes.value.insert(codes.value.end(), host.value.begin(), host.value.end());
  }
  return holds;
}

}  // namespace coact::graph
