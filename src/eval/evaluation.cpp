#include "coact/eval/evaluation.h"

#include <cmath>
#include <functional>
#include <iomanip>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/dist/root.h"
#include "coact/model/ce_recovered.h"

namespace coact::eval {

SaeReconstruction::SaeReconstruction(backend::Backend& backend, const sae::Checkpoint& checkpoint,
                                     std::int64_t max_rows)
    : sae_(sae::make_sae(backend, checkpoint)), encoder_(sae_, max_rows) {}

void SaeReconstruction::apply(backend::Backend& backend, float* x, std::int64_t rows, std::int64_t width) {
  COACT_REQUIRE(width == sae_.d_in(), InputError, "the SAE reads width ", sae_.d_in(), ", the hook has width ", width);
  (void)backend;
  // The encoder normalises into its own copy of the input, so the reconstruction may overwrite x.
  encoder_.encode(x, rows);
  encoder_.reconstruct_last(x);
}

}  // namespace coact::eval

namespace coact::eval {

std::string SaeEvaluation::line() const {
  std::ostringstream out;
  out << std::setprecision(6) << sae << " at " << hook << " of " << model << " over ";
  if (encoder) {
    out << with_commas(reconstruction.tokens) << " tokens: FVU " << reconstruction.fvu << ", MSE " << reconstruction.mse
        << ", cosine " << reconstruction.cosine << ", norm ratio " << reconstruction.l2_ratio << "; no next-token loss: "
        << model << " is an encoder (bidirectional), so CE-loss recovered does not apply (" << human_duration(seconds) << ")";
    return out.str();
  }
  out << with_commas(result.tokens) << " tokens: CE clean " << result.clean << ", with the SAE " << result.replaced
      << ", zero-ablated " << result.zero_ablated << "; CE-loss recovered " << std::fixed << std::setprecision(2)
      << 100.0 * result.recovered() << "%";
  if (result.has_kl)
    out << std::defaultfloat << std::setprecision(6) << "; KL(clean || SAE) " << result.kl_replaced << ", KL(clean || zero) "
        << result.kl_zero_ablated;
  out << " (" << human_duration(seconds) << ")";
  return out.str();
}

std::vector<SaeEvaluation> evaluate_saes(dist::MpiRuntime& mpi, const SaeEvaluationOptions& options,
                                         const std::vector<std::string>& sae_paths) {
  if (sae_paths.empty()) throw UsageError("no SAE to evaluate");
  if (options.batch_sequences < 1) throw UsageError("--batch-sequences must be at least 1");
  std::vector<sae::Checkpoint> checkpoints(sae_paths.size());
  auto read_all = [&] {
    for (std::size_t i = 0; i < sae_paths.size(); ++i) checkpoints[i] = sae::read_checkpoint(sae_paths[i], false);
  };
  model::ModelInputs in = model::load_model_inputs(mpi.world(), options.inputs, read_all);
  if (!mpi.is_root()) read_all();  // validated by the root
  const std::int64_t width = in.hook.width(in.config);
  dist::run_on_root(mpi.world(), [&] {
    if (in.hook.site == model::HookSite::Logits) throw UsageError("--hook logits: an SAE cannot replace the logits");
    for (std::size_t i = 0; i < sae_paths.size(); ++i)
      COACT_REQUIRE(checkpoints[i].config.d_in == width, InputError, sae_paths[i], ": the SAE reads width ",
                    checkpoints[i].config.d_in, ", ", in.hook.name(), " of ", in.model_name, " has width ", width);
  });

  std::unique_ptr<backend::Backend> compute = backend::make_backend(options.device, mpi.local_rank());
  const model::Transformer transformer(*compute, in.config, in.weights);
  in.weights = {};
  model::ForwardPass pass(transformer, std::min(options.batch_sequences, in.sequences), options.inputs.seq_len);
  log::info(in.model_name, ": ", in.config.summary(), "; ", compute->description());
  std::vector<SaeEvaluation> results;
  for (std::size_t i = 0; i < sae_paths.size(); ++i) {
    Stopwatch clock;
    SaeReconstruction reconstruction(*compute, checkpoints[i], pass.max_sequences() * options.inputs.seq_len);
    Progress progress("evaluate", in.sequences, "sequences", {.enabled = mpi.is_root()});
    SaeEvaluation e;
    e.sae = sae_paths[i];
    e.model = in.model_name;
    e.hook = in.hook.name();
    e.encoder = in.config.encoder();
    if (e.encoder)
      e.reconstruction = model::reconstruction_metrics(pass, in.hook, reconstruction, in.ids, in.sequences, &mpi.world(), &progress);
    else
      e.result = model::ce_loss_recovered(pass, in.hook, reconstruction, in.ids, in.sequences, &mpi.world(), &progress,
                                          options.kl);
    progress.finish();
    e.seconds = clock.seconds();
    results.push_back(std::move(e));
  }
  return results;
}

namespace {

// The KL switch, as coact evaluate and the commands that evaluate with --model offer it.
options::Spec kl_spec() {
  return options::flag("kl", "also the KL divergences of the next-token distributions (keeps 2 x rows x vocab logits per block)");
}

}  // namespace

const options::Table<SaeEvaluationOptions>& sae_evaluation_table() {
  static const options::Table<SaeEvaluationOptions> table = [] {
    using namespace options;
    Table<SaeEvaluationOptions> t;
    t.add(integer("batch-sequences", "sequences per forward pass").at_least(1).at_most(1048576),
          &SaeEvaluationOptions::batch_sequences);
    t.add(kl_spec(), &SaeEvaluationOptions::kl);
    return t;
  }();
  return table;
}

const options::Table<EvaluationRequest>& evaluation_table() {
  static const options::Table<EvaluationRequest> table = [] {
    using namespace options;
    using R = EvaluationRequest;
    Table<R> t;
    const auto optional_text = [](std::string R::*member) {
      return std::make_pair(
          std::function<Value(const R&)>([member](const R& r) { return (r.*member).empty() ? Value() : Value(r.*member); }),
          std::function<void(R&, const Value&)>(
              [member](R& r, const Value& v) { r.*member = is_set(v) ? std::get<std::string>(v) : std::string(); }));
    };
    auto [model_get, model_set] = optional_text(&R::model);
    t.add(text("model", "evaluate CE-loss recovered on this transformer (safetensors or .pt; see coact evaluate)")
              .shown_as("FILE").derived_from("no evaluation"),
          model_get, model_set);
    auto [config_get, config_set] = optional_text(&R::model_config);
    t.add(text("model-config", "its config").shown_as("FILE").derived_from("config.json beside the model"), config_get,
          config_set);
    auto [hook_get, hook_set] = optional_text(&R::hook);
    t.add(text("hook", "hook the SAE replaces").shown_as("NAME").derived_from("the store's"), hook_get, hook_set);
    t.add(text("eval-tokens", "token files for the evaluation").listed().shown_as("FILE").derived_from("the store's /tokens"),
          [](const R& r) { return r.tokens.empty() ? Value() : Value(list_text(r.tokens)); },
          [](R& r, const Value& v) { r.tokens = is_set(v) ? list_items(std::get<std::string>(v)) : std::vector<std::string>{}; });
    t.add(integer("eval-seq-len", "positions per sequence").at_least(1).at_most(1048576)
              .derived_from("the store's sequence length"),
          [](const R& r) { return r.seq_len > 0 ? Value(r.seq_len) : Value(); },
          [](R& r, const Value& v) { r.seq_len = is_set(v) ? std::get<std::int64_t>(v) : 0; });
    t.add(integer("eval-sequences", "sequences evaluated (0: all)").at_least(0), &R::sequences);
    t.add(integer("eval-batch-sequences", "sequences per forward pass").at_least(1).at_most(1048576), &R::batch_sequences);
    t.add(kl_spec(), &R::kl);
    return t;
  }();
  return table;
}

std::optional<SaeEvaluationOptions> evaluation_options(const EvaluationRequest& request, const std::string& store,
                                                       backend::DeviceRequest device) {
  if (request.model.empty()) return std::nullopt;
  SaeEvaluationOptions o;
  model::ModelInputOptions& in = o.inputs;
  in.weights = request.model;
  in.config = request.model_config;
  // The store's recording: "<model> <hook>" and its sequence length.
  const io::ActivationStore opened = io::ActivationStore::open(store);
  const io::ActivationMetadata& meta = opened.metadata();
  const std::size_t space = meta.source.rfind(' ');
  const std::string recorded_hook = space == std::string::npos ? "" : meta.source.substr(space + 1);
  // A recorded store's source is "<model> <hook>"; the hook is checked against the model when
  // it is loaded.
  if (!request.hook.empty()) in.hook = request.hook;
  else if (!recorded_hook.empty()) in.hook = recorded_hook;
  else throw UsageError(str(store, ": not recorded from a model (source \"", meta.source, "\"); pass --hook"));
  in.tokens = request.tokens.empty() ? opened.files() : request.tokens;
  if (request.seq_len > 0) in.seq_len = request.seq_len;
  else if (meta.sequence_length > 0) in.seq_len = meta.sequence_length;
  else throw UsageError(str(store, ": no sequence length recorded; pass --eval-seq-len"));
  in.max_sequences = request.sequences;
  o.batch_sequences = request.batch_sequences;
  o.kl = request.kl;
  o.device = device;
  return o;
}

std::string evaluation_markdown(const std::vector<SaeEvaluation>& evaluations) {
  std::ostringstream out;
  if (!evaluations.empty() && evaluations.front().encoder) {
    out << "\n## Reconstruction in the model\n\n" << evaluations.front().model
        << " is an encoder (bidirectional, no next-token prediction): CE-loss recovered does not apply, so each SAE's\n"
        << "reconstruction of `" << evaluations.front().hook << "` is measured over "
        << with_commas(evaluations.front().reconstruction.tokens) << " tokens.\n\n";
    out << "| SAE | FVU | MSE | cosine | norm ratio |\n|---|---:|---:|---:|---:|\n" << std::setprecision(4);
    for (const SaeEvaluation& e : evaluations)
      out << "| " << e.sae << " | " << e.reconstruction.fvu << " | " << e.reconstruction.mse << " | " << e.reconstruction.cosine
          << " | " << e.reconstruction.l2_ratio << " |\n";
    return out.str();
  }
  out << "\n## CE-loss recovered\n\n";
  const bool kl = !evaluations.empty() && evaluations.front().result.has_kl;
  if (!evaluations.empty())
    out << "Each SAE replaces `" << evaluations.front().hook << "` of " << evaluations.front().model << " over "
        << with_commas(evaluations.front().result.tokens)
        << " next-token predictions: (CE_zero − CE_sae) / (CE_zero − CE_clean)"
        << (kl ? "; KL: mean KL divergence of the next-token distribution from the clean model's" : "") << ".\n\n";
  out << "| SAE | CE clean | CE with the SAE | CE zero-ablated | CE-loss recovered |" << (kl ? " KL with the SAE | KL zero-ablated |" : "")
      << "\n|---|---:|---:|---:|---:|" << (kl ? "---:|---:|" : "") << "\n";
  out << std::fixed;
  for (const SaeEvaluation& e : evaluations) {
    out << "| " << e.sae << " | " << std::setprecision(4) << e.result.clean << " | " << e.result.replaced << " | "
        << e.result.zero_ablated << " | " << std::setprecision(2) << 100.0 * e.result.recovered() << "% |";
    if (kl) out << std::setprecision(4) << " " << e.result.kl_replaced << " | " << e.result.kl_zero_ablated << " |";
    out << "\n";
  }
  return out.str();
}

}  // namespace coact::eval
