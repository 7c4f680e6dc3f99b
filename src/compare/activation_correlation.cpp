#include "coact/compare/activation_correlation.h"

#include <algorithm>
#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/memory.h"
#include "coact/core/strings.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/dist/comm.h"
#include "coact/dist/mpi.h"
#include "coact/graph/batch_encoder.h"
#include "coact/io/activation_store.h"
#include "coact/io/batch_reader.h"
#include "coact/sae/checkpoint.h"

namespace coact::compare {

const options::Table<ActivationCorrelationOptions>& correlation_table() {
  static const options::Table<ActivationCorrelationOptions> table = [] {
    using namespace options;
    using O = ActivationCorrelationOptions;
    Table<O> t;
    t.add(integer("correlation-batch-tokens", "--match activations: tokens per batch").at_least(1).at_most(16777216),
          &O::batch_tokens);
    t.add(integer("correlation-batches", "--match activations: batches (the first ones in stored order)").at_least(1)
              .at_most(1e9),
          &O::num_batches);
    t.add(integer("encode-rows", "--match activations: rows encoded at once").at_least(1).at_most(16777216).performance(),
          &O::encode_rows);
    return t;
  }();
  return table;
}

namespace {

void check_batch(const graph::SparseRowsView& batch, std::int64_t features, const char* side) {
  if (batch.features != features)
    throw InputError(str("activation correlation: the ", side, " codes have ", batch.features, " features, expected ", features));
  if (static_cast<std::int64_t>(batch.row_begin.size()) != batch.rows + 1 || batch.row_begin.front() != 0 ||
      batch.row_begin.back() != static_cast<std::int64_t>(batch.feature.size()) || batch.feature.size() != batch.value.size())
    throw InputError(str("activation correlation: the ", side, " codes are not a well-formed CSR batch"));
  for (const std::int32_t f : batch.feature)
    if (f < 0 || f >= features)
      throw InputError(str("activation correlation: the ", side, " codes name feature ", f, ", expected [0, ", features, ")"));
}

// Σ a, Σ a² and the active count of every feature over one batch.
void add_moments(const graph::SparseRowsView& batch, std::vector<double>& sum, std::vector<double>& square,
                 std::vector<std::int64_t>& active) {
  for (std::size_t e = 0; e < batch.feature.size(); ++e) {
    const auto f = static_cast<std::size_t>(batch.feature[e]);
    const double v = batch.value[e];
    sum[f] += v;
    square[f] += v * v;
    active[f] += v != 0.0f;
  }
}

}  // namespace

CorrelationAccumulator::CorrelationAccumulator(std::int64_t first_features, std::int64_t second_features)
    : n1_(first_features), n2_(second_features) {
  if (n1_ <= 0 || n2_ <= 0)
    throw UsageError(str("activation correlation needs features on both sides (got ", n1_, " and ", n2_, ")"));
  cross_ = allocate_vector<double>({"the activation correlation sums of every feature pair (n1 x n2)"},
                                   static_cast<std::size_t>(n1_ * n2_));
  sum1_.assign(static_cast<std::size_t>(n1_), 0.0);
  square1_.assign(static_cast<std::size_t>(n1_), 0.0);
  sum2_.assign(static_cast<std::size_t>(n2_), 0.0);
  square2_.assign(static_cast<std::size_t>(n2_), 0.0);
  active1_.assign(static_cast<std::size_t>(n1_), 0);
  active2_.assign(static_cast<std::size_t>(n2_), 0);
}

void CorrelationAccumulator::add_batch(const graph::SparseRowsView& first, const graph::SparseRowsView& second) {
  if (first.rows != second.rows)
    throw InputError(str("activation correlation: batches of ", first.rows, " and ", second.rows,
                         " tokens; both SAEs must see the same tokens"));
  check_batch(first, n1_, "first");
  check_batch(second, n2_, "second");
  add_moments(first, sum1_, square1_, active1_);
  add_moments(second, sum2_, square2_, active2_);
  tokens_ += first.rows;

  // The first batch feature-major (counting sort; rows stay in token order within a feature).
  column_begin_.assign(static_cast<std::size_t>(n1_) + 1, 0);
  for (const std::int32_t f : first.feature) ++column_begin_[static_cast<std::size_t>(f) + 1];
  for (std::int64_t f = 0; f < n1_; ++f) column_begin_[static_cast<std::size_t>(f) + 1] += column_begin_[static_cast<std::size_t>(f)];
  column_row_.resize(first.feature.size());
  column_value_.resize(first.feature.size());
  {
    std::vector<std::int64_t> next(column_begin_.begin(), column_begin_.end() - 1);
    for (std::int64_t t = 0; t < first.rows; ++t)
      for (std::int64_t e = first.row_begin[static_cast<std::size_t>(t)]; e < first.row_begin[static_cast<std::size_t>(t) + 1]; ++e) {
        const auto slot = static_cast<std::size_t>(next[static_cast<std::size_t>(first.feature[static_cast<std::size_t>(e)])]++);
        column_row_[slot] = static_cast<std::int32_t>(t);
        column_value_[slot] = first.value[static_cast<std::size_t>(e)];
      }
  }
  // Row i of P gathers, over the tokens where feature i is active, a_i · (that token's codes).
  // One thread owns a row, so each P_ij is summed in token order whatever the thread count.
  const std::int64_t n1 = n1_, n2 = n2_;
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t i = 0; i < n1; ++i) {
    double* row = cross_.data() + i * n2;
    for (std::int64_t c = column_begin_[static_cast<std::size_t>(i)]; c < column_begin_[static_cast<std::size_t>(i) + 1]; ++c) {
      const auto t = static_cast<std::size_t>(column_row_[static_cast<std::size_t>(c)]);
      const double a = column_value_[static_cast<std::size_t>(c)];
      for (std::int64_t e = second.row_begin[t]; e < second.row_begin[t + 1]; ++e)
        row[second.feature[static_cast<std::size_t>(e)]] += a * static_cast<double>(second.value[static_cast<std::size_t>(e)]);
    }
  }
}

