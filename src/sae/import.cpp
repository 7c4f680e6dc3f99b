// coact import: which format a path holds, the reader for it, and the coact file(s) written.
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/io/directory_output.h"
#include "coact/io/atomic_output.h"
#include "coact/sae/checkpoint.h"
#include "import_formats.h"

namespace coact::sae {

namespace fs = std::filesystem;

const std::vector<std::string>& import_format_names() {
  static const std::vector<std::string> names = {"auto",   "saelens",     "sparsify", "dictionary-learning",
                                                 "openai", "gemma-scope", "goodfire", "state-dict"};
  return names;
}

const options::Table<ImportOptions>& import_table() {
  static const options::Table<ImportOptions> table = [] {
    using namespace options;
    Table<ImportOptions> t;
    t.add(text("format", "the source's format (auto: from its files)").one_of(import_format_names()),
          &ImportOptions::format);
    t.add(text("cfg", "a config JSON (default: the one beside the weights)").empty_allowed().shown_as("FILE"),
          &ImportOptions::config);
    t.add(integer("import-seed", "seed to record (-1: the source's, else 0)").at_least(-1), &ImportOptions::seed);
    t.add(real("scaling-factor", "SAELens normalize_activations = expected_average_only_in: its factor (0: none)")
              .at_least(0),
          &ImportOptions::scaling_factor);
    return t;
  }();
  return table;
}

namespace {

using detail::ImportedSae;

bool is_file(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

// Whether a file holds a tensor of this name (state-dict layouts are told apart by their keys).
bool holds(const io::TensorFile& file, const char* name) { return file.find(name) != nullptr; }

std::string beside(const std::string& file, const char* name) {
  const fs::path p = fs::path(file).parent_path() / name;
  return is_file(p) ? p.string() : std::string();
}

// Whether a JSON config is SAELens' (as opposed to Neel Nanda's training cfg).
bool saelens_config(const std::string& path) {
  const JsonValue cfg = parse_json_file(path);
  if (!cfg.is_object()) throw InputError(str(path, ": expected a JSON object"));
  for (const char* key : {"architecture", "d_sae", "apply_b_dec_to_input", "activation_fn_str", "activation_fn",
                          "normalize_activations", "hook_name", "hook_point", "metadata"})
    if (cfg.contains(key)) return true;
  return false;
}

// One SAE file (or folder) by format.
ImportedSae read_one(const std::string& format, const std::string& source, const ImportOptions& o) {
  const bool folder = fs::is_directory(source);
  const auto in_folder = [&](const char* name) { return (fs::path(source) / name).string(); };
  if (format == "saelens") {
    const std::string weights = folder ? in_folder("sae_weights.safetensors") : source;
    std::string cfg = !o.config.empty() ? o.config : folder ? in_folder("cfg.json") : beside(source, "cfg.json");
    if (cfg.empty() || !is_file(cfg))
      throw InputError(str(source, ": a SAELens SAE needs its cfg.json (beside the weights, or --cfg)"));
    return detail::read_saelens(weights, cfg, o);
  }
  if (format == "sparsify") return detail::read_sparsify(folder ? source : fs::path(source).parent_path().string());
  if (format == "dictionary-learning") {
    const std::string ae = folder ? in_folder("ae.pt") : source;
    std::string config = !o.config.empty() ? o.config : beside(ae, "config.json");
    return detail::read_dictionary_learning(ae, config);
  }
  if (format == "openai") return detail::read_openai(source);
  if (format == "goodfire") return detail::read_goodfire(source);
  if (format == "gemma-scope") {
    std::string params = source;
    if (folder) params = is_file(in_folder("params.npz")) ? in_folder("params.npz") : in_folder("params.safetensors");
    const std::string config = !o.config.empty() ? o.config : beside(params, "config.json");
    return detail::read_gemma_scope(params, config);
  }
  // state-dict
  return detail::read_state_dict(folder ? in_folder("sae_weights.safetensors") : source, o.config);
}

// The format of `source` from its files and tensor names.
std::string detect(const std::string& source, const ImportOptions& o) {
  std::error_code ec;
  if (!fs::exists(source, ec)) throw InputError(str(source, ": no such file or folder"));
  if (fs::is_directory(source, ec)) {
    const fs::path dir(source);
    if (is_file(dir / "sae_weights.safetensors")) return "saelens";
    if (is_file(dir / "sae.safetensors") && is_file(dir / "cfg.json")) return "sparsify";
    if (is_file(dir / "ae.pt")) return "dictionary-learning";
    if (is_file(dir / "params.npz") || is_file(dir / "params.safetensors")) return "gemma-scope";
    // A sparsify run: <hookpoint>/sae.safetensors or <hookpoint>/seedN/sae.safetensors.
    for (const auto& hook : fs::directory_iterator(dir, ec)) {
      if (!hook.is_directory()) continue;
      if (is_file(hook.path() / "sae.safetensors")) return "sparsify-run";
      for (const auto& seed : fs::directory_iterator(hook.path(), ec))
        if (seed.is_directory() && seed.path().filename().string().rfind("seed", 0) == 0 &&
            is_file(seed.path() / "sae.safetensors"))
          return "sparsify-run";
    }
    throw InputError(str(source, ": no SAE recognised in this folder (expected cfg.json + sae_weights.safetensors, "
                                 "cfg.json + sae.safetensors, ae.pt, params.npz or params.safetensors, or a sparsify "
                                 "run's hookpoint folders); give --format"));
  }
  if (source.ends_with(".npz")) return "gemma-scope";
  if (fs::path(source).filename() == "ae.pt") return "dictionary-learning";
  const std::string cfg = !o.config.empty() ? o.config : beside(source, "cfg.json");
  const bool saelens_cfg = !cfg.empty() && saelens_config(cfg);  // a bad --cfg is reported first
  const auto file = io::open_tensor_file(source);
  if (holds(*file, "w_enc")) return "gemma-scope";
  if (holds(*file, "encoder_linear.weight")) return "goodfire";
  if (holds(*file, "pre_bias") && holds(*file, "latent_bias")) return "openai";
  if (holds(*file, "encoder.weight") && holds(*file, "W_dec") && !cfg.empty()) return "sparsify";
  if (holds(*file, "encoder.weight") || holds(*file, "gate_bias")) return "dictionary-learning";
  if (saelens_cfg) return "saelens";
  if (!cfg.empty() && saelens_config(cfg)) return "saelens";
  return "state-dict";
}

// The coact configuration an imported SAE records: the recipe closest to its encoder (coact
// did not train it), with the hyper-parameters the source states.
SaeConfig imported_config(const ImportedSae& sae, std::uint64_t seed) {
  Recipe recipe = Recipe::Nanda1L;
  switch (sae.encoder.kind) {
    case EncoderKind::TopK: recipe = Recipe::TopK; break;
    case EncoderKind::BatchTopK: recipe = Recipe::BatchTopK; break;
    case EncoderKind::Matryoshka: recipe = Recipe::Matryoshka; break;
    case EncoderKind::JumpRelu: recipe = Recipe::JumpRelu; break;
    default: break;
  }
  SaeConfig config = default_config(recipe, sae.params.d_in, sae.params.n_features, seed);
  if (uses_k(sae.encoder.kind)) config.k = sae.encoder.k;
  if (recipe == Recipe::Matryoshka) {  // the groups' sizes as the levels' widths
    std::int64_t width = 0;
    for (const std::int64_t size : group_sizes(sae.encoder)) {
      width += size;
      config.matryoshka_widths += str(config.matryoshka_widths.empty() ? "" : ",", width);
    }
  }
  config.subtract_b_dec = sae.encoder.subtract_b_dec;
  for (const auto& [name, value] : sae.training) config_table().find(name)->set(config, value);
  validate(config);
  return config;
}

Checkpoint imported_checkpoint(ImportedSae&& sae, const ImportOptions& o) {
  const std::int64_t seed = o.seed >= 0 ? o.seed : sae.seed >= 0 ? sae.seed : 0;
  if (o.seed < 0 && sae.seed < 0) sae.assumptions.push_back("seed 0 (the source records none; --import-seed sets it)");
  Checkpoint c;
  c.config = imported_config(sae, static_cast<std::uint64_t>(seed));
  c.encoder = sae.encoder;
  c.params = std::move(sae.params);
  c.complete = true;
  c.data.normalisation = "none";  // coact's data stream: none (the encoder carries the SAE's own)
  c.assumptions = std::move(sae.assumptions);
  c.conversions = std::move(sae.conversions);
  return c;
}

ImportedFile describe(const Checkpoint& c, const std::string& path, const std::string& source) {
  return {path, source, c.encoder, c.config.d_in, c.config.n_features, static_cast<std::int64_t>(c.config.seed),
          c.assumptions, c.conversions};
}

io::Provenance provenance_of(const std::string& command_line, const ImportedSae& sae) {
  io::Provenance p{"sae", command_line, "", {{"imported", sae.source}}};
  if (!sae.model.empty() || !sae.hook.empty()) p.inputs["reads"] = trim(sae.model + " " + sae.hook);
  return p;
}

void log_notes(const std::string& path, const Checkpoint& c) {
  for (const auto& a : c.assumptions) log::warn(path, ": assumed ", a);
  for (const auto& n : c.conversions) log::info(path, ": ", n);
}

}  // namespace

namespace {

bool is_run(const std::string& format, const std::string& source) {
  return format == "sparsify-run" ||
         (format == "sparsify" && fs::is_directory(source) && !is_file(fs::path(source) / "cfg.json"));
}

// A run folder's SAEs and their file names (two SAEs of one name would overwrite each other).
std::pair<std::vector<std::string>, std::vector<std::string>> run_members(const std::string& source) {
  const std::vector<std::string> folders = detail::sparsify_run_folders(source);
  std::vector<std::string> names;
  for (const auto& folder : folders) {
    names.push_back(detail::sparsify_run_member(source, folder).file_name());
    for (std::size_t i = 0; i + 1 < names.size(); ++i)
      if (names[i] == names.back()) throw InputError(str(folder, ": a second SAE named ", names.back()));
  }
  return {folders, names};
}

}  // namespace

ImportPlan plan_import(const std::string& source, const ImportOptions& o) {
  import_table().check(o, options::flag_labels());
  ImportPlan plan;
  // Only a folder can be a run; a file is not read here, so that the output checks come first.
  std::error_code ec;
  if (!std::filesystem::is_directory(source, ec)) return plan;
  const std::string format = o.format == "auto" ? detect(source, o) : o.format;
  if (is_run(format, source)) {
    plan.folder = true;
    plan.files = run_members(source).second;
  }
  return plan;
}

std::vector<ImportedFile> import_sae(const std::string& source, const std::string& out, const ImportOptions& o,
                                     const std::string& command_line, bool force) {
  import_table().check(o, options::flag_labels());
  const std::string format = o.format == "auto" ? detect(source, o) : o.format;
  std::vector<ImportedFile> written;
  if (is_run(format, source)) {
    if (o.seed >= 0) throw UsageError("--import-seed: a sparsify run folder names each SAE's seed itself");
    // Every file written under a temporary name, then all moved into place together.
    const auto [folders, names] = run_members(source);
    io::DirectoryOutput output("--out", out, names, force);
    for (std::size_t i = 0; i < folders.size(); ++i) {
      ImportedSae sae = detail::read_sparsify_run_member(source, folders[i]);
      detail::check_imported(sae, folders[i]);
      const io::Provenance provenance = provenance_of(command_line, sae);
      const Checkpoint c = imported_checkpoint(std::move(sae), o);
      write_checkpoint_file(output.temporary_path(names[i]), c, provenance);
      log_notes(output.final_path(names[i]), c);
      written.push_back(describe(c, output.final_path(names[i]), folders[i]));
    }
    output.commit();
    return written;
  }
  io::require_writable_output(out, force);
  ImportedSae sae = read_one(format, source, o);
  detail::check_imported(sae, source);
  const io::Provenance provenance = provenance_of(command_line, sae);
  const std::string read = sae.source;
  const Checkpoint c = imported_checkpoint(std::move(sae), o);
  write_checkpoint(out, force, c, provenance);
  log_notes(out, c);
  written.push_back(describe(c, out, read));
  return written;
}

}  // namespace coact::sae
