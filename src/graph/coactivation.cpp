#include "coact/graph/coactivation.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "coact/dist/mpi.h"

namespace coact::graph {

ZeroPolicy parse_zero_policy(const std::string& text) {
  if (text == "positive") return ZeroPolicy::Positive;
  if (text == "seed") return ZeroPolicy::Seed;
  throw UsageError(str("--zero-policy: '", text, "' is not positive or seed"));
}

const char* to_string(ZeroPolicy policy) { return policy == ZeroPolicy::Positive ? "positive" : "seed"; }

SparseBatch sparse_from_dense(std::span<const float> dense, std::int64_t rows, std::int64_t features) {
  COACT_REQUIRE(static_cast<std::int64_t>(dense.size()) == rows * features, Error, "sparse_from_dense: ", dense.size(),
                " values for ", rows, " x ", features);
  SparseBatch batch;
  batch.rows = rows;
  batch.features = features;
  batch.row_begin.reserve(static_cast<std::size_t>(rows + 1));
  batch.row_begin.push_back(0);
  for (std::int64_t r = 0; r < rows; ++r) {
    const float* row = dense.data() + r * features;
    for (std::int64_t f = 0; f < features; ++f)
      if (row[f] > 0.0f) {
        batch.feature.push_back(static_cast<std::int32_t>(f));
        batch.value.push_back(row[f]);
      }
    batch.row_begin.push_back(static_cast<std::int64_t>(batch.feature.size()));
  }
  return batch;
}

EdgeList merge_edges(const EdgeList& a, const EdgeList& b) {
  EdgeList out;
  out.key.reserve(a.size() + b.size());
  out.count.reserve(a.size() + b.size());
  out.weight_sum.reserve(a.size() + b.size());
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a.key[i] < b.key[j])) {
      out.key.push_back(a.key[i]);
      out.count.push_back(a.count[i]);
      out.weight_sum.push_back(a.weight_sum[i]);
      ++i;
    } else if (i == a.size() || b.key[j] < a.key[i]) {
      out.key.push_back(b.key[j]);
      out.count.push_back(b.count[j]);
      out.weight_sum.push_back(b.weight_sum[j]);
      ++j;
    } else {
      out.key.push_back(a.key[i]);
      out.count.push_back(a.count[i] + b.count[j]);
      out.weight_sum.push_back(a.weight_sum[i] + b.weight_sum[j]);
      ++i;
      ++j;
    }
  }
  return out;
}

CoactivationAccumulator::CoactivationAccumulator(std::int64_t features, int k, ZeroPolicy policy)
    : features_(features), k_(k), policy_(policy), active_(static_cast<std::size_t>(features), 0),
      topk_(static_cast<std::size_t>(features), 0) {
  if (k < 2 || k > features)
    throw UsageError(str("--k: ", k, " must be at least 2 and at most the number of features (", features, ")"));
  COACT_REQUIRE(features <= (std::int64_t{1} << 31), UsageError, "too many features for a co-activation graph: ", features);
}

namespace {

// Column (feature-major) view of one batch: tokens and values of every feature.
struct Columns {
  std::vector<std::int64_t> begin;  // features + 1
  std::vector<std::int32_t> token;
  std::vector<float> value;
  std::vector<double> norm;         // |Z[:, f]| over the batch
};

Columns to_columns(const SparseRowsView& batch) {
  Columns c;
  const auto n = static_cast<std::size_t>(batch.features);
  c.begin.assign(n + 1, 0);
  for (auto f : batch.feature) ++c.begin[static_cast<std::size_t>(f) + 1];
  for (std::size_t f = 0; f < n; ++f) c.begin[f + 1] += c.begin[f];
  c.token.resize(batch.feature.size());
  c.value.resize(batch.feature.size());
  std::vector<std::int64_t> cursor(c.begin.begin(), c.begin.end() - 1);
  for (std::int64_t r = 0; r < batch.rows; ++r)
    for (std::int64_t e = batch.row_begin[static_cast<std::size_t>(r)]; e < batch.row_begin[static_cast<std::size_t>(r) + 1]; ++e) {
      const auto f = static_cast<std::size_t>(batch.feature[static_cast<std::size_t>(e)]);
      const auto at = static_cast<std::size_t>(cursor[f]++);
      c.token[at] = static_cast<std::int32_t>(r);
      c.value[at] = batch.value[static_cast<std::size_t>(e)];
    }
  c.norm.assign(n, 0.0);
  for (std::size_t f = 0; f < n; ++f) {
    double sq = 0;
    for (auto e = c.begin[f]; e < c.begin[f + 1]; ++e) sq += static_cast<double>(c.value[static_cast<std::size_t>(e)]) * c.value[static_cast<std::size_t>(e)];
    c.norm[f] = std::sqrt(sq);
  }
  return c;
}

}  // namespace

