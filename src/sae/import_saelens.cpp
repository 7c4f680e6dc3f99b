// SAELens SAEs (cfg.json + sae_weights.safetensors, every SAELens version's keys) and bare
// state dicts with SAELens' tensor names (Neel Nanda's released .pt files).
#include <cmath>

#include "coact/core/errors.h"
#include "import_formats.h"

namespace coact::sae::detail {
namespace {

// The text of an optional string key ("" when absent or null).
std::string text_of(const JsonValue& cfg, const char* key) {
  const JsonValue* v = cfg.find(key);
  return v == nullptr || v->is_null() ? std::string() : v->as_string();
}

// A key of the cfg or of its "metadata" object (SAELens 6 moved model_name, hook_name there).
std::string metadata_text(const JsonValue& cfg, const char* key) {
  std::string value = text_of(cfg, key);
  if (value.empty())
    if (const JsonValue* m = cfg.find("metadata"); m != nullptr && m->is_object()) value = text_of(*m, key);
  return value;
}

// A size key that must equal the tensors' (an integer when present).
void check_size(const JsonValue& cfg, const char* key, std::int64_t want, const std::string& weights) {
  const JsonValue* v = cfg.find(key);
  if (v == nullptr || v->is_null()) return;
  if (v->as_int() != want)
    v->fail(str("is ", v->as_int(), " but ", weights, " holds ", want, " (the tensors' shape)"));
}

struct Architecture {
  std::string name;  // SAELens' architecture string
  EncoderKind kind;
};

// SAELens' architecture, from the 6.x key or the older activation_fn(_str).
Architecture architecture_of(const JsonValue& cfg) {
  std::string arch = text_of(cfg, "architecture");
  std::string activation = text_of(cfg, "activation_fn_str");
  if (activation.empty()) activation = text_of(cfg, "activation_fn");
  if (arch.empty()) arch = activation == "topk" ? "topk" : "standard";
  if (arch == "standard" && !activation.empty() && activation != "relu") {
    if (activation == "topk") arch = "topk";
    else cfg.at(cfg.contains("activation_fn_str") ? "activation_fn_str" : "activation_fn")
        .fail(str("is '", activation, "': a standard SAELens SAE coact can encode uses relu (or topk)"));
  }
  static const std::pair<const char*, EncoderKind> known[] = {
      {"standard", EncoderKind::Relu},      {"topk", EncoderKind::TopK},       {"jumprelu", EncoderKind::JumpRelu},
      {"gated", EncoderKind::Gated},        {"batchtopk", EncoderKind::BatchTopK},
      {"matryoshka_batchtopk", EncoderKind::Matryoshka}};
  for (const auto& [name, kind] : known)
    if (arch == name) return {arch, kind};
  const JsonValue* where = cfg.find("architecture");
  const std::string message = str("is '", arch, "', not one coact can encode (standard, topk, jumprelu, gated, batchtopk, ",
                                  "matryoshka_batchtopk)");
  if (where != nullptr) where->fail(message);
  throw InputError(str(cfg.where(), ": architecture ", message));
}

// k of a TopK-family cfg: "k" (6.x) or activation_fn_kwargs.k (older); an integer in [1, n].
std::int64_t k_of(const JsonValue& cfg, std::int64_t n) {
  const JsonValue* v = cfg.find("k");
  if ((v == nullptr || v->is_null()) && cfg.contains("activation_fn_kwargs")) v = cfg.at("activation_fn_kwargs").find("k");
  if (v == nullptr || v->is_null()) throw InputError(str(cfg.where(), ": a TopK-family SAE needs k, and the cfg has none"));
  if (!v->is_integer()) v->fail(str("is ", v->as_double(), ", not a whole number of latents"));
  const std::int64_t k = v->as_int();
  if (k < 1 || k > n) v->fail(str("is ", k, ": k must be in [1, d_sae = ", n, "]"));
  return k;
}

bool flag_of(const JsonValue& cfg, const char* key, bool fallback, std::vector<std::string>& assumptions,
             const char* why) {
  const JsonValue* v = cfg.find(key);
  if (v == nullptr || v->is_null()) {
    assumptions.push_back(str(key, " = ", fallback ? "true" : "false", " (", why, ")"));
    return fallback;
  }
  return v->as_bool();
}

// normalize_activations: what coact can apply itself, or a refusal naming the key.
void normalisation_of(const JsonValue& cfg, ImportedSae& out, const ImportOptions& options) {
  const JsonValue* v = cfg.find("normalize_activations");
  std::string mode = "none";
  if (v != nullptr && !v->is_null()) mode = v->is_bool() ? (v->as_bool() ? "expected_average_only_in" : "none") : v->as_string();
  if (mode == "none") {
    if (options.scaling_factor > 0)
      throw UsageError(str("--scaling-factor ", options.scaling_factor, ": ", cfg.where(),
                           " says normalize_activations = none, so there is no factor to give"));
    return;
  }
  if (mode == "expected_average_only_in") {
    if (!(options.scaling_factor > 0))
      v->fail("is 'expected_average_only_in', but the scaling factor is not in these files (SAELens folds it into "
              "the weights when training ends; for a registry SAE it is the release's norm_scaling_factor): give it "
              "with --scaling-factor");
    out.encoder.input_norm = InputNormKind::Scale;
    out.encoder.input_scale = options.scaling_factor;
    return;
  }
  if (mode == "constant_norm_rescale") {
    out.encoder.input_norm = InputNormKind::ConstantNorm;
    return;
  }
  if (mode == "layer_norm") {
    out.encoder.input_norm = InputNormKind::LayerNorm;
    return;
  }
  v->fail(str("is '", mode, "', which coact cannot apply (none, expected_average_only_in with --scaling-factor, ",
              "constant_norm_rescale and layer_norm are supported", mode == "covariance_whitening" ?
              "; the whitening matrix is not in an SAE's files" : "", ")"));
}

// SAELens' finetuning scaling factor: a per-feature scale of the codes before decoding. All
// ones is dropped (as SAELens does); otherwise it is folded into the decoder rows when the cfg
// says it is used, and refused when it says it is not.
void scaling_factor_of(const JsonValue& cfg, TensorSource& weights, ImportedSae& out) {
  if (!weights.has("scaling_factor")) return;
  const std::int64_t d = out.params.d_in, n = out.params.n_features;
  const std::vector<float> scale = weights.take("scaling_factor", {n});
  bool ones = true;
  for (float s : scale) ones = ones && s == 1.0f;
  if (ones) {
    out.conversions.push_back("scaling_factor: all ones, dropped (as SAELens drops it)");
    return;
  }
  const JsonValue* flag = cfg.find("finetuning_scaling_factor");
  if (flag == nullptr || flag->is_null() || !flag->as_bool())
    throw InputError(str(weights.path(), ": tensor scaling_factor is not all ones but ", cfg.where(),
                         " does not set finetuning_scaling_factor = true (SAELens refuses this too)"));
  for (std::int64_t j = 0; j < n; ++j)
    for (std::int64_t i = 0; i < d; ++i) out.params.w_dec[j * d + i] *= scale[j];
  out.conversions.push_back("scaling_factor (finetuning_scaling_factor = true) folded into the decoder rows: "
                            "the same codes and reconstructions");
}

}  // namespace

ImportedSae read_saelens(const std::string& weights_path, const std::string& cfg_path, const ImportOptions& options) {
  const JsonValue cfg = parse_json_file(cfg_path);
  if (!cfg.is_object()) throw InputError(str(cfg_path, ": expected a JSON object"));
  TensorSource weights(weights_path);
  ImportedSae out;
  out.source = weights_path + " + " + cfg_path;
  const Architecture arch = architecture_of(cfg);
  out.encoder.kind = arch.kind;

  const io::TensorInfo& w_enc = weights.info("W_enc");
  if (w_enc.shape.size() != 2)
    throw InputError(str(weights_path, ": tensor W_enc: expected shape [d_in, d_sae], found ", io::shape_string(w_enc.shape)));
  const std::int64_t d = w_enc.shape[0], n = w_enc.shape[1];
  check_size(cfg, "d_in", d, weights_path);
  check_size(cfg, "d_sae", n, weights_path);
  out.params = SaeTensors::zeros(d, n);
  out.params.w_enc = weights.take("W_enc", {d, n});
  out.params.w_dec = weights.take("W_dec", {n, d});
  out.params.b_dec = weights.take("b_dec", {d});
  if (arch.kind == EncoderKind::Gated) {
    out.params.b_enc = weights.take("b_gate", {n});
    out.params.r_mag = weights.take("r_mag", {n});
    out.params.b_mag = weights.take("b_mag", {n});
  } else {
    out.params.b_enc = weights.take("b_enc", {n});
  }

  out.encoder.subtract_b_dec =
      flag_of(cfg, "apply_b_dec_to_input", true, out.assumptions, "the cfg does not say; SAELens' default");
  normalisation_of(cfg, out, options);
  const std::string reshape = text_of(cfg, "reshape_activations");
  if (reshape == "hook_z") {
    out.conversions.push_back("reshape_activations = hook_z: coact's rows are the heads' outputs flattened, as SAELens "
                              "flattens them");
  } else if (!reshape.empty() && reshape != "none") {
    cfg.at("reshape_activations").fail(str("is '", reshape, "', which coact cannot apply (none, hook_z)"));
  }

  switch (arch.kind) {
    case EncoderKind::Relu:
    case EncoderKind::Gated: break;
    case EncoderKind::TopK:
      out.encoder.k = k_of(cfg, n);
      if (cfg.get_bool("rescale_acts_by_decoder_norm", false))
        fold_decoder_norms(out.params, out.conversions, "rescale_acts_by_decoder_norm = true");
      break;
    case EncoderKind::JumpRelu:
      if (weights.has("log_threshold")) {
        out.params.threshold = weights.take("log_threshold", {n});
        for (auto& t : out.params.threshold) t = std::exp(t);
        out.conversions.push_back("log_threshold: stored as threshold = exp(log_threshold), as SAELens loads it");
      } else {
        out.params.threshold = weights.take("threshold", {n});
      }
      break;
    case EncoderKind::BatchTopK:
    case EncoderKind::Matryoshka: {
      // A training save: SAELens' inference save turns these into jumprelu SAEs.
      out.encoder.k = k_of(cfg, n);
      const double theta = weights.take_scalar("topk_threshold");
      out.params.threshold.assign(static_cast<std::size_t>(n), static_cast<float>(theta));
      if (cfg.get_bool("rescale_acts_by_decoder_norm", false))
        fold_decoder_norms(out.params, out.conversions, "rescale_acts_by_decoder_norm = true; topk_threshold applies "
                                                        "to the rescaled activations, as after the fold");
      if (arch.kind == EncoderKind::Matryoshka) {
        const JsonValue& widths = cfg.at("matryoshka_widths");
        std::vector<std::int64_t> sizes;
        std::int64_t previous = 0;
        for (std::size_t i = 0; i < widths.size(); ++i) {
          const std::int64_t w = widths.at(i).as_int();
          if (w <= previous) widths.at(i).fail(str("is ", w, ": matryoshka widths must increase"));
          sizes.push_back(w - previous);
          previous = w;
        }
        if (previous != n) widths.fail(str("end at ", previous, ", not at d_sae = ", n));
        out.encoder.groups = group_text(sizes);
      }
      break;
    }
  }
  scaling_factor_of(cfg, weights, out);
  weights.finish("SAELens " + arch.name);
  out.model = metadata_text(cfg, "model_name");
  out.hook = metadata_text(cfg, "hook_name");
  if (out.hook.empty()) out.hook = metadata_text(cfg, "hook_point");
  if (const JsonValue* seed = cfg.find("seed"); seed != nullptr && seed->is_integer()) out.seed = seed->as_int();
  return out;
}

ImportedSae read_state_dict(const std::string& weights_path, const std::string& cfg_path) {
  TensorSource weights(weights_path);
  ImportedSae out;
  out.source = weights_path + (cfg_path.empty() ? "" : " + " + cfg_path);
  // State dicts are sometimes nested ("state_dict.W_enc"); accept either spelling.
  const auto name_of = [&](const std::string& key) {
    if (weights.has(key)) return key;
    for (const auto& t : weights.file().tensors())
      if (t.name.size() > key.size() && t.name.compare(t.name.size() - key.size(), key.size(), key) == 0 &&
          t.name[t.name.size() - key.size() - 1] == '.')
        return t.name;
    return key;  // info() then names what is missing and what the file holds
  };
  const io::TensorInfo& w_enc = weights.info(name_of("W_enc"));
  if (w_enc.shape.size() != 2)
    throw InputError(str(weights_path, ": tensor W_enc: expected shape [d, n], found ", io::shape_string(w_enc.shape)));
  const std::int64_t d = w_enc.shape[0], n = w_enc.shape[1];
  out.params = SaeTensors::zeros(d, n);
  out.params.w_enc = weights.take(w_enc.name, {d, n});
  out.params.w_dec = weights.take(name_of("W_dec"), {n, d});
  out.params.b_enc = weights.take(name_of("b_enc"), {n});
  out.params.b_dec = weights.take(name_of("b_dec"), {d});
  weights.finish("ReLU state-dict");
  // Neel Nanda's AutoEncoder: relu((x − b_dec) W_enc + b_enc); his cfg names the sizes.
  if (cfg_path.empty()) {
    out.assumptions.push_back("no config: a ReLU SAE, z = relu((x - b_dec) W_enc + b_enc), as Neel Nanda's "
                              "AutoEncoder and SAELens' standard SAE encode; no input normalisation");
    return out;
  }
  const JsonValue cfg = parse_json_file(cfg_path);
  for (const char* key : {"d_in", "act_size", "d_mlp"}) check_size(cfg, key, d, weights_path);
  for (const char* key : {"d_sae", "dict_size"}) check_size(cfg, key, n, weights_path);
  if (const JsonValue* seed = cfg.find("seed"); seed != nullptr && seed->is_integer()) out.seed = seed->as_int();
  out.hook = text_of(cfg, "act_name");
  for (const auto& [key, field] : {std::pair<const char*, const char*>{"l1_coeff", "l1-coeff"}, {"lr", "lr"},
                                   {"beta1", "adam-beta1"}, {"beta2", "adam-beta2"}})
    if (const JsonValue* v = cfg.find(key); v != nullptr && v->is_number()) out.training.emplace_back(field, v->as_double());
  out.assumptions.push_back("a ReLU SAE with b_dec subtracted and no input normalisation (Neel Nanda's "
                            "AutoEncoder; the cfg names no architecture)");
  return out;
}

}  // namespace coact::sae::detail
