#include "shard_state.h"

#include <cstring>

namespace coact::sae::detail {
namespace {

template <class T>
std::vector<T> cut(const std::vector<T>& whole, const FeatureShard& shard) {
  return std::vector<T>(whole.begin() + shard.first, whole.begin() + shard.first + shard.count);
}

// Every rank's vector, in rank order, on rank 0 (empty elsewhere).
template <class T>
std::vector<std::vector<T>> gather_vectors(const dist::MpiComm& comm, const std::vector<T>& mine) {
  const std::uint64_t count = mine.size();
  const auto counts = comm.gather_bytes(&count, sizeof count, 0);
  const auto bytes = comm.gather_bytes(mine.data(), mine.size() * sizeof(T), 0);
  std::vector<std::vector<T>> out;
  if (comm.rank() != 0) return out;
  std::size_t at = 0;
  for (int r = 0; r < comm.size(); ++r) {
    std::uint64_t n = 0;
    std::memcpy(&n, counts.data() + static_cast<std::size_t>(r) * sizeof n, sizeof n);
    std::vector<T> piece(static_cast<std::size_t>(n));
    std::memcpy(piece.data(), bytes.data() + at, piece.size() * sizeof(T));
    at += piece.size() * sizeof(T);
    out.push_back(std::move(piece));
  }
  return out;
}

template <class T>
std::vector<T> concatenated(const std::vector<std::vector<T>>& pieces) {
  std::vector<T> out;
  for (const auto& p : pieces) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace

TrainerState state_features(const TrainerState& whole, const FeatureShard& shard) {
  TrainerState s = whole;
  s.adam_m = whole.adam_m.features(shard.first, shard.count);
  s.adam_v = whole.adam_v.features(shard.first, shard.count);
  s.tokens_since_fired = cut(whole.tokens_since_fired, shard);
  s.window_fires = cut(whole.window_fires, shard);
  return s;
}

SaeTensors gather_tensors(const dist::MpiComm& shards, const SaeTensors& mine) {
  // Field by field, so the root holds the gathered slices of one tensor besides the whole.
  using Field = std::vector<float> SaeTensors::*;
  const Field fields[] = {&SaeTensors::w_enc, &SaeTensors::b_enc, &SaeTensors::w_dec,
                          &SaeTensors::threshold, &SaeTensors::r_mag, &SaeTensors::b_mag};
  std::vector<SaeTensors> slices;
  for (const Field field : fields) {
    auto pieces = gather_vectors(shards, mine.*field);
    if (shards.rank() != 0) continue;
    slices.resize(pieces.size());
    for (std::size_t s = 0; s < pieces.size(); ++s) slices[s].*field = std::move(pieces[s]);
  }
  if (shards.rank() != 0) return {};
  for (auto& s : slices) {
    s.d_in = mine.d_in;
    s.n_features = static_cast<std::int64_t>(s.b_enc.size());
    s.b_dec = mine.b_dec;  // replicated over the shards
    s.input_mean = mine.input_mean;
  }
  return SaeTensors::join_features(slices);
}

TrainerState gather_state(const dist::MpiComm& shards, const TrainerState& mine) {
  TrainerState s = mine;  // step, window tokens and data initialisation are the same on every shard
  s.adam_m = gather_tensors(shards, mine.adam_m);
  s.adam_v = gather_tensors(shards, mine.adam_v);
  s.tokens_since_fired = concatenated(gather_vectors(shards, mine.tokens_since_fired));
  s.window_fires = concatenated(gather_vectors(shards, mine.window_fires));
  return s;
}

}  // namespace coact::sae::detail