void CoactivationAccumulator::add_batch(const SparseRowsView& batch) {
  COACT_REQUIRE(batch.features == features_, InputError, "co-activation batch has ", batch.features,
                " features, the graph has ", features_);
  COACT_REQUIRE(static_cast<std::int64_t>(batch.row_begin.size()) == batch.rows + 1, Error,
                "SparseBatch: row_begin has ", batch.row_begin.size(), " entries for ", batch.rows, " rows");
  const std::uint64_t n = static_cast<std::uint64_t>(features_);

  // 1. Per token: its top-k (value descending, index ascending), the pairs among them.
  std::vector<std::uint64_t> pair_keys;
  reserve_vector(pair_keys, static_cast<std::size_t>(batch.rows) * static_cast<std::size_t>(k_ * (k_ - 1) / 2),
                 {"the co-activation pairs of one batch", "--batch-tokens"});
  std::vector<std::pair<float, std::int32_t>> row;
  std::vector<std::int32_t> chosen;
  for (std::int64_t r = 0; r < batch.rows; ++r) {
    row.clear();
    for (auto e = batch.row_begin[static_cast<std::size_t>(r)]; e < batch.row_begin[static_cast<std::size_t>(r) + 1]; ++e) {
      const float v = batch.value[static_cast<std::size_t>(e)];
      if (v > 0.0f) row.emplace_back(v, batch.feature[static_cast<std::size_t>(e)]);
    }
    for (const auto& [v, f] : row) ++active_[static_cast<std::size_t>(f)];
    const auto better = [](const std::pair<float, std::int32_t>& a, const std::pair<float, std::int32_t>& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    };
    const std::size_t take = std::min(row.size(), static_cast<std::size_t>(k_));
    std::partial_sort(row.begin(), row.begin() + static_cast<std::ptrdiff_t>(take), row.end(), better);
    chosen.clear();
    for (std::size_t i = 0; i < take; ++i) chosen.push_back(row[i].second);
    if (policy_ == ZeroPolicy::Seed && chosen.size() < static_cast<std::size_t>(k_)) {
      // Fill with the lowest-index features that are zero in this token.
      std::vector<std::int32_t> positive;
      positive.reserve(row.size());
      for (const auto& [v, f] : row) positive.push_back(f);
      std::sort(positive.begin(), positive.end());
      std::size_t p = 0;
      for (std::int32_t f = 0; chosen.size() < static_cast<std::size_t>(k_); ++f) {
        while (p < positive.size() && positive[p] < f) ++p;
        if (p < positive.size() && positive[p] == f) continue;
        chosen.push_back(f);
      }
    }
    for (auto f : chosen) ++topk_[static_cast<std::size_t>(f)];
    for (std::size_t a = 0; a < chosen.size(); ++a)
      for (std::size_t b = a + 1; b < chosen.size(); ++b) {
        const auto i = static_cast<std::uint64_t>(std::min(chosen[a], chosen[b]));
        const auto j = static_cast<std::uint64_t>(std::max(chosen[a], chosen[b]));
        pair_keys.push_back(i * n + j);
      }
  }
  tokens_ += batch.rows;
  ++batches_;

  // 2. Unique pairs of this batch with their occurrence counts.
  std::sort(pair_keys.begin(), pair_keys.end());
  EdgeList here;
  for (std::size_t a = 0; a < pair_keys.size();) {
    std::size_t b = a;
    while (b < pair_keys.size() && pair_keys[b] == pair_keys[a]) ++b;
    here.key.push_back(pair_keys[a]);
    here.count.push_back(static_cast<std::int64_t>(b - a));
    a = b;
  }
  here.weight_sum.assign(here.size(), 0.0);

  // 3. The batch cosine of every occurring pair, from the batch's columns. Each pair is
  // evaluated by scattering its member with the longer column (the "hub") into a dense token
  // vector and walking the shorter one; pairs are grouped by hub so each hub is scattered once.
  const Columns columns = to_columns(batch);
  auto column_size = [&](std::uint64_t f) { return columns.begin[f + 1] - columns.begin[f]; };
  std::vector<std::pair<std::uint64_t, std::size_t>> by_hub(here.size());  // (hub, pair index)
  for (std::size_t p = 0; p < here.size(); ++p) {
    const std::uint64_t i = here.key[p] / n, j = here.key[p] % n;
    by_hub[p] = {column_size(i) >= column_size(j) ? i : j, p};
  }
  std::sort(by_hub.begin(), by_hub.end());
  std::vector<std::size_t> group_begin;
  for (std::size_t p = 0; p < by_hub.size(); ++p)
    if (p == 0 || by_hub[p].first != by_hub[p - 1].first) group_begin.push_back(p);
  group_begin.push_back(by_hub.size());
  const std::int64_t groups = static_cast<std::int64_t>(group_begin.size()) - 1;
#pragma omp parallel
  {
    std::vector<float> dense(static_cast<std::size_t>(batch.rows), 0.0f);
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t g = 0; g < groups; ++g) {
      const std::uint64_t hub = by_hub[group_begin[static_cast<std::size_t>(g)]].first;
      for (auto e = columns.begin[hub]; e < columns.begin[hub + 1]; ++e)
        dense[static_cast<std::size_t>(columns.token[static_cast<std::size_t>(e)])] = columns.value[static_cast<std::size_t>(e)];
      for (std::size_t q = group_begin[static_cast<std::size_t>(g)]; q < group_begin[static_cast<std::size_t>(g) + 1]; ++q) {
        const std::size_t p = by_hub[q].second;
        const std::uint64_t i = here.key[p] / n, j = here.key[p] % n, other = hub == i ? j : i;
        double dot = 0;
        for (auto e = columns.begin[other]; e < columns.begin[other + 1]; ++e)
          dot += static_cast<double>(dense[static_cast<std::size_t>(columns.token[static_cast<std::size_t>(e)])]) *
                 columns.value[static_cast<std::size_t>(e)];
        const double cosine = dot / (std::max(columns.norm[i], 1e-12) * std::max(columns.norm[j], 1e-12));
        here.weight_sum[p] = cosine * static_cast<double>(here.count[p]);
      }
      for (auto e = columns.begin[hub]; e < columns.begin[hub + 1]; ++e)
        dense[static_cast<std::size_t>(columns.token[static_cast<std::size_t>(e)])] = 0.0f;
    }
  }

  // 4. Into the running partial map.
  edges_ = merge_edges(edges_, here);
}

