#include "coact/data/synth.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/progress.h"
#include "coact/core/rng.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_writer.h"

namespace coact::data {

namespace {

// Independent random streams, one per purpose.
constexpr std::uint64_t kDirectionsTag = 1, kRankingTag = 2, kGroupingTag = 3, kOffsetTag = 4, kRowsTag = 5;

// Rows are generated and written in fixed global blocks so results and statistics do not
// depend on how blocks are spread over ranks.
constexpr std::int64_t kBlockRows = 4096;

template <class T>
void seeded_shuffle(std::vector<T>& values, std::uint64_t seed, std::uint64_t tag) {
  CounterRng rng(mix_seed(seed, tag), 0);
  for (std::size_t i = values.size(); i > 1; --i) std::swap(values[i - 1], values[static_cast<std::size_t>(rng.below(i))]);
}

}  // namespace

const options::Table<SynthConfig>& synth_table() {
  static const options::Table<SynthConfig> table = [] {
    using namespace options;
    using C = SynthConfig;
    Table<C> t;
    // Bounds on sizes say what they protect: a row count past 2^40 is petabytes, a width past
    // 2^20 is beyond any model's residual stream.
    t.add(integer("rows", "rows (tokens) to generate").at_least(1).at_most(1099511627776.0, "2^40 rows"), &C::rows);
    t.add(integer("d", "activation width").at_least(1).at_most(1048576, "2^20"), &C::d);
    t.add(integer("features", "true features n_true").at_least(1).at_most(16777216, "2^24"), &C::features);
    t.add(real("zipf-exponent", "firing probability ∝ rank^-exponent").at_least(0).at_most(100), &C::zipf_exponent);
    t.add(real("max-probability", "probability of the most common feature").above(0).at_most(1, "a probability"),
          &C::max_probability);
    t.add(real("min-probability", "floor of the firing probabilities").at_least(0).at_most(1, "a probability"),
          &C::min_probability);
    t.add(real("grouped-fraction", "share of features in correlated groups").at_least(0).at_most(1, "a share"),
          &C::grouped_fraction);
    t.add(integer("group-size", "features per group").at_least(2).at_most(65536), &C::group_size);
    t.add(real("group-probability", "per-token probability of a group event").at_least(0).at_most(1, "a probability"),
          &C::group_probability);
    t.add(real("within-group-probability", "probability a member fires during its group's event").at_least(0)
              .at_most(1, "a probability"),
          &C::within_group_probability);
    t.add(real("magnitude-min", "smallest activation magnitude").at_least(0).at_most(1e4, "float16 stores hold |x| <= 65504"),
          &C::magnitude_min);
    t.add(real("magnitude-max", "largest activation magnitude").at_least(0).at_most(1e4, "float16 stores hold |x| <= 65504"),
          &C::magnitude_max);
    t.add(real("noise", "standard deviation of dense Gaussian noise").at_least(0).at_most(1e3, "float16 stores hold |x| <= 65504"),
          &C::noise);
    t.add(real("offset-norm", "norm of a constant offset (0: none)").at_least(0).at_most(1e4, "float16 stores hold |x| <= 65504"),
          &C::offset_norm);
    t.add<io::ElementType>(text("dtype", "stored dtype").one_of({"float32", "float16"}), &C::dtype,
                           [](const io::ElementType& e) { return std::string(e == io::ElementType::F16 ? "float16" : "float32"); },
                           [](const std::string& name) { return *io::store_dtype(name); });
    t.add(integer("truth-rows", "rows whose true codes are stored").at_least(0).at_most(1048576, "2^20 rows of codes"),
          &C::truth_rows);
    t.add(integer("seed", "generator seed").at_least(0), &C::seed);
    return t;
  }();
  return table;
}

double synth_store_bytes(const SynthConfig& c) {
  return static_cast<double>(c.rows) * static_cast<double>(c.d) * (c.dtype == io::ElementType::F16 ? 2.0 : 4.0);
}

std::string synth_store_size_text(const SynthConfig& c) {
  return str("rows ", with_commas(c.rows), " × d ", c.d, " × ", c.dtype == io::ElementType::F16 ? 2 : 4, " bytes");
}

void check_synth_combination(const SynthConfig& c, const options::Labeler& label) {
  if (c.min_probability > c.max_probability)
    throw UsageError(str(label("min-probability"), " = ", c.min_probability, ": must be at most ", label("max-probability"),
                         " = ", c.max_probability));
  if (c.magnitude_min > c.magnitude_max)
    throw UsageError(str(label("magnitude-max"), " = ", c.magnitude_max, ": must be at least ", label("magnitude-min"), " = ",
                         c.magnitude_min));
  if (c.dtype != io::ElementType::F32 && c.dtype != io::ElementType::F16)
    throw UsageError(str(label("dtype"), ": must be float32 or float16"));
}

void SynthConfig::validate() const {
  synth_table().check(*this, options::flag_labels());
  check_synth_combination(*this, options::flag_labels());
}

SyntheticGenerator::SyntheticGenerator(const SynthConfig& config) : config_(config) {
  config_.validate();
  const std::int64_t n = config_.features, d = config_.d;

  // Directions: isotropic Gaussian vectors, normalised; feature i from its own stream.
  directions_.resize(static_cast<std::size_t>(n * d));
  for (std::int64_t i = 0; i < n; ++i) {
    CounterRng rng(mix_seed(config_.seed, kDirectionsTag), static_cast<std::uint64_t>(i));
    double norm_sq = 0;
    float* row = directions_.data() + i * d;
    for (std::int64_t c = 0; c < d; ++c) {
      row[c] = static_cast<float>(rng.normal());
      norm_sq += static_cast<double>(row[c]) * row[c];
    }
    const float inv = static_cast<float>(1.0 / std::sqrt(norm_sq));
    for (std::int64_t c = 0; c < d; ++c) row[c] *= inv;
  }

  // Zipf probabilities over a random ranking of the features.
  std::vector<std::int64_t> ranking(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) ranking[static_cast<std::size_t>(i)] = i;
  seeded_shuffle(ranking, config_.seed, kRankingTag);
  probabilities_.resize(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < n; ++r) {
    const double p = config_.max_probability / std::pow(static_cast<double>(r + 1), config_.zipf_exponent);
    probabilities_[static_cast<std::size_t>(ranking[static_cast<std::size_t>(r)])] = std::max(p, config_.min_probability);
  }

  // Groups: a random subset of features, cut into consecutive groups of group_size.
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
  seeded_shuffle(order, config_.seed, kGroupingTag);
  const std::int64_t group_count =
      static_cast<std::int64_t>(std::floor(config_.grouped_fraction * static_cast<double>(n))) / config_.group_size;
  groups_.assign(static_cast<std::size_t>(n), -1);
  group_members_begin_.assign(static_cast<std::size_t>(group_count + 1), 0);
  for (std::int64_t g = 0; g < group_count; ++g) {
    std::vector<std::int64_t> members(order.begin() + g * config_.group_size, order.begin() + (g + 1) * config_.group_size);
    std::sort(members.begin(), members.end());
    for (auto m : members) {
      groups_[static_cast<std::size_t>(m)] = g;
      group_members_.push_back(m);
    }
    group_members_begin_[static_cast<std::size_t>(g + 1)] = static_cast<std::int64_t>(group_members_.size());
  }

  offset_.assign(static_cast<std::size_t>(d), 0.0f);
  if (config_.offset_norm > 0) {
    CounterRng rng(mix_seed(config_.seed, kOffsetTag), 0);
    double norm_sq = 0;
    for (auto& v : offset_) {
      v = static_cast<float>(rng.normal());
      norm_sq += static_cast<double>(v) * v;
    }
    const double scale = config_.offset_norm / std::sqrt(norm_sq);
    for (auto& v : offset_) v = static_cast<float>(v * scale);
  }
}

double SyntheticGenerator::expected_l0() const {
  double l0 = 0;
  for (std::size_t i = 0; i < probabilities_.size(); ++i) {
    const double p = probabilities_[i];
    const double q = groups_[i] >= 0 ? config_.group_probability * config_.within_group_probability : 0.0;
    l0 += 1.0 - (1.0 - p) * (1.0 - q);  // fires independently or through its group
  }
  return l0;
}

void SyntheticGenerator::generate(std::int64_t first, std::int64_t count, float* out, float* codes) const {
  const std::int64_t n = config_.features, d = config_.d;
  const std::int64_t group_count = static_cast<std::int64_t>(group_members_begin_.size()) - 1;
  const float magnitude_span = static_cast<float>(config_.magnitude_max - config_.magnitude_min);
#pragma omp parallel
  {
    std::vector<float> code(static_cast<std::size_t>(n));
    std::vector<char> group_active(static_cast<std::size_t>(group_count));
#pragma omp for schedule(static)
    for (std::int64_t r = 0; r < count; ++r) {
      // Row i's values come from stream i only: the same on any rank, in any order.
      CounterRng rng(mix_seed(config_.seed, kRowsTag), static_cast<std::uint64_t>(first + r));
      for (std::int64_t g = 0; g < group_count; ++g)
        group_active[static_cast<std::size_t>(g)] = rng.uniform_double() < config_.group_probability;
      float* x = out + r * d;
      for (std::int64_t c = 0; c < d; ++c) x[c] = offset_[static_cast<std::size_t>(c)];
      for (std::int64_t i = 0; i < n; ++i) {
        const Philox4x32 draw = rng.next();  // one block: independent, group and magnitude draws
        const bool independent = uniform_double(draw.v[0], draw.v[1]) < probabilities_[static_cast<std::size_t>(i)];
        const std::int64_t g = groups_[static_cast<std::size_t>(i)];
        const bool through_group = g >= 0 && group_active[static_cast<std::size_t>(g)] &&
                                   uniform_float(draw.v[2]) < static_cast<float>(config_.within_group_probability);
        float a = 0.0f;
        if (independent || through_group) {
          a = static_cast<float>(config_.magnitude_min) + magnitude_span * uniform_float(draw.v[3]);
          const float* f = directions_.data() + i * d;
          for (std::int64_t c = 0; c < d; ++c) x[c] += a * f[c];
        }
        code[static_cast<std::size_t>(i)] = a;
      }
      if (config_.noise > 0)
        for (std::int64_t c = 0; c < d; ++c) x[c] += static_cast<float>(config_.noise * rng.normal());
      if (codes) std::copy(code.begin(), code.end(), codes + r * n);
    }
  }
}

namespace {

void write_ground_truth(io::File& file, const SyntheticGenerator& generator) {
  const auto& c = generator.config();
  file.create_group("/ground_truth");
  file.write_dataset<float>("/ground_truth/directions", generator.directions(), {c.features, c.d});
  file.write_dataset<double>("/ground_truth/firing_probability", generator.probabilities(), {c.features});
  file.write_dataset<std::int64_t>("/ground_truth/group", generator.groups(), {c.features});
  file.write_dataset<float>("/ground_truth/offset", generator.offset(), {c.d});
  const std::int64_t truth_rows = std::min(c.truth_rows, c.rows);
  if (truth_rows > 0) {
    std::vector<float> rows(static_cast<std::size_t>(truth_rows * c.d)), codes(static_cast<std::size_t>(truth_rows * c.features));
    generator.generate(0, truth_rows, rows.data(), codes.data());
    file.write_dataset<float>("/ground_truth/codes", codes, {truth_rows, c.features});
  }
  auto attrs = file.group_attributes("/ground_truth");
  attrs.set("features", c.features);
  attrs.set("zipf_exponent", c.zipf_exponent);
  attrs.set("max_probability", c.max_probability);
  attrs.set("min_probability", c.min_probability);
  attrs.set("grouped_fraction", c.grouped_fraction);
  attrs.set("group_size", c.group_size);
  attrs.set("group_probability", c.group_probability);
  attrs.set("within_group_probability", c.within_group_probability);
  attrs.set("magnitude_min", c.magnitude_min);
  attrs.set("magnitude_max", c.magnitude_max);
  attrs.set("noise", c.noise);
  attrs.set("offset_norm", c.offset_norm);
  attrs.set("seed", static_cast<std::int64_t>(c.seed));
  attrs.set("expected_l0", generator.expected_l0());
}

io::ActivationWriterOptions writer_options(const SynthConfig& c, std::int64_t rows, const std::string& command_line,
                                           const std::string& config_text) {
  io::ActivationWriterOptions options;
  options.rows = rows;
  options.d = c.d;
  options.dtype = c.dtype;
  options.source = "synthetic";
  options.provenance.command_line = command_line;
  options.provenance.config = config_text;
  options.provenance.inputs["generator"] = str("synthetic seed ", c.seed);
  return options;
}

// A signal asked the whole job to stop (coact run's data stage): every rank stops at the same
// round; the unfinished output's temporary is removed by its writer.
void stop_if_interrupted(dist::MpiComm& comm, std::int64_t rows_done, std::int64_t rows) {
  if (comm.allreduce_sum<std::int32_t>(interrupt_requested() ? 1 : 0) > 0)
    throw InterruptedError(str("synthetic data interrupted by a signal after about ", with_commas(rows_done), " of ",
                               with_commas(rows), " rows; nothing was kept, run it again"));
}

}  // namespace

void write_synthetic_store(const std::string& path, bool force, bool shards, dist::MpiComm& comm,
                           const SynthConfig& config, const std::string& command_line, const std::string& config_text) {
  const SyntheticGenerator generator(config);
  const int rank = comm.rank(), ranks = comm.size();
  const std::int64_t blocks = (config.rows + kBlockRows - 1) / kBlockRows;
  Progress progress("synth", config.rows, "rows", {.enabled = comm.is_root()});
  std::vector<float> buffer(static_cast<std::size_t>(kBlockRows * config.d));

  if (!shards) {
    io::ActivationWriter writer(path, force, &comm, writer_options(config, config.rows, command_line, config_text));
    // Round k: rank r writes block k·P + r (or nothing); every rank makes the same calls.
    const std::int64_t rounds = (blocks + ranks - 1) / ranks;
    for (std::int64_t k = 0; k < rounds; ++k) {
      const std::int64_t block = k * ranks + rank;
      const std::int64_t first = std::min(block * kBlockRows, config.rows);
      const std::int64_t count = block < blocks ? std::min(kBlockRows, config.rows - first) : 0;
      if (count > 0) generator.generate(first, count, buffer.data());
      writer.write_rows(first, count, buffer.data());
      // Rows written by all ranks in this round.
      progress.advance(std::min(config.rows, (k + 1) * ranks * kBlockRows) - std::min(config.rows, k * ranks * kBlockRows));
      stop_if_interrupted(comm, std::min(config.rows, (k + 1) * ranks * kBlockRows), config.rows);
    }
    write_ground_truth(writer.file(), generator);
    writer.finish();
    progress.finish();
    return;
  }

  // One shard per rank: rank r holds the contiguous rows [N·r/P, N·(r+1)/P).
  namespace fs = std::filesystem;
  std::uint8_t refuse = 0;
  if (comm.is_root()) {
    std::error_code ec;
    if (fs::exists(path, ec) && !fs::is_directory(path, ec)) refuse = 2;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.path().filename().string().rfind("shard_", 0) == 0 && !force) refuse = 1;
  }
  refuse = comm.broadcast_value(refuse, 0);
  if (refuse == 2) throw OutputExistsError(str(path, ": exists and is not a directory (sharded output needs one)"));
  if (refuse == 1) throw OutputExistsError(str(path, ": already holds shards; pass --force to overwrite them"));
  const std::int64_t first = config.rows * rank / ranks, last = config.rows * (rank + 1) / ranks;
  char name[32];
  std::snprintf(name, sizeof name, "shard_%05d.h5", rank);
  {
    io::ActivationWriter writer((fs::path(path) / name).string(), force, nullptr,
                                writer_options(config, last - first, command_line, config_text));
    // The same number of rounds on every rank (shards differ by at most one row), so every
    // rank takes part in each round's interruption check.
    const std::int64_t rounds = (config.rows / ranks + 1 + kBlockRows - 1) / kBlockRows;
    for (std::int64_t k = 0; k < rounds; ++k) {
      const std::int64_t row = first + k * kBlockRows;
      const std::int64_t count = std::max<std::int64_t>(0, std::min(kBlockRows, last - row));
      if (count > 0) {
        generator.generate(row, count, buffer.data());
        writer.write_rows(row - first, count, buffer.data());
      }
      progress.advance(count * ranks);
      stop_if_interrupted(comm, std::min(config.rows, (k + 1) * kBlockRows * ranks), config.rows);
    }
    if (rank == 0) write_ground_truth(writer.file(), generator);
    writer.finish();
  }
  comm.barrier();
  if (comm.is_root()) {
    // Shards of an earlier run with more ranks would join this store: remove them now that
    // every new shard is in place.
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      const std::string file = entry.path().filename().string();
      int index = -1;
      if (std::sscanf(file.c_str(), "shard_%d.h5", &index) == 1 && index >= ranks) fs::remove(entry.path(), ec);
    }
  }
  progress.finish();
}

}  // namespace coact::data
