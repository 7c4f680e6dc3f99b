#include "coact/sae/training.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/dist/nccl.h"
#include "coact/io/h5.h"
#include "coact/io/shuffle.h"
#include "coact/sae/sae.h"
#include "coact/sae/trainer.h"

namespace coact::sae {

namespace fs = std::filesystem;

std::string sae_path(const std::string& dir, std::uint64_t seed) {
  return (fs::path(dir) / ("sae_" + std::to_string(seed) + ".h5")).string();
}

Recovery ground_truth_recovery(const std::vector<float>& truth, const std::vector<float>& dictionary, std::int64_t d,
                               double threshold) {
  const std::int64_t m = static_cast<std::int64_t>(truth.size()) / d, n = static_cast<std::int64_t>(dictionary.size()) / d;
  std::vector<double> norms(static_cast<std::size_t>(n));
  for (std::int64_t j = 0; j < n; ++j) {
    double s = 0;
    for (std::int64_t c = 0; c < d; ++c) s += static_cast<double>(dictionary[static_cast<std::size_t>(j * d + c)]) * dictionary[static_cast<std::size_t>(j * d + c)];
    norms[static_cast<std::size_t>(j)] = std::max(std::sqrt(s), 1e-12);
  }
  Recovery r;
  r.total = m;
  std::vector<double> best(static_cast<std::size_t>(m));
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < m; ++i) {
    const float* t = truth.data() + i * d;
    double tn = 0;
    for (std::int64_t c = 0; c < d; ++c) tn += static_cast<double>(t[c]) * t[c];
    tn = std::max(std::sqrt(tn), 1e-12);
    double top = -1;
    for (std::int64_t j = 0; j < n; ++j) {
      const float* w = dictionary.data() + j * d;
      double dot = 0;
      for (std::int64_t c = 0; c < d; ++c) dot += static_cast<double>(t[c]) * w[c];
      top = std::max(top, dot / (tn * norms[static_cast<std::size_t>(j)]));
    }
    best[static_cast<std::size_t>(i)] = top;
  }
  for (double b : best) {
    r.mmcs += b;
    r.recovered += b >= threshold;
  }
  if (m > 0) r.mmcs /= static_cast<double>(m);
  return r;
}

namespace {

enum class Plan : std::uint8_t { Fresh = 0, Resume = 1, Complete = 2 };

// What to do for every seed, decided once on the world root before any work, so a problem is
// reported by every rank at the same point.
std::vector<Plan> plan_runs(dist::MpiComm& world, const TrainingOptions& o) {
  std::vector<std::uint8_t> plans(o.seeds.size(), 0);
  std::string problem;
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
      const io::File f = io::File::open(path);
      io::require_kind(f, "sae");
      plans[i] = f.attributes().get_int("complete") != 0 && f.attributes().get_int("total_steps") >= o.steps ? 2 : 1;
    }
  }
  std::uint64_t length = problem.size();
  length = world.broadcast_value(length, 0);
  problem.resize(length);
  world.broadcast(problem.data(), length, 0);
  if (!problem.empty()) throw OutputExistsError(problem);
  world.broadcast(std::span<std::uint8_t>(plans), 0);
  std::vector<Plan> out;
  for (auto p : plans) out.push_back(static_cast<Plan>(p));
  return out;
}

// True-feature directions of a synthetic store, when it has them.
std::vector<float> ground_truth_directions(const io::ActivationStore& store) {
  const io::File f = io::File::open(store.files().front());
  if (!f.has("/ground_truth/directions")) return {};
  return f.dataset("/ground_truth/directions").read_all<float>();
}

struct GroupRun {
  dist::MpiComm& group;
  dist::Comm& gradients;
  backend::Backend& compute;
  const io::ActivationStore& store;
  const TrainingOptions& options;
  std::int64_t n_features;
  std::int64_t world_ranks;
};