namespace {

// Edge records travel as raw bytes: key, count, weight sum.
struct EdgeRecord {
  std::uint64_t key;
  std::int64_t count;
  double weight_sum;
};

EdgeList from_records(const EdgeRecord* records, std::size_t count) {
  EdgeList out;
  out.key.resize(count);
  out.count.resize(count);
  out.weight_sum.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    out.key[i] = records[i].key;
    out.count[i] = records[i].count;
    out.weight_sum[i] = records[i].weight_sum;
  }
  return out;
}

// Spreads edges over owners without regard to their feature indices (SplitMix64 finaliser).
int owner_of(std::uint64_t key, int ranks) {
  key ^= key >> 30;
  key *= 0xBF58476D1CE4E5B9ull;
  key ^= key >> 27;
  key *= 0x94D049BB133111EBull;
  key ^= key >> 31;
  return static_cast<int>(key % static_cast<std::uint64_t>(ranks));
}

}  // namespace

EdgeList CoactivationAccumulator::reduce(dist::MpiComm& comm) {
  comm.allreduce_sum(std::span<std::int64_t>(active_));
  comm.allreduce_sum(std::span<std::int64_t>(topk_));
  tokens_ = comm.allreduce_sum(tokens_);
  batches_ = comm.allreduce_sum(batches_);
  const int ranks = comm.size();
  if (ranks == 1) return edges_;

  // 1. Each edge goes to its owner; owners add the partials in rank order.
  std::vector<std::vector<EdgeRecord>> outgoing(static_cast<std::size_t>(ranks));
  for (std::size_t e = 0; e < edges_.size(); ++e)
    outgoing[static_cast<std::size_t>(owner_of(edges_.key[e], ranks))].push_back({edges_.key[e], edges_.count[e], edges_.weight_sum[e]});
  std::vector<std::size_t> send_bytes(static_cast<std::size_t>(ranks));
  std::vector<EdgeRecord> send;
  for (int q = 0; q < ranks; ++q) {
    send_bytes[static_cast<std::size_t>(q)] = outgoing[static_cast<std::size_t>(q)].size() * sizeof(EdgeRecord);
    send.insert(send.end(), outgoing[static_cast<std::size_t>(q)].begin(), outgoing[static_cast<std::size_t>(q)].end());
  }
  outgoing.clear();
  edges_ = EdgeList{};  // the partial map is no longer needed on this rank
  const std::vector<std::size_t> recv_bytes = comm.exchange_counts(send_bytes);
  std::size_t total = 0;
  for (auto b : recv_bytes) total += b;
  std::vector<EdgeRecord> received(total / sizeof(EdgeRecord));
  comm.alltoallv(send.data(), send_bytes, received.data(), recv_bytes);
  send.clear();
  send.shrink_to_fit();
  EdgeList owned;
  std::size_t at = 0;
  for (int q = 0; q < ranks; ++q) {
    const std::size_t count = recv_bytes[static_cast<std::size_t>(q)] / sizeof(EdgeRecord);
    owned = merge_edges(owned, from_records(received.data() + at, count));
    at += count;
  }
  received.clear();

  // 2. The root gathers the owners' disjoint, sorted lists to write the graph.
  std::vector<EdgeRecord> mine(owned.size());
  for (std::size_t e = 0; e < owned.size(); ++e) mine[e] = {owned.key[e], owned.count[e], owned.weight_sum[e]};
  const std::vector<std::uint8_t> all = comm.gather_bytes(mine.data(), mine.size() * sizeof(EdgeRecord), 0);
  if (!comm.is_root()) return EdgeList{};
  std::vector<EdgeRecord> records(all.size() / sizeof(EdgeRecord));
  if (!all.empty()) std::memcpy(records.data(), all.data(), all.size());
  std::sort(records.begin(), records.end(), [](const EdgeRecord& a, const EdgeRecord& b) { return a.key < b.key; });
  return from_records(records.data(), records.size());
}

}  // namespace coact::graph
