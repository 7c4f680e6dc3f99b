// Co-activation accumulation: the seed study's graph definition (docs/method.md), batch by batch.
//
// For batch b with activations Z (B × n): every token's top-k features (highest activation;
// ties to the lower index) contribute each unordered pair {i, j} among them once:
//   count(i, j) += 1,  wsum(i, j) += cos_b(i, j),
//   cos_b(i, j) = <Z[:,i], Z[:,j]> / (max(|Z[:,i]|, 1e-12) · max(|Z[:,j]|, 1e-12))
// over the B tokens of that batch. Zero policy `positive` lets only z > 0 into a top-k (a token
// with m < k active features adds the C(m, 2) pairs among them); `seed` fills a top-k with the
// lowest-index zero-valued features, as the original PyTorch code effectively did.
//
// Batches arrive as sparse rows (only z > 0 stored), so per-batch cosines are computed only
// for pairs that occur, from the batch's columns: never a dense n × n array. Partial edge maps
// are sorted (key, count, weight sum) arrays; ranks reduce them by edge owner with all-to-all.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace coact::dist {
class MpiComm;
}

namespace coact::graph {

enum class ZeroPolicy { Positive, Seed };
ZeroPolicy parse_zero_policy(const std::string& text);  // "positive" | "seed"
const char* to_string(ZeroPolicy policy);

// One batch of activations with only the positive entries stored, row by row (CSR). Column
// indices within a row need not be sorted. A view, so codes made elsewhere (the SAE encoder)
// need no copy.
struct SparseRowsView {
  std::int64_t rows = 0;
  std::int64_t features = 0;
  std::span<const std::int64_t> row_begin;  // rows + 1
  std::span<const std::int32_t> feature;    // nnz
  std::span<const float> value;             // nnz, > 0
};

// An owning SparseRowsView.
struct SparseBatch {
  std::int64_t rows = 0;
  std::int64_t features = 0;
  std::vector<std::int64_t> row_begin;  // rows + 1
  std::vector<std::int32_t> feature;    // nnz
  std::vector<float> value;             // nnz, > 0

  SparseRowsView view() const { return {rows, features, row_begin, feature, value}; }
};

// Builds a SparseBatch from a dense row-major rows × features block (entries <= 0 dropped).
SparseBatch sparse_from_dense(std::span<const float> dense, std::int64_t rows, std::int64_t features);

// Edges of a partial or final graph, sorted by key = i · n + j with i < j.
struct EdgeList {
  std::vector<std::uint64_t> key;
  std::vector<std::int64_t> count;
  std::vector<double> weight_sum;

  std::size_t size() const { return key.size(); }
};

class CoactivationAccumulator {
 public:
  CoactivationAccumulator(std::int64_t features, int k, ZeroPolicy policy);

  // Adds one batch (all of its tokens). Deterministic: the same batches in the same order give
  // bit-identical sums.
  void add_batch(const SparseRowsView& batch);
  void add_batch(const SparseBatch& batch) { add_batch(batch.view()); }

  std::int64_t features() const { return features_; }
  int k() const { return k_; }
  ZeroPolicy policy() const { return policy_; }
  std::int64_t tokens() const { return tokens_; }
  std::int64_t batches() const { return batches_; }
  const EdgeList& edges() const { return edges_; }
  // Tokens in which each feature was > 0, and in which it was in the token's top-k.
  const std::vector<std::int64_t>& active_counts() const { return active_; }
  const std::vector<std::int64_t>& topk_counts() const { return topk_; }

  // Sums every rank's partial state: edges are exchanged with their owner rank (all-to-all)
  // and then gathered on the root, which returns the complete, sorted edge list (other ranks
  // return an empty one); token and per-feature counts are summed on every rank. Partials are
  // added in rank order, so the result depends on the rank count only through
  // floating-point reassociation of the weight sums (accumulated in double).
  EdgeList reduce(dist::MpiComm& comm);

 private:
  std::int64_t features_;
  int k_;
  ZeroPolicy policy_;
  std::int64_t tokens_ = 0;
  std::int64_t batches_ = 0;
  std::vector<std::int64_t> active_;
  std::vector<std::int64_t> topk_;
  EdgeList edges_;
};

// Merges b into a (sorted by key; counts and sums added, a's term first).
EdgeList merge_edges(const EdgeList& a, const EdgeList& b);

}  // namespace coact::graph
