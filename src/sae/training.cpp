#include "coact/sae/training.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/ground_truth.h"
#include "coact/dist/mpi.h"
#include "coact/dist/nccl.h"
#include "coact/io/h5.h"
#include "coact/io/shuffle.h"
#include "coact/sae/sae.h"
#include "coact/sae/trainer.h"
#include "shard_reductions.h"

namespace coact::sae {

namespace fs = std::filesystem;

std::string sae_path(const std::string& dir, std::uint64_t seed) {
  return (fs::path(dir) / ("sae_" + std::to_string(seed) + ".h5")).string();
}

std::vector<std::uint64_t> parse_seed_list(const std::string& text) {
  if (trim(text).empty()) throw UsageError("no seeds given (expected e.g. 52,55)");
  std::vector<std::uint64_t> seeds;
  for (const auto& part : split(text, ',')) {
    const std::string t = trim(part);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(t.data(), t.data() + t.size(), value);
    if (t.empty() || error != std::errc() || end != t.data() + t.size() || value > (std::uint64_t{1} << 62))
      throw UsageError(str("'", t, "' is not a seed (a non-negative integer below 2^62; expected e.g. 52,55)"));
    if (std::find(seeds.begin(), seeds.end(), value) != seeds.end()) throw UsageError(str(value, " is listed twice"));
    seeds.push_back(value);
  }
  return seeds;
}

std::string seed_list_text(const std::vector<std::uint64_t>& seeds) {
  std::string out;
  for (const auto seed : seeds) out += (out.empty() ? "" : ",") + std::to_string(seed);
  return out;
}

const options::Table<TrainingOptions>& training_table() {
  static const options::Table<TrainingOptions> table = [] {
    using namespace options;
    using O = TrainingOptions;
    Table<O> t;
    // The list of seeds names which SAEs to make; each SAE file records its own seed.
    t.add(text("seeds", "comma-separated SAE seeds, one SAE each")
              .shown_as("LIST")
              .validated_by([](const Value& v) { parse_seed_list(std::get<std::string>(v)); })
              .performance(),
          [](const O& o) { return Value(seed_list_text(o.seeds)); },
          [](O& o, const Value& v) { o.seeds = parse_seed_list(std::get<std::string>(v)); });
    t.add(integer("n", "dictionary size (a multiple of d)").at_least(1).below(2147483648.0, "feature indices are 32-bit")
              .derived_from("expansion × d"),
          &O::n_features);
    t.add(integer("expansion", "dictionary size as a multiple of d").at_least(1).derived_from("8 when n is not given"),
          &O::expansion);
    t.add(integer("d-in", "expected activation width (checked against the store)").at_least(1)
              .derived_from("the store's width"),
          &O::d_in);
    t.add(integer("steps", "optimiser steps (give steps or tokens; neither: one pass over the store)").at_least(1)
              .at_most(1e12, "a trillion steps")
              .derived_from("tokens / batch-size, else one pass over the store"),
          &O::steps);
    t.add(integer("tokens", "training tokens (steps = tokens / batch-size)").at_least(1).derived_from("steps × batch-size"),
          &O::tokens);
    t.add(integer("batch-size", "global batch in tokens (over all ranks of a group)").at_least(1)
              .at_most(16777216, "a batch of 2^24 rows; take more steps instead"),
          &O::batch_rows);
    t.add(integer("latent-shards", "split each SAE's latents over this many ranks of its seed group (a divisor of the "
                          "group's ranks; the others share the batch)")
              .at_least(1)
              .at_most(65536, "65,536 shards"),
          &O::latent_shards);
    t.add(integer("buffer-rows", "shuffle buffer rows (0: 384 batches, at most the store)").at_least(0), &O::buffer_rows);
    t.add(integer("chunk-rows", "rows per chunk of the per-epoch data order").at_least(1), &O::chunk_rows);
    t.add(integer("data-seed", "data order seed (-1: each SAE's seed)").at_least(-1), &O::data_seed);
    t.add<io::Normalisation>(text("normalise", "input normalisation").one_of({"none", "scale", "center-scale"}),
                             &O::normalisation, [](const io::Normalisation& n) { return std::string(io::to_string(n)); },
                             io::parse_normalisation);
    t.add(integer("checkpoint-every", "steps between checkpoints (0: at the end and on signals only)").at_least(0)
              .performance(),
          &O::checkpoint_every);
    t.add(integer("log-every", "steps between metrics rows").at_least(1).performance(), &O::log_every);
    t.add(real("lr", "Adam learning rate").above(0).at_most(1, "larger Adam steps diverge")
              .derived_from("nanda-1l 1e-4, topk, batchtopk and matryoshka 2e-4/sqrt(n/2^14), jumprelu 7e-5"),
          &O::lr);
    t.include(config_table(), &O::config, true);
    return t;
  }();
  return table;
}

void apply_training_values(const std::map<std::string, options::Value>& given, TrainingOptions& o,
                           const options::Labeler& label) {
  const auto recipe = given.find("recipe");
  if (recipe != given.end()) {
    training_table().find("recipe")->spec.check(recipe->second, label("recipe"));
    o.config = default_config(parse_recipe(std::get<std::string>(recipe->second)), 0, 0);
  }
  training_table().apply(given, o, label);
  if (o.steps && o.tokens)
    throw UsageError(str(label("steps"), " and ", label("tokens"), ": give at most one (neither: one pass over the store)"));
}

std::int64_t resolved_steps(const TrainingOptions& o, std::int64_t store_rows) {
  if (o.steps) return *o.steps;
  if (o.tokens) {
    if (*o.tokens < o.batch_rows)
      throw UsageError(str("--tokens ", *o.tokens, " is fewer than one batch of ", o.batch_rows));
    return *o.tokens / o.batch_rows;
  }
  if (store_rows < o.batch_rows)
    throw UsageError(str("the store holds ", store_rows, " rows, fewer than one batch of ", o.batch_rows,
                         " (lower --batch-size)"));
  return store_rows / o.batch_rows;
}

std::int64_t resolved_width(const TrainingOptions& o, std::int64_t d) {
  if (o.d_in && *o.d_in != d)
    throw InputError(str(o.activations, ": activations have d = ", d, " but --d-in is ", *o.d_in));
  if (o.n_features && o.expansion && *o.n_features != *o.expansion * d)
    throw UsageError(str("--n ", *o.n_features, " and --expansion ", *o.expansion, " disagree for d = ", d));
  const std::int64_t n = o.n_features ? *o.n_features : o.expansion.value_or(8) * d;
  if (n % d != 0)
    throw UsageError(str("--n ", n, " is not a positive multiple of the activation width d = ", d,
                         " (use --expansion to give the width as a multiple)"));
  if (n >= (std::int64_t{1} << 31))
    throw UsageError(str("--expansion ", o.expansion.value_or(8), " × d = ", d, " gives ", n,
                         " features, more than 2^31 - 1 (feature indices are 32-bit)"));
  return n;
}

Recovery ground_truth_recovery(const std::vector<float>& truth, const std::vector<float>& dictionary, std::int64_t d,
                               double threshold) {
  return recovery_of(data::nearest_rows(truth, dictionary, d).cosine, threshold);
}

Recovery recovery_of(const std::vector<double>& best_cosines, double threshold) {
  Recovery r;
  r.total = static_cast<std::int64_t>(best_cosines.size());
  for (const double best : best_cosines) {
    r.mmcs += best;
    r.recovered += best >= threshold;
  }
  if (r.total > 0) r.mmcs /= static_cast<double>(r.total);
  return r;
}

namespace {

enum class Plan : std::uint8_t { Fresh = 0, Resume = 1, Complete = 2 };

// What every seed of one train_saes call shares, fixed on every rank before any work.
struct RunShape {
  std::int64_t d = 0, n = 0, steps = 0;
  int ranks = 1, groups = 1, shards = 1;  // shards: --latent-shards
  std::string fingerprint;  // the store's identity (computed once, on the root)