void CorrelationAccumulator::reduce(dist::Comm& comm) {
  if (comm.size() == 1) return;
  comm.allreduce_sum(std::span<double>(cross_));
  comm.allreduce_sum(std::span<double>(sum1_));
  comm.allreduce_sum(std::span<double>(square1_));
  comm.allreduce_sum(std::span<double>(sum2_));
  comm.allreduce_sum(std::span<double>(square2_));
  comm.allreduce_sum(std::span<std::int64_t>(active1_));
  comm.allreduce_sum(std::span<std::int64_t>(active2_));
  tokens_ = comm.allreduce_sum(tokens_);
}

void CorrelationAccumulator::correlation(MatrixView<float> out) const {
  if (out.rows != n1_ || out.cols != n2_)
    throw UsageError(str("activation correlation: output is ", out.rows, " x ", out.cols, ", expected ", n1_, " x ", n2_));
  const double n = static_cast<double>(tokens_);
  // N·Q − S² per feature; 1 / sqrt of it, or 0 for a constant feature (correlation 0).
  const auto scales = [n](const std::vector<double>& sum, const std::vector<double>& square) {
    std::vector<double> scale(sum.size(), 0.0);
    for (std::size_t f = 0; f < sum.size(); ++f) {
      const double spread = n * square[f] - sum[f] * sum[f];
      // Cancellation leaves a constant feature's spread at rounding level of N·Q, not exactly 0.
      if (spread > 1e-12 * n * square[f]) scale[f] = 1.0 / std::sqrt(spread);
    }
    return scale;
  };
  const std::vector<double> scale1 = scales(sum1_, square1_), scale2 = scales(sum2_, square2_);
  const std::int64_t n1 = n1_, n2 = n2_;
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < n1; ++i) {
    const double s = sum1_[static_cast<std::size_t>(i)], k1 = scale1[static_cast<std::size_t>(i)];
    const double* p = cross_.data() + i * n2;
    float* r = out.row(i);
    for (std::int64_t j = 0; j < n2; ++j) {
      const double value = (n * p[j] - s * sum2_[static_cast<std::size_t>(j)]) * k1 * scale2[static_cast<std::size_t>(j)];
      r[j] = static_cast<float>(std::clamp(value, -1.0, 1.0));
    }
  }
}

std::vector<float> CorrelationAccumulator::correlation() const {
  std::vector<float> out =
      allocate_vector<float>({"the activation correlation matrix (n1 x n2)"}, static_cast<std::size_t>(n1_ * n2_));
  correlation(MatrixView<float>(out.data(), n1_, n2_));
  return out;
}

std::vector<float> CorrelationAccumulator::cost() const {
  std::vector<float> out = correlation();
  for (float& v : out) v = 1.0f - v;
  return out;
}

