// Activation-based matching between two SAEs that saw the same tokens (two seeds on one store,
// or two models recorded on the same token stream, e.g. base vs fine-tuned): the Pearson
// correlation of every feature pair's activations over N tokens,
//   r(i, j) = (N·P_ij − S_i·T_j) / sqrt((N·Q_i − S_i²)(N·R_j − T_j²)),
// from sufficient statistics accumulated batch by batch: S_i = Σ a_i, Q_i = Σ a_i², T_j = Σ b_j,
// R_j = Σ b_j², P_ij = Σ a_i·b_j (sums over tokens, in double). Codes are sparse, so only
// active pairs contribute to P (an inactive feature adds 0 to every sum) and no n × n × N or
// dense N × n intermediate is formed: per batch the first SAE's codes are transposed to
// feature-major order and each feature i adds its tokens' second-SAE codes into row i of P
// (rows are split over OpenMP threads, so the sums are bit-identical for any thread count).
// Ranks accumulate their own batches and sum the statistics (allreduce); the result depends on
// the rank count only through floating-point reassociation of those double sums.
// A feature that never varies over the N tokens (dead, or constant) has no defined correlation;
// it is given r = 0 with everything (matching cost 1).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/options.h"

#include "coact/core/tensor.h"
#include "coact/graph/coactivation.h"

namespace coact::dist {
class Comm;
class MpiRuntime;
}

namespace coact::compare {

class CorrelationAccumulator {
 public:
  // UsageError unless both widths are positive.
  CorrelationAccumulator(std::int64_t first_features, std::int64_t second_features);

  // One batch: the codes of the same `rows` tokens under each SAE (entries not stored are 0;
  // stored entries may be any finite value). InputError when the row counts or widths differ
  // from the accumulator's, or an index is out of range.
  void add_batch(const graph::SparseRowsView& first, const graph::SparseRowsView& second);
  // Sums every rank's statistics into every rank (collective).
  void reduce(dist::Comm& comm);

  std::int64_t first_features() const { return n1_; }
  std::int64_t second_features() const { return n2_; }
  std::int64_t tokens() const { return tokens_; }
  // Tokens in which each feature was non-zero (its stored entries).
  const std::vector<std::int64_t>& first_active() const { return active1_; }
  const std::vector<std::int64_t>& second_active() const { return active2_; }

  // r(i, j) into out (n1 × n2, any row stride >= n2); 0 where a feature is constant.
  void correlation(MatrixView<float> out) const;
  std::vector<float> correlation() const;
  // The matching cost 1 − r(i, j), as a new contiguous n1 × n2 matrix.
  std::vector<float> cost() const;

 private:
  std::int64_t n1_, n2_;
  std::int64_t tokens_ = 0;
  std::vector<double> cross_;  // P, n1 × n2
  std::vector<double> sum1_, square1_, sum2_, square2_;
  std::vector<std::int64_t> active1_, active2_;
  // Work space of add_batch: the first batch in feature-major order.
  std::vector<std::int64_t> column_begin_;
  std::vector<std::int32_t> column_row_;
  std::vector<float> column_value_;
};

// Correlations of every pair of SAEs over the first `num_batches` batches of `batch_tokens`
// tokens of their stores (one store per SAE, in the same token order; SAEs of one model may
// share a store, which is then read once per normalisation). Each SAE encodes its own
// activations with its own input normalisation. Collective over mpi.world(): rank r takes
// batches r, r + P, ... (as graph building does), every SAE encodes the rank's batch, every
// pair accumulates, and the statistics are summed over ranks.
struct ActivationCorrelationOptions {
  std::vector<std::string> saes;
  std::vector<std::string> stores;  // one per SAE
  std::int64_t batch_tokens = 16384;
  std::int64_t num_batches = 50;    // N = batch_tokens · num_batches tokens (fewer if the stores are shorter)
  std::int64_t encode_rows = 4096;
  backend::DeviceRequest device = backend::DeviceRequest::Cpu;
};

// The sizes a user sets for --match activations (flags of coact compare, keys of [compare]).
const options::Table<ActivationCorrelationOptions>& correlation_table();

struct PairCorrelation {
  std::size_t first = 0, second = 0;  // indices into the SAE list, first < second
  std::int64_t tokens = 0;
  std::vector<float> correlation;     // n_first × n_second
  std::vector<std::int64_t> first_active, second_active;  // tokens each feature was active in
};

// Every pair (i < j) in order (0,1), (0,2), ..., (1,2), ... on the root; empty elsewhere.
// InputError when the stores' widths do not match their SAEs or hold different numbers of rows.
std::vector<PairCorrelation> activation_correlations(dist::MpiRuntime& mpi, const ActivationCorrelationOptions& options);

}  // namespace coact::compare
