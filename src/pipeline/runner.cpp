#include "coact/pipeline/runner.h"

#include <filesystem>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/interrupt.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/synth.h"
#include "coact/dist/mpi.h"
#include "coact/dist/root.h"
#include "coact/eval/evaluation.h"
#include "coact/model/record_store.h"

namespace coact::pipeline {

namespace fs = std::filesystem;

namespace {

std::string name_in(const Study& s, const std::string& path) {
  std::error_code ec;
  const auto relative = fs::relative(path, s.out(), ec);
  return ec || relative.empty() || *relative.begin() == ".." ? path : relative.string();
}

}  // namespace

Runner::Runner(dist::MpiRuntime& mpi, const Study& study, const StagePlan& plan, Manifest* manifest)
    : mpi_(mpi), study_(study), plan_(plan), manifest_(manifest) {}

void Runner::record(const char* stage, std::int64_t seed, Action action, const std::string& fingerprint_text, double seconds,
                    const std::vector<std::pair<std::string, std::string>>& inputs,
                    const std::vector<std::pair<std::string, std::string>>& outputs) {
  if (!manifest_) return;
  StageRecord r;
  r.stage = stage;
  r.seed = seed;
  r.action = to_string(action);
  r.fingerprint = fingerprint(fingerprint_text);
  r.seconds = does_work(action) ? seconds : 0.0;
  if (action != Action::Later) {
    for (const auto& [role, path] : inputs)
      for (auto& f : manifest_->files(role, path)) r.inputs.push_back(f);
    for (const auto& [role, path] : outputs)
      for (auto& f : manifest_->files(role, path)) r.outputs.push_back(f);
  }
  manifest_->set(r);
  manifest_->write("running");
  std::string label = seed >= 0 ? str(stage, " ", seed) : std::string(stage);
  label.resize(std::max<std::size_t>(label.size(), 12), ' ');
  std::string action_text = r.action;
  action_text.resize(std::max<std::size_t>(action_text.size(), 14), ' ');
  lines_.push_back(str("  ", label, action_text, outputs.empty() ? "" : name_in(study_, outputs.front().second),
                       does_work(action) ? str("  (", human_duration(seconds), ")") : std::string()));
}

// The manifest starts with every output as planned: an interrupted job's manifest shows what
// was still to do.
void Runner::record_planned() {
  if (!manifest_) return;
  auto pending = [&](const char* stage, std::int64_t seed, Action action, const std::string& text) {
    StageRecord r;
    r.stage = stage;
    r.seed = seed;
    r.action = does_work(action) ? str("pending: ", to_string(action, true)) : to_string(action);
    r.fingerprint = fingerprint(text);
    manifest_->set(r);
  };
  pending("data", -1, plan_.data, study_.data_text);
  for (std::size_t i = 0; i < study_.seeds().size(); ++i) {
    pending("train", static_cast<std::int64_t>(study_.seeds()[i]), plan_.train[i], study_.train_text);
    pending("graph", static_cast<std::int64_t>(study_.seeds()[i]), plan_.graph[i], study_.graph_text);
  }
  pending("compare", -1, plan_.compare, study_.compare_text);
  pending("report", -1, plan_.report, study_.report_text);
  manifest_->write("running");
}

void Runner::stop_if_signalled(const char* after) {
  const int stop = mpi_.world().allreduce_sum<std::int32_t>(interrupt_requested() ? 1 : 0);
  if (stop > 0)
    throw InterruptedError(str("interrupted by a signal after the ", after,
                               " stage; run the same command again (or requeue the job) to continue"));
}

void Runner::run_all() {
  record_planned();
  data_stage();
  stop_if_signalled("data");
  train_stage();
  stop_if_signalled("train");
  graph_stage();
  stop_if_signalled("graph");
  compare_and_report_stages();
}

void Runner::data_stage() {
  const Study& s = study_;
  Stopwatch clock;
  const std::string store = s.store_path();
  std::vector<std::pair<std::string, std::string>> inputs;
  if (s.job.source == Source::Record) {
    inputs.emplace_back("model", s.record_inputs.weights);
    if (!s.record_inputs.config.empty()) inputs.emplace_back("model_config", s.record_inputs.config);
    for (const auto& tokens : s.record_inputs.tokens) inputs.emplace_back("tokens", tokens);
  }
  if (does_work(plan_.data)) {
    log::info("data: ", s.job.source == Source::Record ? "recording" : "synthetic activations", " -> ", store);
    if (s.job.source == Source::Synthetic) {
      data::write_synthetic_store(store, plan_.data == Action::Replace, false, mpi_.world(), s.synth, s.command_line,
                                  s.data_text);
    } else {
      model::RecordStoreOptions record = s.record;
      record.force = plan_.data == Action::Replace;
      const model::RecordedStore recorded = model::record_store(mpi_, s.record_inputs, record);
      log::info(recorded.summary());
    }
  }
  using Files = std::vector<std::pair<std::string, std::string>>;
  const bool external = s.job.source == Source::Store;
  record("data", -1, plan_.data, s.data_text, clock.seconds(), external ? Files{{"activations", store}} : inputs,
         external ? Files{} : Files{{"activations", store}});
}

void Runner::train_stage() {
  const Study& s = study_;
  const auto& seeds = s.seeds();
  // Replaced SAEs are removed first, so the trainer starts them afresh (it resumes what exists).
  if (mpi_.is_root())
    for (std::size_t i = 0; i < seeds.size(); ++i)
      if (plan_.train[i] == Action::Replace) fs::remove(s.sae_path(seeds[i]));
  mpi_.world().barrier();

  // Seeds go to the trainer in fixed chunks (all at once by default), complete ones included,
  // so a resumed seed trains on the same rank group as it did before the interruption: the
  // result is then bit-identical to an uninterrupted run.
  const std::size_t chunk = s.job.parallel_seeds > 0 ? static_cast<std::size_t>(s.job.parallel_seeds) : seeds.size();
  for (std::size_t first = 0; first < seeds.size(); first += chunk) {
    const std::size_t last = std::min(seeds.size(), first + chunk);
    bool work = false;
    for (std::size_t i = first; i < last; ++i) work = work || does_work(plan_.train[i]);
    std::vector<sae::TrainedSae> results;
    Stopwatch clock;
    if (work) {
      sae::TrainingOptions o = s.train;
      o.seeds.assign(seeds.begin() + static_cast<std::ptrdiff_t>(first), seeds.begin() + static_cast<std::ptrdiff_t>(last));
      o.resume = true;
      o.force = false;
      log::info("train: ", o.seeds.size(), " SAE(s) (", sae::to_string(o.config.recipe), ", ", o.steps.value_or(0), " steps)");
      try {
        results = sae::train_saes(mpi_, o);
      } catch (const InterruptedError& e) {
        // The trainer's advice is for `coact train`; here the same `coact run` continues.
        std::string message = e.what();
        const auto hint = message.find(" (continue with --resume)");
        if (hint != std::string::npos) message.erase(hint);
        throw InterruptedError(message + "; run the same `coact run` again (or requeue the job) to resume it");
      }
    }
    for (std::size_t i = first; i < last; ++i) {
      double seconds = clock.seconds();
      for (const auto& r : results)
        if (r.seed == seeds[i]) seconds = r.seconds;
      record("train", static_cast<std::int64_t>(seeds[i]), plan_.train[i], s.train_text, seconds,
             {{"activations", s.store_path()}},
             plan_.train[i] == Action::Later ? std::vector<std::pair<std::string, std::string>>{}
                                             : std::vector<std::pair<std::string, std::string>>{{"sae", s.sae_path(seeds[i])}});
    }
  }
}

void Runner::graph_stage() {
  const Study& s = study_;
  for (std::size_t i = 0; i < s.seeds().size(); ++i) {
    const std::uint64_t seed = s.seeds()[i];
    Stopwatch clock;
    if (does_work(plan_.graph[i])) {
      graph::GraphBuildOptions g = s.graph;
      g.sae = s.sae_path(seed);
      g.out = s.graph_path(seed);
      g.force = plan_.graph[i] == Action::Replace;
      log::info("graph: ", g.out);
      graph::build_graph(mpi_, g);
    }
    record("graph", static_cast<std::int64_t>(seed), plan_.graph[i], s.graph_text, clock.seconds(),
           {{"sae", s.sae_path(seed)}, {"activations", s.store_path()}},
           plan_.graph[i] == Action::Later ? std::vector<std::pair<std::string, std::string>>{}
                                           : std::vector<std::pair<std::string, std::string>>{{"graph", s.graph_path(seed)}});
  }
}

void Runner::compare_and_report_stages() {
  const Study& s = study_;
  if (plan_.compare == Action::Later) {
    record("compare", -1, Action::Later, s.compare_text, 0, {}, {});
    record("report", -1, Action::Later, s.report_text, 0, {}, {});
    return;
  }
  compare::ComparisonOptions c = s.compare;
  std::vector<std::pair<std::string, std::string>> inputs;
  for (const auto seed : s.seeds()) {
    c.saes.push_back(s.sae_path(seed));
    c.graphs.push_back(s.graph_path(seed));
    inputs.emplace_back("sae", s.sae_path(seed));
    inputs.emplace_back("graph", s.graph_path(seed));
  }
  c.force = plan_.compare == Action::Replace;
  Stopwatch clock;
  if (does_work(plan_.compare) && c.pair.match_activations) {
    // Every rank encodes its share of the token batches: the correlations are collective.
    compare::ActivationCorrelationOptions correlation = s.correlation;
    correlation.saes = c.saes;
    correlation.stores.assign(c.saes.size(), s.store_path());
    c.correlations = compare::activation_correlations(mpi_, correlation);
  }
  // CE-loss recovered on the recorded model, a section of the report (collective: every rank
  // takes its share of the sequences).
  compare::ReportOptions report = s.report;
  if (s.job.evaluate && does_work(plan_.report)) {
    eval::SaeEvaluationOptions e;
    e.inputs = s.record_inputs;
    e.inputs.max_sequences = 256;
    e.batch_sequences = std::min<std::int64_t>(16, s.record.batch_sequences);
    e.device = s.job.device;
    std::vector<std::string> saes;
    for (const auto seed : s.seeds()) saes.push_back(s.sae_path(seed));
    log::info("report: CE-loss recovered of ", saes.size(), " SAE(s) on ", e.inputs.weights);
    report.extra_markdown = eval::evaluation_markdown(eval::evaluate_saes(mpi_, e, saes));
  }
  // The matching runs on every rank (cost tiles by GEMM over the ranks); the root writes
  // compare.h5 and the report while the others wait for the outcome.
  std::optional<compare::ComparisonFile> comparison;
  if (does_work(plan_.compare)) {
    log::info("compare: ", c.out);
    const auto compute = backend::make_backend(s.job.device, mpi_.local_rank());
    comparison = compare::run_comparison(*compute, mpi_.world(), c);
  }
  dist::run_on_root(mpi_.world(), [&] {
    record("compare", -1, plan_.compare, s.compare_text, clock.seconds(), inputs, {{"compare", c.out}});

    clock.restart();
    if (does_work(plan_.report)) {
      if (!comparison) comparison = compare::read_comparison(c.out);
      compare::ReportOptions r = report;
      r.force = plan_.report == Action::Replace;
      log::info("report: ", r.out);
      compare::write_report(*comparison, r);
    }
    record("report", -1, plan_.report, s.report_text, clock.seconds(), {{"compare", c.out}},
           plan_.report == Action::Later ? std::vector<std::pair<std::string, std::string>>{}
                                         : std::vector<std::pair<std::string, std::string>>{{"report", s.report_path()}});
  });
}

std::string Runner::summary() const {
  std::string out;
  for (const auto& line : lines_) out += line + "\n";
  return out;
}

namespace {

void log_plan(const Study& s, const StagePlan& p) {
  log::info("plan for ", s.out(), ": data ", to_string(p.data, true));
  for (std::size_t i = 0; i < s.seeds().size(); ++i)
    log::info("  seed ", s.seeds()[i], ": train ", to_string(p.train[i], true), ", graph ", to_string(p.graph[i], true));
  log::info("  compare ", to_string(p.compare, true), ", report ", to_string(p.report, true));
}

}  // namespace

StudyOutcome run_study(dist::MpiRuntime& mpi, const Study& study,
                       const std::vector<std::pair<std::string, std::string>>& versions) {
  // The plan is made on the root, from the files' own provenance, and shared.
  std::optional<Manifest> manifest;
  StudyOutcome outcome;
  std::string bytes;
  dist::run_on_root(mpi.world(), [&] {
    manifest.emplace(study, mpi, read_previous_manifest(study.manifest_path()), versions);
    outcome.plan = make_plan(study, manifest->previous());
    bytes = outcome.plan.to_bytes();
  });
  outcome.plan = StagePlan::from_bytes(dist::broadcast_string(mpi.world(), bytes), study.seeds().size());
  log_plan(study, outcome.plan);

  // From here a signal stops the run at the next step or stage boundary with a checkpoint.
  install_interrupt_handlers();
  Runner runner(mpi, study, outcome.plan, manifest ? &*manifest : nullptr);
  try {
    runner.run_all();
  } catch (const Error& e) {
    if (manifest && e.collective()) {
      try {
        manifest->write(dynamic_cast<const InterruptedError*>(&e) ? "interrupted" : "failed", e.what());
      } catch (const Error& also) {
        log::warn("could not update ", study.manifest_path(), ": ", also.what());
      }
    }
    throw;
  }
  if (manifest) manifest->write("complete");
  outcome.summary = runner.summary();
  return outcome;
}

}  // namespace coact::pipeline
