// coact export --format saelens: a SAELens folder (cfg.json + sae_weights.safetensors) that
// SAELens' SAE.load_from_disk reads and encodes as coact does, for every encoder kind.
#include <cmath>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/io/directory_output.h"
#include "coact/io/h5.h"
#include "coact/io/safetensors.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/interchange.h"

namespace coact::sae {

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

// SAELens' normalize_activations names for what it applies itself; scale and center-scale are
// folded into the weights instead (SAELens does the same with a trained scaling factor).
const char* saelens_normalisation(InputNormKind kind) {
  switch (kind) {
    case InputNormKind::ConstantNorm: return "constant_norm_rescale";
    case InputNormKind::LayerNorm: return "layer_norm";
    default: return "none";
  }
}

// Folds (x − μ)·s into the parameters so the SAE reads raw x: with c = x − b_dec' and
// W' = s·W, b_dec' = μ + b_dec/s gives (x − μ)s − b_dec on the encoder side and the decoder's
// x̂ = x̂_n/s + μ. Without b_dec subtraction the encoder biases take −s·μ·W instead. (Sketched
// in SAELens' fold_activation_norm_scaling_factor and fold_activation_whitening.)
void fold_input_scale(SaeTensors& t, const EncoderSpec& spec) {
  const std::int64_t d = t.d_in, n = t.n_features;
  const double s = spec.input_scale;
  std::vector<double> mean(static_cast<std::size_t>(d), 0.0);
  if (spec.input_norm == InputNormKind::CenterScale)
    for (std::int64_t i = 0; i < d; ++i) mean[i] = t.input_mean[i];
  if (!spec.subtract_b_dec && spec.input_norm == InputNormKind::CenterScale) {
    // b_enc −= s·μ·W (and b_mag with exp(r_mag)): pre = (x − μ)sW + b.
    for (std::int64_t j = 0; j < n; ++j) {
      double shift = 0.0;
      for (std::int64_t i = 0; i < d; ++i) shift += mean[i] * t.w_enc[i * n + j];
      t.b_enc[j] = static_cast<float>(t.b_enc[j] - s * shift);
      if (!t.b_mag.empty()) t.b_mag[j] = static_cast<float>(t.b_mag[j] - s * shift * std::exp(t.r_mag[j]));
    }
  }
  for (auto& w : t.w_enc) w = static_cast<float>(w * s);
  for (auto& w : t.w_dec) w = static_cast<float>(w / s);
  for (std::int64_t i = 0; i < d; ++i) t.b_dec[i] = static_cast<float>(t.b_dec[i] / s + mean[i]);
  t.input_mean.clear();
}

}  // namespace

void export_saelens(const std::string& sae_file, const std::string& dir, const ExportOptions& o) {
  if (o.format != "saelens") throw UsageError(str("--format: '", o.format, "' is not an SAE format coact exports (saelens)"));
  // Both files are one output: refused without --force if either exists, moved into place
  // together once both are written (the folder may be created, never its parents).
  io::DirectoryOutput out("--out", dir, {"sae_weights.safetensors", "cfg.json"}, o.force);
  Checkpoint c = read_checkpoint(sae_file, false);
  const auto [source_model, source_hook] = split_source(activations_source(c));
  const std::string model = !o.model_name.empty() ? o.model_name : source_model;
  const std::string hook = !o.hook_name.empty() ? o.hook_name : source_hook;
  const std::int64_t d = c.config.d_in, n = c.config.n_features;
  const EncoderSpec& e = c.encoder;
  SaeTensors t = c.params;
  const bool folded = e.input_norm == InputNormKind::Scale || e.input_norm == InputNormKind::CenterScale;
  if (folded) fold_input_scale(t, e);

  // batchtopk and matryoshka encode with their threshold: SAELens saves them as jumprelu.
  const char* architecture = "standard";
  switch (e.kind) {
    case EncoderKind::Relu: architecture = "standard"; break;
    case EncoderKind::TopK: architecture = "topk"; break;
    case EncoderKind::Gated: architecture = "gated"; break;
    case EncoderKind::JumpRelu:
    case EncoderKind::BatchTopK:
    case EncoderKind::Matryoshka: architecture = "jumprelu"; break;
  }
  std::vector<io::NamedTensor> tensors = {{"W_enc", {d, n}, t.w_enc}, {"W_dec", {n, d}, t.w_dec}, {"b_dec", {d}, t.b_dec}};
  if (e.kind == EncoderKind::Gated) {
    tensors.push_back({"b_gate", {n}, t.b_enc});
    tensors.push_back({"r_mag", {n}, t.r_mag});
    tensors.push_back({"b_mag", {n}, t.b_mag});
  } else {
    tensors.push_back({"b_enc", {n}, t.b_enc});
  }
  if (uses_threshold(e.kind)) tensors.push_back({"threshold", {n}, t.threshold});

  // SAELens 6's cfg.json (metadata.sae_lens_version marks it as one, so no pre-6 conversion
  // runs), with the older top-level keys kept for earlier loaders.
  const bool topk = e.kind == EncoderKind::TopK;
  JsonWriter j;
  j.begin_object();
  j.field("architecture", architecture).field("d_in", d).field("d_sae", n);
  j.field("dtype", "float32").field("device", "cpu").field("apply_b_dec_to_input", e.subtract_b_dec);
  j.field("normalize_activations", saelens_normalisation(e.input_norm));
  j.field("reshape_activations", "none");
  if (topk) j.field("k", e.k).field("rescale_acts_by_decoder_norm", false);
  j.field("activation_fn_str", topk ? "topk" : "relu");
  j.key("activation_fn_kwargs").begin_object();
  if (topk) j.field("k", e.k);
  j.end_object();
  j.field("model_name", model).field("hook_name", hook).field("hook_layer", hook_layer(hook)).key("hook_head_index").null();
  j.field("context_size", std::int64_t{128}).field("prepend_bos", true).field("finetuning_scaling_factor", false);
  j.field("dataset_path", c.data.activations);
  j.key("metadata").begin_object();
  j.field("sae_lens_version", std::string("6.0.0")).field("sae_lens_training_version", std::string("coact"));
  j.field("model_name", model).field("hook_name", hook).key("hook_head_index").null();
  j.field("context_size", std::int64_t{128}).field("prepend_bos", true).field("dataset_path", c.data.activations);
  j.end_object();
  j.key("coact").begin_object().field("recipe", to_string(c.config.recipe)).field("seed", static_cast<std::int64_t>(c.config.seed));
  j.field("encoder", to_string(e.kind));
  if (!e.groups.empty()) j.field("matryoshka_groups", e.groups);
  if (folded) j.field("folded_input_normalisation", to_string(e.input_norm)).field("input_scale", e.input_scale);
  j.field("l1_coeff", c.config.l1_coeff).field("lr", c.config.lr).field("source", sae_file).end_object();
  j.end_object();
  io::save_safetensors(out.temporary_path("sae_weights.safetensors"), true, tensors, {{"format", "pt"}, {"producer", "coact"}});
  write_text(out.temporary_path("cfg.json"), out.final_path("cfg.json"), j.str() + "\n");
  out.commit();
}

}  // namespace coact::sae