  // Group g holds ranks [gP/G, (g+1)P/G) and trains the seeds i with i mod G = g.
  int group_of(std::size_t seed_index) const { return static_cast<int>(seed_index % static_cast<std::size_t>(groups)); }
  std::int64_t group_size(int g) const {
    return static_cast<std::int64_t>(g + 1) * ranks / groups - static_cast<std::int64_t>(g) * ranks / groups;
  }
};

SaeConfig planned_config(const TrainingOptions& o, const RunShape& shape, std::uint64_t seed) {
  SaeConfig config = o.config;
  config.d_in = shape.d;
  config.n_features = shape.n;
  config.seed = seed;
  config.lr = o.lr ? *o.lr : default_config(config.recipe, shape.d, shape.n).lr;
  return config;
}

DataStream planned_data(const TrainingOptions& o, const io::ActivationStore& store, const RunShape& shape,
                        std::uint64_t seed) {
  DataStream data;
  data.activations = o.activations;
  data.fingerprint = shape.fingerprint;
  data.seed = o.data_seed >= 0 ? static_cast<std::uint64_t>(o.data_seed) : seed;
  data.batch_rows = o.batch_rows;
  data.buffer_rows = io::ShuffleSchedule(store.rows(), {data.seed, o.batch_rows, o.buffer_rows, o.chunk_rows}).buffer_rows();
  data.chunk_rows = o.chunk_rows;
  data.normalisation = io::to_string(o.normalisation);
  return data;
}

// "PATH: cannot resume: <first difference> (and N more)".
std::string resume_refusal(const std::string& path, const std::vector<std::string>& differences) {
  return str(path, ": cannot resume with a different configuration: ", differences.front(),
             differences.size() > 1 ? str(" (and ", differences.size() - 1, " more)") : std::string(),
             "; pass --resume-anyway to continue with this run's settings (recorded in the file) or --force to start over");
}

// What to do for every seed, decided once on the world root before any work, so a problem is
// reported by every rank at the same point. A checkpoint is resumed (or found complete) only
// when everything that decides its result matches this run.
std::vector<Plan> plan_runs(dist::MpiComm& world, const TrainingOptions& o, const RunShape& shape,
                            const io::ActivationStore& store) {
  std::vector<std::uint8_t> plans(o.seeds.size(), 0);
  std::string problem;
  bool refusal = false;  // a configuration that does not match: a usage error (exit 2)
  if (world.is_root()) {
    std::error_code ec;
    if (fs::exists(o.out_dir, ec) && !fs::is_directory(o.out_dir, ec))
      problem = str(o.out_dir, ": exists and is not a directory");
    for (std::size_t i = 0; i < o.seeds.size() && problem.empty(); ++i) {
      const std::string path = sae_path(o.out_dir, o.seeds[i]);
      if (!fs::exists(path, ec)) continue;
      if (!o.resume && !o.force) {
        problem = str(path, ": output exists; pass --resume to continue it or --force to start over");
        break;
      }
      if (!o.resume) continue;
      const Checkpoint saved = read_checkpoint_record(path);
      const auto differences =
          resume_differences(saved, planned_config(o, shape, o.seeds[i]), planned_data(o, store, shape, o.seeds[i]),
                             shape.group_size(shape.group_of(i)), shape.shards);
      if (!differences.empty() && !o.resume_anyway) {
        problem = resume_refusal(path, differences);
        refusal = true;
        break;
      }
      for (const auto& d : differences) log::warn(path, ": resuming anyway with a change: ", d);
      plans[i] = saved.complete && saved.total_steps >= shape.steps ? 2 : 1;
    }
  }
  std::uint64_t length = problem.size();
  length = world.broadcast_value(length, 0);
  problem.resize(length);
  world.broadcast(problem.data(), length, 0);
  refusal = world.broadcast_value<std::uint8_t>(refusal ? 1 : 0, 0) != 0;
  if (!problem.empty()) {
    if (refusal) throw UsageError(problem);
    throw OutputExistsError(problem);
  }
  world.broadcast(std::span<std::uint8_t>(plans), 0);
  std::vector<Plan> out;
  for (auto p : plans) out.push_back(static_cast<Plan>(p));
  return out;
}

// One seed group's communicators. With latent shards the group is a grid, rank = data rank · T
// + shard: `gradients` joins the ranks of one shard (the data ranks), `shards` the T ranks of
// one data rank, and `selection` the whole group (BatchTopK's cut is over every latent of the
// global batch). Without shards `gradients` is the whole group and `shards` null.
struct GroupRun {
  dist::MpiComm& group;
  dist::Comm& gradients;
  dist::Comm& selection;
  dist::Comm* shards;
  dist::MpiComm* shard_group;  // `shards` as an MpiComm: the checkpoint's parallel file
  int data_rank, data_ranks;
  backend::Backend& compute;
  const io::ActivationStore& store;
  const TrainingOptions& options;
  const RunShape& shape;
};

TrainedSae train_one(const GroupRun& run, std::uint64_t seed, Plan plan) {
  // Each seed's group root reports its seed (seeds train at once on different ranks).
  const log::GroupVoice voice(run.group.is_root());
  const TrainingOptions& o = run.options;
  const std::int64_t d = run.store.d(), global_rows = o.batch_rows, steps = run.shape.steps;
  TrainedSae result;
  result.seed = seed;
  result.path = sae_path(o.out_dir, seed);
  Stopwatch clock;

  const SaeConfig config = planned_config(o, run.shape, seed);
  validate(config);
  const DataStream data = planned_data(o, run.store, run.shape, seed);
  const io::ShuffleOptions shuffle{data.seed, o.batch_rows, o.buffer_rows, o.chunk_rows};

  Checkpoint checkpoint;
  checkpoint.config = config;
  checkpoint.data = data;
  checkpoint.total_steps = steps;
  checkpoint.ranks = run.group.size();
  checkpoint.latent_shards = run.shape.shards;
  if (plan == Plan::Complete) {
    const Checkpoint done = read_checkpoint_record(result.path);
    result.already_complete = true;
    result.steps = done.metrics.step.empty() ? done.total_steps : done.metrics.step.back();
    result.ground_truth_mmcs = done.ground_truth_mmcs;
    log::info("seed ", seed, ": ", result.path, " is already trained (", result.steps, " steps)");
    return result;
  }

  const std::int64_t local_first = global_rows * run.data_rank / run.data_ranks;
  const std::int64_t local_rows = global_rows * (run.data_rank + 1) / run.data_ranks - local_first;
  const FeatureShard latents = run.shards != nullptr
                                   ? FeatureShard::of(run.shape.n, run.shards->rank(), run.shards->size())
                                   : FeatureShard::whole(run.shape.n);
  Sae sae(run.compute, config, latents);
  // The stream normalises the rows it serves; the SAE records how, so every command that
  // encodes with it later normalises the same way, whatever store it reads.
  if (o.normalisation != io::Normalisation::None) {
    const StoreNormalisation recorded = store_normalisation(run.store, o.normalisation);
    sae.set_input_normalisation(recorded.kind, recorded.scale, recorded.mean);
  }
  checkpoint.encoder = sae.spec();
  SaeTrainer trainer(sae, config, std::max<std::int64_t>(local_rows, 1), run.shards);
  std::int64_t start = 0;
  if (plan == Plan::Resume) {
    // Each shard reads its latents' hyperslabs, whatever T wrote the file.
    Checkpoint saved = read_checkpoint(result.path, true, latents);
    // The plan accepted these only under --resume-anyway; the file keeps the record.
    checkpoint.resume_changes = saved.resume_changes;
    for (const auto& change : resume_differences(saved, config, data, run.group.size(), run.shape.shards))
      checkpoint.resume_changes.push_back(str("at step ", saved.state->step, ": ", change));
    sae.from_host(saved.params);
    trainer.set_state(*saved.state);
    start = saved.state->step;
    checkpoint.metrics = std::move(saved.metrics);
    checkpoint.metrics.truncate_after(start);
    log::info("seed ", seed, ": resuming ", result.path, " at step ", start, " of ", steps);
  } else {
    sae.init(seed, config.recipe, config.threshold_init);
  }

  // The group root writes the file; with latent shards the T ranks of data rank 0 write it
  // together, each its latents' hyperslabs, so no rank holds the whole SAE.
  const bool writes_the_file = run.shard_group != nullptr ? run.data_rank == 0 : run.group.is_root();
  auto save = [&](bool complete) {
    if (writes_the_file) {
      // Only the writers copy parameters and Adam moments to the host (4 × theirs at the peak):
      // the other ranks' memory stays at the step's.
      checkpoint.params = sae.to_host();
      checkpoint.state = trainer.state();
      checkpoint.complete = complete;
      // The run owns its file from here on: later checkpoints replace earlier ones.
      const io::Provenance provenance{"sae", o.command_line, o.config_text, {}};
      if (run.shard_group != nullptr)
        write_checkpoint_shards(result.path, true, checkpoint, provenance, latents, *run.shard_group);
      else
        write_checkpoint(result.path, true, checkpoint, provenance);
      checkpoint.params = SaeTensors{};  // the host copies live only while the file is written
      checkpoint.state.reset();
    }
    run.group.barrier();
  };

  const std::int64_t todo = std::max<std::int64_t>(0, steps - start);
  io::ShuffledStream stream(run.store, shuffle, run.data_rank, run.data_ranks, start, todo, o.normalisation);
  backend::Buffer<float> batch(run.compute, static_cast<std::size_t>(std::max<std::int64_t>(local_rows, 1) * d));
  Progress progress(str("train seed ", seed), todo, "steps", {.enabled = log::reporting()});
  Stopwatch since_log;
  std::int64_t tokens_since_log = 0;
  StepMetrics last;
  for (std::int64_t step = start; step < steps; ++step) {
    const float* rows = stream.next();
    if (local_rows > 0)
      run.compute.copy_bytes(batch.data(), rows, static_cast<std::size_t>(local_rows * d) * sizeof(float),
                             backend::CopyKind::HostToDevice);
    if (trainer.needs_data_init()) {
      trainer.compute_data_init(batch.data(), local_rows);
      if (run.gradients.size() > 1)
        run.gradients.allreduce_sum(trainer.data_init_buffer(), trainer.data_init_count(), dist::DType::F32);
      trainer.apply_data_init();
    }
    trainer.compute_gradients(batch.data(), local_rows, global_rows, &run.selection);
    if (run.gradients.size() > 1)
      run.gradients.allreduce_sum(trainer.reduce_buffer(), trainer.reduce_count(), dist::DType::F32);
    try {
      last = trainer.apply_update();
    } catch (const NumericError& e) {
      // Every rank sees the same summed loss, so all stop here; the last checkpoint stays.
      throw NumericError(str("seed ", seed, ": training diverged at step ", step + 1, " (", e.what(),
                             "); the last good checkpoint is kept"));
    }
    tokens_since_log += global_rows;
    progress.advance();
    if ((step + 1) % std::max<std::int64_t>(1, o.log_every) == 0 || step + 1 == steps) {
      const double seconds = since_log.seconds();
      checkpoint.metrics.append(last, seconds > 0 ? static_cast<double>(tokens_since_log) / seconds : 0.0,
                                clock.seconds());
      progress.set_status(str("loss ", last.loss, ", L0 ", last.l0, ", FVU ", last.fvu, ", dead ", last.dead_fraction,
                              ", ", human_count(seconds > 0 ? static_cast<double>(tokens_since_log) / seconds : 0.0),
                              " tok/s"));
      since_log.restart();
      tokens_since_log = 0;
    }
    // A signal on any rank stops the whole group at the same step, with a checkpoint.
    const int stop = run.group.allreduce_sum<std::int32_t>(interrupt_requested() ? 1 : 0);
    if (stop > 0) {
      save(false);
      throw InterruptedError(str("seed ", seed, ": interrupted by a signal after step ", step + 1, " of ", steps,
                                 "; checkpoint ", result.path, " written (continue with --resume)"));
    }
    if (o.checkpoint_every > 0 && (step + 1) % o.checkpoint_every == 0 && step + 1 < steps) save(false);
  }
  progress.finish();

  if (const auto truth = data::read_ground_truth(o.activations)) {
    // Each true feature's best cosine over this rank's decoder rows, then over the shards.
    std::vector<double> best = data::nearest_rows(truth->directions, sae.to_host().w_dec, d).cosine;
    if (run.shard_group != nullptr) best = detail::max_over_ranks(*run.shard_group, best);
    const Recovery r = recovery_of(best);
    checkpoint.ground_truth_mmcs = r.mmcs;
    result.ground_truth_mmcs = r.mmcs;
    log::info("seed ", seed, ": recovers ", r.recovered, " of ", r.total, " true features (cosine >= 0.9), MMCS ", r.mmcs);
  }
  save(true);
  result.steps = steps;
  result.last = last;
  result.seconds = clock.seconds();
  return result;
}

}  // namespace

void check_latent_shards(const TrainingOptions& o, std::int64_t n, int ranks, int groups) {
  const std::int64_t t = o.latent_shards;
  if (t == 1) return;
  if (n > 0 && t > n) throw UsageError(str("--latent-shards ", t, " is more than the ", n, " latents"));
  for (int g = 0; g < groups; ++g) {
    const std::int64_t size = static_cast<std::int64_t>(g + 1) * ranks / groups - static_cast<std::int64_t>(g) * ranks / groups;
    if (size % t != 0)
      throw UsageError(str("--latent-shards ", t, " does not divide the ", size, " rank(s) of seed group ", g, " (",
                           ranks, " rank(s) over ", groups, " seed group(s))"));
  }
}

std::vector<TrainedSae> train_saes(dist::MpiRuntime& mpi, const TrainingOptions& o) {
  dist::MpiComm& world = mpi.world();
  if (o.seeds.empty()) throw UsageError("no seed given (--seed or --seeds)");
  training_table().check(o, options::flag_labels());
  const io::ActivationStore store = io::ActivationStore::open(o.activations);
  RunShape shape;
  shape.d = store.d();
  const std::int64_t d = shape.d;
  shape.n = resolved_width(o, d);
  const std::int64_t n = shape.n;
  shape.steps = resolved_steps(o, store.rows());
  if (!o.steps && !o.tokens && world.is_root())
    log::info("no --steps or --tokens: training one pass over the store (", shape.steps, " steps of ", o.batch_rows,
              " rows)");
  // Fails now, before any rank trains, when the batch cannot be served.
  io::ShuffleSchedule(store.rows(), {0, o.batch_rows, o.buffer_rows, o.chunk_rows});
  const int ranks = world.size();
  shape.ranks = ranks;
  shape.groups = static_cast<int>(std::min<std::size_t>(o.seeds.size(), static_cast<std::size_t>(ranks)));
  shape.shards = static_cast<int>(o.latent_shards);
  check_latent_shards(o, n, ranks, shape.groups);
  std::string fingerprint = world.is_root() ? store_fingerprint(o.activations) : std::string();
  std::uint64_t length = world.broadcast_value<std::uint64_t>(fingerprint.size(), 0);
  fingerprint.resize(length);
  world.broadcast(fingerprint.data(), length, 0);
  shape.fingerprint = fingerprint;
  const std::vector<Plan> plans = plan_runs(world, o, shape, store);
  install_interrupt_handlers();

  const int groups = shape.groups;
  int color = 0;
  while (static_cast<std::int64_t>(color + 1) * ranks / groups <= world.rank()) ++color;
  const auto group = world.split(color, world.rank());
  const auto compute = backend::make_backend(o.device, mpi.local_rank());
  compute->require_precision(o.config.precision);
  const int shards = shape.shards, data_rank = group->rank() / shards, data_ranks = group->size() / shards;
  const auto selection = dist::make_gradient_comm(*group, *compute);
  std::unique_ptr<dist::MpiComm> data_group, shard_group;
  std::unique_ptr<dist::Comm> data_comm, shard_comm;
  if (shards > 1) {
    data_group = group->split(group->rank() % shards, data_rank);
    shard_group = group->split(data_rank, group->rank() % shards);
    data_comm = dist::make_gradient_comm(*data_group, *compute);
    shard_comm = dist::make_gradient_comm(*shard_group, *compute);
  }
  if (world.is_root())
    log::info("training ", o.seeds.size(), " SAE(s) d=", d, " n=", n, " (", to_string(o.config.recipe), ", ", shape.steps,
              " steps) on ", ranks, " rank(s) in ", groups, " group(s)",
              shards > 1 ? str(" of ", data_ranks, " data rank(s) × ", shards, " latent shards") : std::string(), ", ",
              compute->description(), "; GEMMs ", compute->precision_description(o.config.precision));

  const GroupRun run{*group,
                     shards > 1 ? *data_comm : *selection,
                     *selection,
                     shard_comm.get(),
                     shard_group.get(),
                     data_rank,
                     data_ranks,
                     *compute,
                     store,
                     o,
                     shape};
  std::vector<TrainedSae> mine;
  for (std::size_t i = 0; i < o.seeds.size(); ++i)
    if (shape.group_of(i) == color) mine.push_back(train_one(run, o.seeds[i], plans[i]));

  // The world root reports every seed: each group root sends its results.
  std::string text;
  if (group->is_root())
    for (const auto& r : mine)
      text += str(r.seed, " ", r.steps, " ", r.already_complete ? 1 : 0, " ", r.ground_truth_mmcs, " ", r.seconds, " ",
                  r.last.loss, " ", r.last.l0, " ", r.last.fvu, " ", r.last.dead_fraction, "\n");
  const auto gathered = world.gather_bytes(text.data(), text.size(), 0);
  std::vector<TrainedSae> all;
  if (world.is_root()) {
    std::istringstream in(std::string(gathered.begin(), gathered.end()));
    TrainedSae r;
    int complete = 0;
    while (in >> r.seed >> r.steps >> complete >> r.ground_truth_mmcs >> r.seconds >> r.last.loss >> r.last.l0 >> r.last.fvu >>
           r.last.dead_fraction) {
      r.already_complete = complete != 0;
      r.path = sae_path(o.out_dir, r.seed);
      all.push_back(r);
    }
    std::sort(all.begin(), all.end(), [&](const TrainedSae& a, const TrainedSae& b) {
      return std::find(o.seeds.begin(), o.seeds.end(), a.seed) < std::find(o.seeds.begin(), o.seeds.end(), b.seed);
    });
  }
  return all;
}

}  // namespace coact::sae