TrainedSae train_one(const GroupRun& run, std::uint64_t seed, Plan plan) {
  const TrainingOptions& o = run.options;
  const std::int64_t d = run.store.d(), global_rows = o.batch_rows;
  TrainedSae result;
  result.seed = seed;
  result.path = sae_path(o.out_dir, seed);
  Stopwatch clock;

  SaeConfig config = o.config;
  config.d_in = d;
  config.n_features = run.n_features;
  config.seed = seed;
  config.lr = o.lr_override > 0 ? o.lr_override : default_config(config.recipe, d, run.n_features).lr;
  validate(config);
  DataStream data;
  data.activations = o.activations;
  data.fingerprint = store_fingerprint(o.activations);
  data.seed = o.data_seed >= 0 ? static_cast<std::uint64_t>(o.data_seed) : seed;
  data.batch_rows = o.batch_rows;
  const io::ShuffleOptions shuffle{data.seed, o.batch_rows, o.buffer_rows, o.chunk_rows};
  data.buffer_rows = io::ShuffleSchedule(run.store.rows(), shuffle).buffer_rows();
  data.chunk_rows = o.chunk_rows;
  data.normalisation = io::to_string(o.normalisation);

  Checkpoint checkpoint;
  checkpoint.config = config;
  checkpoint.data = data;
  checkpoint.total_steps = o.steps;
  checkpoint.ranks = run.group.size();
  if (plan == Plan::Complete) {
    const Checkpoint done = read_checkpoint(result.path, false);
    result.already_complete = true;
    result.steps = done.metrics.step.empty() ? done.total_steps : done.metrics.step.back();
    result.ground_truth_mmcs = done.ground_truth_mmcs;
    log::info("seed ", seed, ": ", result.path, " is already trained (", result.steps, " steps)");
    return result;
  }

  const std::int64_t local_first = global_rows * run.group.rank() / run.group.size();
  const std::int64_t local_rows = global_rows * (run.group.rank() + 1) / run.group.size() - local_first;
  Sae sae(run.compute, config);
  SaeTrainer trainer(sae, config, std::max<std::int64_t>(local_rows, 1));
  std::int64_t start = 0;
  if (plan == Plan::Resume) {
    Checkpoint saved = read_checkpoint(result.path, true);
    const auto differences = config_differences(saved, config, data);
    if (!differences.empty())
      throw UsageError(str(result.path, ": cannot resume with a different configuration: ", differences.front(),
                           differences.size() > 1 ? str(" (and ", differences.size() - 1, " more)") : std::string()));
    sae.from_host(saved.params);
    trainer.set_state(*saved.state);
    start = saved.state->step;
    checkpoint.metrics = std::move(saved.metrics);
    checkpoint.metrics.truncate_after(start);
    log::info("seed ", seed, ": resuming ", result.path, " at step ", start, " of ", o.steps);
  } else {
    sae.init(seed, config.recipe);
  }

  auto save = [&](bool complete) {
    checkpoint.params = sae.to_host();
    checkpoint.state = trainer.state();
    checkpoint.complete = complete;
    if (run.group.is_root()) {
      // The run owns its file from here on: later checkpoints replace earlier ones.
      write_checkpoint(result.path, true, checkpoint,
                       {"sae", o.command_line, o.config_text, {}});
    }
    run.group.barrier();
  };

  const std::int64_t todo = std::max<std::int64_t>(0, o.steps - start);
  io::ShuffledStream stream(run.store, shuffle, run.group.rank(), run.group.size(), start, todo, o.normalisation);
  backend::Buffer<float> batch(run.compute, static_cast<std::size_t>(std::max<std::int64_t>(local_rows, 1) * d));
  Progress progress(str("train seed ", seed), todo, "steps");
  Stopwatch since_log;
  std::int64_t tokens_since_log = 0;
  StepMetrics last;
  for (std::int64_t step = start; step < o.steps; ++step) {
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
    trainer.compute_gradients(batch.data(), local_rows, global_rows);
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
    if ((step + 1) % std::max<std::int64_t>(1, o.log_every) == 0 || step + 1 == o.steps) {
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
      throw InterruptedError(str("seed ", seed, ": interrupted by a signal after step ", step + 1, " of ", o.steps,
                                 "; checkpoint ", result.path, " written (continue with --resume)"));
    }
    if (o.checkpoint_every > 0 && (step + 1) % o.checkpoint_every == 0 && step + 1 < o.steps) save(false);
  }
  progress.finish();

  const std::vector<float> truth = ground_truth_directions(run.store);
  if (!truth.empty()) {
    const Recovery r = ground_truth_recovery(truth, sae.to_host().w_dec, d);
    checkpoint.ground_truth_mmcs = r.mmcs;
    result.ground_truth_mmcs = r.mmcs;
    log::info("seed ", seed, ": recovers ", r.recovered, " of ", r.total, " true features (cosine >= 0.9), MMCS ", r.mmcs);
  }
  save(true);
  result.steps = o.steps;
  result.last = last;
  result.seconds = clock.seconds();
  return result;
}

}  // namespace