std::vector<PairCorrelation> activation_correlations(dist::MpiRuntime& mpi, const ActivationCorrelationOptions& o) {
  dist::MpiComm& world = mpi.world();
  const std::size_t count = o.saes.size();
  if (count < 2) throw UsageError(str("activation matching needs at least two SAEs (got ", count, ")"));
  if (o.stores.size() != count)
    throw UsageError(str("activation matching needs one activation store per SAE (", count, " SAEs, ", o.stores.size(), " stores)"));
  if (o.batch_tokens <= 0 || o.num_batches <= 0 || o.encode_rows <= 0)
    throw UsageError("activation matching: --correlation-batch-tokens, --correlation-batches and --encode-rows must be positive");

  const auto compute = backend::make_backend(o.device, mpi.local_rank());
  // One reader per distinct store; SAEs sharing it share its batches (rows as stored: each SAE
  // applies its own input normalisation).
  struct Source {
    std::string store;
    std::unique_ptr<io::ActivationStore> opened;
    std::unique_ptr<io::OrderedBatchReader> reader;
    io::OrderedBatch batch;
  };
  std::vector<Source> sources;
  std::vector<std::size_t> source_of(count);
  std::vector<std::unique_ptr<sae::Sae>> models;
  std::vector<std::unique_ptr<graph::BatchEncoder>> encoders;
  std::int64_t rows = -1;
  for (std::size_t s = 0; s < count; ++s) {
    const sae::Checkpoint checkpoint = sae::read_checkpoint(o.saes[s], false);
    std::size_t k = 0;
    while (k < sources.size() && sources[k].store != o.stores[s]) ++k;
    if (k == sources.size()) {
      Source source{o.stores[s], std::make_unique<io::ActivationStore>(io::ActivationStore::open(o.stores[s])), nullptr, {}};
      if (rows >= 0 && source.opened->rows() != rows)
        throw InputError(str(o.stores[s], ": holds ", source.opened->rows(), " token rows but ", sources.front().store, " holds ", rows,
                             ": activation matching needs stores recorded on the same tokens"));
      rows = source.opened->rows();
      source.reader = std::make_unique<io::OrderedBatchReader>(*source.opened, o.batch_tokens, o.num_batches, world.rank(),
                                                               world.size(), io::Normalisation::None);
      sources.push_back(std::move(source));
    }
    source_of[s] = k;
    if (sources[k].opened->d() != checkpoint.config.d_in)
      throw InputError(str(o.stores[s], ": activations have d = ", sources[k].opened->d(), " but ", o.saes[s], " has d_in = ",
                           checkpoint.config.d_in));
    models.push_back(std::make_unique<sae::Sae>(sae::make_sae(*compute, checkpoint)));
    encoders.push_back(std::make_unique<graph::BatchEncoder>(*compute, *models.back(), std::min(o.encode_rows, o.batch_tokens)));
  }
  if (sources.front().reader->available_batches() < o.num_batches && world.is_root())
    log::warn(sources.front().store, ": holds ", sources.front().reader->available_batches(), " full batches of ", o.batch_tokens,
              " tokens, fewer than the ", o.num_batches, " asked for; correlating over ", sources.front().reader->total_batches());

  std::vector<CorrelationAccumulator> accumulators;
  std::vector<std::pair<std::size_t, std::size_t>> pairs;
  for (std::size_t i = 0; i < count; ++i)
    for (std::size_t j = i + 1; j < count; ++j) {
      pairs.emplace_back(i, j);
      accumulators.emplace_back(models[i]->n_features(), models[j]->n_features());
    }
  std::vector<graph::SparseBatch> codes(count);
  // The whole job's batches (the root's i-th batch is about the i·P-th of the job).
  const std::int64_t total_batches = sources.front().reader->total_batches();
  Progress progress("activation correlation", total_batches, "batches", {.enabled = world.is_root()});
  for (;;) {
    bool more = true;
    for (auto& source : sources) more = source.reader->next(source.batch) && more;
    if (!more) break;
    for (std::size_t s = 0; s < count; ++s) {
      const io::OrderedBatch& batch = sources[source_of[s]].batch;
      encoders[s]->encode(batch.values, batch.rows, codes[s]);
    }
    for (std::size_t p = 0; p < pairs.size(); ++p) accumulators[p].add_batch(codes[pairs[p].first].view(), codes[pairs[p].second].view());
    progress.advance(std::min<std::int64_t>(world.size(), total_batches - progress.done()));
  }
  progress.finish();

  std::vector<PairCorrelation> out;
  for (std::size_t p = 0; p < pairs.size(); ++p) {
    accumulators[p].reduce(world);
    if (!world.is_root()) continue;
    PairCorrelation r;
    r.first = pairs[p].first;
    r.second = pairs[p].second;
    r.tokens = accumulators[p].tokens();
    r.correlation = accumulators[p].correlation();
    r.first_active = accumulators[p].first_active();
    r.second_active = accumulators[p].second_active();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace coact::compare
