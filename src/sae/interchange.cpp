#include "coact/sae/interchange.h"

#include <cmath>
#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/directory_output.h"
#include "coact/io/h5.h"
#include "coact/io/safetensors.h"
#include "coact/io/tensors.h"
#include "coact/sae/checkpoint.h"

namespace coact::sae {

namespace fs = std::filesystem;

namespace {

// "gelu-1l blocks.0.mlp.hook_post" -> model, hook; "synthetic" -> "synthetic", "".
std::pair<std::string, std::string> split_source(const std::string& source) {
  const auto space = source.find(' ');
  if (space == std::string::npos) return {source, ""};
  return {source.substr(0, space), source.substr(space + 1)};
}

// The model's layer index from a TransformerLens hook name ("blocks.3.mlp.hook_post" -> 3).
std::int64_t hook_layer(const std::string& hook) {
  const auto parts = split(hook, '.');
  if (parts.size() >= 2 && parts[0] == "blocks") {
    try {
      return std::stoll(parts[1]);
    } catch (const std::exception&) {
    }
  }
  return 0;
}

std::string activations_source(const Checkpoint& c) {
  if (c.data.activations.empty()) return "";
  try {
    const auto files = io::expand_store_spec(c.data.activations);
    return io::File::open(files.front()).attributes().get_string_or("source", "");
  } catch (const Error&) {
    return "";  // the store is not here: the user gives --model-name / --hook-name
  }
}

// `path` is a temporary of an io::DirectoryOutput, `shown` the final name for messages.
void write_text(const std::string& path, const std::string& shown, const std::string& text) {
  std::ofstream stream(path, std::ios::binary);
  stream << text;
  stream.close();
  if (!stream) throw IoError(str(shown, ": writing failed"));
}

}  // namespace

void export_saelens(const std::string& sae_file, const std::string& dir, const ExportOptions& o) {
  // Both files are one output: refused without --force if either exists, moved into place
  // together once both are written (the folder may be created, never its parents).
  io::DirectoryOutput out("--out", dir, {"sae_weights.safetensors", "cfg.json"}, o.force);
  const Checkpoint c = read_checkpoint(sae_file, false);
  const auto [source_model, source_hook] = split_source(activations_source(c));
  const std::string model = !o.model_name.empty() ? o.model_name : source_model;
  const std::string hook = !o.hook_name.empty() ? o.hook_name : source_hook;
  const std::int64_t d = c.config.d_in, n = c.config.n_features;
  const io::NamedTensor tensors[] = {{"W_enc", {d, n}, c.params.w_enc},
                                     {"W_dec", {n, d}, c.params.w_dec},
                                     {"b_enc", {n}, c.params.b_enc},
                                     {"b_dec", {d}, c.params.b_dec}};
  const bool topk = c.config.recipe == Recipe::TopK;
  // SAELens's cfg.json: the current keys (architecture, metadata) and the older top-level ones
  // (activation_fn_str, model_name, hook_name, ...) so both generations of loaders read it.
  JsonWriter j;
  j.begin_object();
  j.field("architecture", topk ? "topk" : "standard").field("d_in", d).field("d_sae", n);
  j.field("dtype", "float32").field("device", "cpu").field("apply_b_dec_to_input", true);
  j.field("normalize_activations", c.data.normalisation == "none" ? "none" : "expected_average_only_in");
  j.field("reshape_activations", "none");
  if (topk) j.field("k", c.config.k);
  j.field("activation_fn_str", topk ? "topk" : "relu");
  j.key("activation_fn_kwargs").begin_object();
  if (topk) j.field("k", c.config.k);
  j.end_object();
  j.field("model_name", model).field("hook_name", hook).field("hook_layer", hook_layer(hook)).key("hook_head_index").null();
  j.field("context_size", std::int64_t{128}).field("prepend_bos", true).field("finetuning_scaling_factor", false);
  j.field("dataset_path", c.data.activations).field("sae_lens_training_version", std::string("coact"));
  j.key("metadata").begin_object();
  j.field("model_name", model).field("hook_name", hook).key("hook_head_index").null();
  j.field("context_size", std::int64_t{128}).field("prepend_bos", true).field("dataset_path", c.data.activations);
  j.field("sae_lens_training_version", std::string("coact")).end_object();
  j.key("coact").begin_object().field("recipe", to_string(c.config.recipe)).field("seed", static_cast<std::int64_t>(c.config.seed));
  j.field("l1_coeff", c.config.l1_coeff).field("lr", c.config.lr).field("source", sae_file).end_object();
  j.end_object();
  io::save_safetensors(out.temporary_path("sae_weights.safetensors"), true, tensors, {{"format", "pt"}, {"producer", "coact"}});
  write_text(out.temporary_path("cfg.json"), out.final_path("cfg.json"), j.str() + "\n");
  out.commit();
}

void import_sae(const std::string& source, const std::string& out, const ImportOptions& o) {
  std::error_code ec;
  std::string weights = source, cfg_path = o.config;
  if (fs::is_directory(source, ec)) {
    weights = (fs::path(source) / "sae_weights.safetensors").string();
    if (!fs::exists(weights, ec)) throw InputError(str(source, ": no sae_weights.safetensors in this directory"));
    if (cfg_path.empty() && fs::exists(fs::path(source) / "cfg.json", ec)) cfg_path = (fs::path(source) / "cfg.json").string();
  }
  io::require_writable_output(out, o.force);
  const auto file = io::open_tensor_file(weights);
  // State dicts are sometimes nested ("state_dict.W_enc"); accept either spelling.
  const auto name_of = [&](const std::string& key) {
    if (file->find(key)) return key;
    for (const auto& t : file->tensors())
      if (t.name.size() > key.size() && t.name.compare(t.name.size() - key.size(), key.size(), key) == 0 &&
          t.name[t.name.size() - key.size() - 1] == '.')
        return t.name;
    return key;  // info() then names what is missing and what the file holds
  };
  const io::TensorInfo& w_enc = file->info(name_of("W_enc"));
  if (w_enc.shape.size() != 2)
    throw InputError(str(weights, ": tensor W_enc: expected shape [d, n], found ", io::shape_string(w_enc.shape)));
  const std::int64_t d = w_enc.shape[0], n = w_enc.shape[1];

  SaeConfig config = default_config(Recipe::Nanda1L, d, n);
  std::int64_t seed = 0;
  if (!cfg_path.empty()) {
    const JsonValue cfg = parse_json_file(cfg_path);
    const auto text = [&](const char* key) { return cfg.contains(key) && cfg.at(key).is_string() ? cfg.at(key).as_string() : std::string(); };
    const bool topk = text("architecture") == "topk" || text("activation_fn_str") == "topk";
    config = default_config(topk ? Recipe::TopK : Recipe::Nanda1L, d, n);
    if (topk) {
      if (cfg.contains("k")) config.k = cfg.get_int("k");
      else if (cfg.contains("activation_fn_kwargs") && cfg.at("activation_fn_kwargs").contains("k"))
        config.k = cfg.at("activation_fn_kwargs").get_int("k");
    }
    // SAELens or Nanda's keys, when present: sizes must be integers (get_int names the key
    // and the type it found) that agree with the weights.
    for (const char* key : {"d_in", "act_size", "d_mlp"})
      if (cfg.contains(key) && !cfg.at(key).is_null() && cfg.get_int(key) != d)
        throw InputError(str(cfg_path, ": ", key, " = ", cfg.get_int(key), " but ", weights, " has W_enc [", d, ", ", n, "]"));
    for (const char* key : {"d_sae", "dict_size"})
      if (cfg.contains(key) && !cfg.at(key).is_null() && cfg.get_int(key) != n)
        throw InputError(str(cfg_path, ": ", key, " = ", cfg.get_int(key), " but ", weights, " has W_enc [", d, ", ", n, "]"));
    if (cfg.contains("l1_coeff") && cfg.at("l1_coeff").is_number()) config.l1_coeff = cfg.at("l1_coeff").as_double();
    if (cfg.contains("lr") && cfg.at("lr").is_number()) config.lr = cfg.at("lr").as_double();
    if (cfg.contains("beta1") && cfg.at("beta1").is_number()) config.adam_beta1 = cfg.at("beta1").as_double();
    if (cfg.contains("beta2") && cfg.at("beta2").is_number()) config.adam_beta2 = cfg.at("beta2").as_double();
    if (cfg.contains("seed") && cfg.at("seed").is_integer()) seed = cfg.get_int("seed");
  }
  if (!o.recipe.empty()) {
    const Recipe recipe = parse_recipe(o.recipe);
    if (recipe != config.recipe) config = default_config(recipe, d, n);
  }
  if (o.seed >= 0) seed = o.seed;
  config.seed = static_cast<std::uint64_t>(seed);
  validate(config);

  Checkpoint c;
  c.config = config;
  c.params = SaeTensors::zeros(d, n);
  c.params.w_enc = file->read_f32(w_enc.name, {d, n});
  c.params.w_dec = file->read_f32(name_of("W_dec"), {n, d});
  c.params.b_enc = file->read_f32(name_of("b_enc"), {n});
  c.params.b_dec = file->read_f32(name_of("b_dec"), {d});
  for (const auto* t : {&c.params.w_enc, &c.params.w_dec, &c.params.b_enc, &c.params.b_dec})
    for (float v : *t)
      if (!std::isfinite(v)) throw InputError(str(weights, ": holds a NaN or Inf parameter"));
  c.complete = true;
  c.data.normalisation = "none";
  io::Provenance provenance{"sae", o.command_line, "", {{"imported", weights + (cfg_path.empty() ? "" : " + " + cfg_path)}}};
  write_checkpoint(out, o.force, c, provenance);
}

}  // namespace coact::sae
