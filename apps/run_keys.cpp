#include "run_keys.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <memory>

#include "coact/core/errors.h"
#include "coact/data/synth.h"

namespace coact::app::run {

std::string shortest(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

namespace {

std::string text(std::int64_t value) { return std::to_string(value); }
std::string text(double value) { return shortest(value); }

KeySpec key(std::string section, std::string name, KeyType type, std::optional<std::string> fallback, std::string help,
            bool fingerprint = true) {
  return {std::move(section), std::move(name), type, std::move(fallback), std::move(help), fingerprint};
}

std::vector<KeySpec> make_keys() {
  using T = KeyType;
  const data::SynthConfig s;
  const std::optional<std::string> none;
  return {
      // [run]: the job itself.
      key("run", "ranks", T::Int, "0", "ranks the job must have (0: any); a mismatch fails before any work", false),
      key("run", "stop-after", T::String, "report", "last stage to run: data, train, graph, compare or report", false),
      // [data]: where the activations come from.
      key("data", "source", T::String, "synthetic",
          "synthetic ([synth], written to data.store), store (an existing store at data.store) or record ([record])"),
      key("data", "store", T::String, none,
          "activation store: the input for source = store (file, directory of shards or glob); else where to write it "
          "(default OUT/acts.h5)"),
      // [synth]: coact synth's flags.
      key("synth", "rows", T::Int, text(s.rows), "rows (tokens) to generate"),
      key("synth", "d", T::Int, text(s.d), "activation width"),
      key("synth", "features", T::Int, text(s.features), "true features n_true"),
      key("synth", "zipf-exponent", T::Double, text(s.zipf_exponent), "firing probability ∝ rank^-exponent"),
      key("synth", "max-probability", T::Double, text(s.max_probability), "probability of the most common feature"),
      key("synth", "min-probability", T::Double, text(s.min_probability), "floor of the firing probabilities"),
      key("synth", "grouped-fraction", T::Double, text(s.grouped_fraction), "share of features in correlated groups"),
      key("synth", "group-size", T::Int, text(s.group_size), "features per group"),
      key("synth", "group-probability", T::Double, text(s.group_probability), "per-token probability of a group event"),
      key("synth", "within-group-probability", T::Double, text(s.within_group_probability),
          "probability a member fires during its group's event"),
      key("synth", "magnitude-min", T::Double, text(s.magnitude_min), "smallest activation magnitude"),
      key("synth", "magnitude-max", T::Double, text(s.magnitude_max), "largest activation magnitude"),
      key("synth", "noise", T::Double, text(s.noise), "standard deviation of dense Gaussian noise"),
      key("synth", "offset-norm", T::Double, text(s.offset_norm), "norm of a constant offset (0: none)"),
      key("synth", "dtype", T::String, "float32", "stored dtype: float32 or float16"),
      key("synth", "truth-rows", T::Int, text(s.truth_rows), "rows whose true codes are stored"),
      key("synth", "seed", T::Int, text(static_cast<std::int64_t>(s.seed)), "generator seed"),
      // [record]: coact record's inputs (issue 7); used when data.source = record.
      key("record", "model", T::String, none, "model weights (safetensors or PyTorch .pt)"),
      key("record", "model-config", T::String, none,
          "architecture JSON (Hugging Face config.json or TransformerLens cfg; default config.json beside the model)"),
      key("record", "tokens", T::String, none, "token files, comma-separated (HDF5 /tokens, llm.c .bin or .npy)"),
      key("record", "hook", T::String, "blocks.0.mlp.hook_post", "hook point to record (TransformerLens name)"),
      key("record", "seq-len", T::Int, "128", "tokens per sequence"),
      key("record", "prepend-bos", T::Bool, "false", "start every sequence with the BOS token"),
      key("record", "max-sequences", T::Int, "0", "sequences to record (0: every sequence of the token files)"),
      key("record", "batch-sequences", T::Int, "32", "sequences per forward pass (and per write)"),
      key("record", "dtype", T::String, "float32", "stored dtype: float32 or float16"),
      // [train]: coact train's flags (absent hyper-parameters take the recipe's defaults).
      key("train", "seeds", T::String, none, "comma-separated SAE seeds, one SAE each (required; two or more to compare)"),
      key("train", "parallel-seeds", T::Int, "0",
          "seeds trained at once on disjoint rank groups (0: min(seeds, ranks)); at most the ranks", false),
      key("train", "recipe", T::String, "nanda-1l", "nanda-1l or topk"),
      key("train", "n", T::Int, none, "dictionary size (a multiple of d)"),
      key("train", "expansion", T::Int, none, "dictionary size as a multiple of d (default 8)"),
      key("train", "d-in", T::Int, none, "expected activation width (checked against the store)"),
      key("train", "steps", T::Int, none, "optimiser steps (give steps or tokens)"),
      key("train", "tokens", T::Int, none, "training tokens (steps = tokens / batch-size)"),
      key("train", "batch-size", T::Int, "4096", "global batch in tokens (over all ranks of a group)"),
      key("train", "buffer-rows", T::Int, "0", "shuffle buffer rows (0: 384 batches, at most the store)"),
      key("train", "chunk-rows", T::Int, "4096", "rows per chunk of the per-epoch data order"),
      key("train", "data-seed", T::Int, "-1", "data order seed (-1: each SAE's seed)"),
      key("train", "normalise", T::String, "none", "input normalisation: none, scale, center-scale"),
      key("train", "checkpoint-every", T::Int, "1000", "steps between checkpoints (0: end and signals only)", false),
      key("train", "log-every", T::Int, "50", "steps between metrics rows", false),
      key("train", "lr", T::Double, none, "Adam learning rate (nanda-1l 1e-4; topk 2e-4/sqrt(n/2^14))"),
      key("train", "adam-beta1", T::Double, none, "Adam beta1 (0.9)"),
      key("train", "adam-beta2", T::Double, none, "Adam beta2 (nanda-1l 0.99; topk 0.999)"),
      key("train", "adam-eps", T::Double, none, "Adam epsilon (1e-8)"),
      key("train", "lr-warmup-steps", T::Int, none, "linear warm-up steps (nanda-1l 0; topk 1000)"),
      key("train", "lr-decay-steps", T::Int, none, "linear decay to 0 at this step (0: constant)"),
      key("train", "project-decoder-grad", T::Bool, none, "remove each decoder row's gradient along the row (true)"),
      key("train", "renormalize-decoder", T::Bool, none, "rescale decoder rows to unit norm after each step (true)"),
      key("train", "l1-coeff", T::Double, none, "L1 coefficient of the summed L1 term (nanda-1l 3e-4)"),
      key("train", "resample-every", T::Int, none, "steps between dead-feature resampling (nanda-1l 30000; 0: never)"),
      key("train", "resample-window", T::Int, none, "steps in the firing-frequency window (800)"),
      key("train", "resample-threshold", T::Double, none, "firing frequency below which a feature is resampled (10^-5.5)"),
      key("train", "k", T::Int, none, "topk: active latents per token (32)"),
      key("train", "k-aux", T::Int, none, "topk: AuxK latents (0: d/2)"),
      key("train", "auxk-alpha", T::Double, none, "topk: AuxK loss weight (1/32)"),
      key("train", "dead-tokens", T::Int, none, "tokens without firing after which a latent is dead (10M)"),
      key("train", "path", T::String, none, "backward pass: auto, dense or sparse (auto)", false),
      key("train", "sparse-max-density", T::Double, none, "auto path: code density up to which the sparse pass is used",
          false),
      // [graph]: coact graph's flags.
      key("graph", "batch-tokens", T::Int, "16384", "tokens per batch B"),
      key("graph", "num-batches", T::Int, "50", "batches N_b (the first N_b in stored order)"),
      key("graph", "k", T::Int, "4", "features per token (top-k)"),
      key("graph", "zero-policy", T::String, "positive", "positive (only z > 0 enter a top-k) or seed (the original code)"),
      key("graph", "strict", T::Bool, "false", "fail when the store holds fewer than num-batches batches"),
      key("graph", "normalise", T::String, none, "input normalisation (default: what the SAE was trained with)"),
      key("graph", "encode-rows", T::Int, "4096", "rows encoded at once", false),
      // [compare]: coact compare's flags.
      key("compare", "threshold", T::Double, "0.7", "decoder cosine at which a matched pair is shared"),
      key("compare", "method", T::String, "exact", "exact (linear assignment) or greedy (approximate)"),
      key("compare", "rectangular", T::Bool, "false", "allow SAEs of different sizes"),
      key("compare", "baseline-seed", T::Int, "0", "seed of the Erdős–Rényi baselines"),
      key("compare", "strength-bins", T::Int, "50", "bins of the strength histograms"),
      key("compare", "truth", T::String, none, "synthetic store with /ground_truth (default: the SAEs' training store)"),
      // [report]: coact report's flags.
      key("report", "plots", T::Bool, "true", "draw the plots (python3 with h5py and matplotlib)"),
  };
}

const char* section_caption(const std::string& section) {
  static const std::map<std::string, const char*> captions = {
      {"run", "[run] the job"},
      {"data", "[data] activations"},
      {"synth", "[synth] synthetic activations (data.source = synthetic; as coact synth)"},
      {"record", "[record] recorded activations (data.source = record; as coact record)"},
      {"train", "[train] SAEs (as coact train)"},
      {"graph", "[graph] co-activation graphs (as coact graph)"},
      {"compare", "[compare] the comparison (as coact compare)"},
      {"report", "[report] report.md (as coact report)"},
  };
  return captions.at(section);
}

}  // namespace

const std::vector<KeySpec>& study_keys() {
  static const std::vector<KeySpec> keys = make_keys();
  return keys;
}

void add_study_options(po::options_description& options) {
  std::string section;
  std::unique_ptr<po::options_description> group;
  auto flush = [&] {
    if (group) options.add(*group);
  };
  for (const auto& k : study_keys()) {
    if (k.section != section) {
      flush();
      section = k.section;
      group = std::make_unique<po::options_description>(section_caption(section));
    }
    const std::string name = k.full_name();
    const std::string help = k.fingerprint || k.section == "run" ? k.help : k.help + " (does not change results)";
    po::value_semantic* semantic = nullptr;
    switch (k.type) {
      case KeyType::String: {
        auto* v = po::value<std::string>();
        if (k.fallback) v->default_value(*k.fallback);
        semantic = v;
        break;
      }
      case KeyType::Int: {
        auto* v = po::value<std::int64_t>();
        if (k.fallback) v->default_value(std::stoll(*k.fallback), *k.fallback);
        semantic = v;
        break;
      }
      case KeyType::Double: {
        auto* v = po::value<double>();
        if (k.fallback) v->default_value(std::stod(*k.fallback), *k.fallback);
        semantic = v;
        break;
      }
      case KeyType::Bool: {
        auto* v = po::value<bool>();
        if (k.fallback) v->default_value(*k.fallback == "true", *k.fallback);
        semantic = v;
        break;
      }
    }
    group->add_options()(name.c_str(), semantic, help.c_str());
  }
  flush();
}

bool Keys::has(const std::string& name) const { return values_.count(name) > 0 && !values_[name].empty(); }

std::int64_t Keys::get_int(const std::string& name) const { return values_[name].as<std::int64_t>(); }
double Keys::get_double(const std::string& name) const { return values_[name].as<double>(); }
bool Keys::get_bool(const std::string& name) const { return values_[name].as<bool>(); }
std::string Keys::get_string(const std::string& name) const { return has(name) ? values_[name].as<std::string>() : ""; }

std::string Keys::text(const std::string& name) const {
  if (!has(name)) return "";
  const auto& any = values_[name].value();
  if (const auto* s = boost::any_cast<std::string>(&any)) return *s;
  if (const auto* b = boost::any_cast<bool>(&any)) return *b ? "true" : "false";
  if (const auto* i = boost::any_cast<std::int64_t>(&any)) return std::to_string(*i);
  if (const auto* d = boost::any_cast<double>(&any)) return shortest(*d);
  throw Error(str("run configuration: key ", name, " has an unexpected type"));
}

std::string Keys::section_text(const std::string& section, bool fingerprint_only,
                               const std::vector<std::string>& skip) const {
  std::string out = "[" + section + "]\n";
  for (const auto& k : study_keys()) {
    if (k.section != section || (fingerprint_only && !k.fingerprint)) continue;
    if (std::find(skip.begin(), skip.end(), k.name) != skip.end()) continue;
    const std::string name = k.full_name();
    if (has(name)) out += k.name + " = " + text(name) + "\n";
  }
  return out;
}

}  // namespace coact::app::run