std::vector<TrainedSae> train_saes(dist::MpiRuntime& mpi, const TrainingOptions& o) {
  dist::MpiComm& world = mpi.world();
  if (o.seeds.empty()) throw UsageError("no seed given (--seed or --seeds)");
  if (o.steps <= 0) throw UsageError(str("--steps must be positive (got ", o.steps, ")"));
  if (o.checkpoint_every < 0) throw UsageError("--checkpoint-every must be >= 0");
  const io::ActivationStore store = io::ActivationStore::open(o.activations);
  const std::int64_t d = store.d();
  if (o.d_in > 0 && o.d_in != d)
    throw InputError(str(o.activations, ": activations have d = ", d, " but --d-in is ", o.d_in));
  std::int64_t n = o.n_features > 0 ? o.n_features : o.expansion * d;
  if (o.n_features > 0 && o.expansion > 0 && o.n_features != o.expansion * d)
    throw UsageError(str("--n ", o.n_features, " and --expansion ", o.expansion, " disagree for d = ", d));
  if (n <= 0) throw UsageError("give the dictionary size with --n or --expansion");
  if (n % d != 0)
    throw UsageError(str("--n ", n, " is not a positive multiple of the activation width d = ", d,
                         " (use --expansion to give the width as a multiple)"));
  // Fails now, before any rank trains, when the batch cannot be served.
  io::ShuffleSchedule(store.rows(), {0, o.batch_rows, o.buffer_rows, o.chunk_rows});
  const std::vector<Plan> plans = plan_runs(world, o);
  install_interrupt_handlers();

  // Rank groups: group g holds ranks [gP/G, (g+1)P/G) and the seeds i with i mod G = g.
  const int ranks = world.size();
  const int groups = static_cast<int>(std::min<std::size_t>(o.seeds.size(), static_cast<std::size_t>(ranks)));
  int color = 0;
  while (static_cast<std::int64_t>(color + 1) * ranks / groups <= world.rank()) ++color;
  const auto group = world.split(color, world.rank());
  const auto compute = backend::make_backend(o.device, mpi.local_rank());
  compute->require_precision(o.config.precision);
  const auto gradients = dist::make_gradient_comm(*group, *compute);
  if (world.is_root())
    log::info("training ", o.seeds.size(), " SAE(s) d=", d, " n=", n, " (", to_string(o.config.recipe), ") on ", ranks,
              " rank(s) in ", groups, " group(s), ", compute->description(), "; GEMMs ",
              compute->precision_description(o.config.precision));

  const GroupRun run{*group, *gradients, *compute, store, o, n, ranks};
  std::vector<TrainedSae> mine;
  for (std::size_t i = 0; i < o.seeds.size(); ++i)
    if (static_cast<int>(i % static_cast<std::size_t>(groups)) == color) mine.push_back(train_one(run, o.seeds[i], plans[i]));

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
