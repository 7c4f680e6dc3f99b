// dictionary_learning (ae.pt + config.json), openai/sparse_autoencoder, Gemma Scope and Goodfire
// SAEs. Each layout as its package's own encode reads it (comments name the code).
#include <cmath>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/io/torch_pickle.h"
#include "import_formats.h"

namespace coact::sae::detail {

namespace fs = std::filesystem;

namespace {

std::pair<std::int64_t, std::int64_t> matrix_shape(const TensorSource& source, const std::string& name,
                                                   const char* expected) {
  const io::TensorInfo& t = source.info(name);
  if (t.shape.size() != 2)
    throw InputError(str(source.path(), ": tensor ", name, ": expected shape ", expected, ", found ", io::shape_string(t.shape)));
  return {t.shape[0], t.shape[1]};
}

// The dictionary_learning class a state dict belongs to, from its keys (when config.json is absent).
std::string class_from_keys(const TensorSource& ae) {
  if (ae.has("gate_bias") || ae.has("r_mag")) return "GatedAutoEncoder";
  if (ae.has("group_sizes")) return "MatryoshkaBatchTopKSAE";
  if (ae.has("W_enc") && ae.has("threshold")) return "JumpReluAutoEncoder";
  if (ae.has("k") && ae.has("threshold"))
    throw InputError(str(ae.path(), ": without config.json this state dict could be an AutoEncoderTopK (per-token "
                                    "TopK) or a BatchTopKSAE (a learned threshold), which encode differently; give the "
                                    "trainer's config.json (its dict_class says which)"));
  if (ae.has("decoder.bias")) return "AutoEncoderNew";
  if (ae.has("bias")) return "AutoEncoder";
  throw InputError(str(ae.path(), ": not a dictionary_learning state dict this reader knows (no bias, b_dec, "
                                  "threshold or gate_bias tensor)"));
}

// k, an integer buffer of the TopK classes, against the trainer config's k when it has one.
std::int64_t k_buffer(TensorSource& ae, const JsonValue* trainer, std::int64_t n) {
  const std::vector<std::int64_t> k = ae.take_integers("k");
  if (k.size() != 1 || k[0] < 1 || k[0] > n)
    throw InputError(str(ae.path(), ": tensor k must hold one integer in [1, dict_size = ", n, "]"));
  if (trainer != nullptr)
    if (const JsonValue* cfg_k = trainer->find("k"); cfg_k != nullptr && !cfg_k->is_null() && cfg_k->as_int() != k[0])
      cfg_k->fail(str("is ", cfg_k->as_int(), " but ", ae.path(), " holds k = ", k[0]));
  return k[0];
}

}  // namespace

ImportedSae read_dictionary_learning(const std::string& ae_path, const std::string& config_path) {
  TensorSource ae(ae_path);
  ImportedSae out;
  out.source = ae_path + (config_path.empty() ? "" : " + " + config_path);
  JsonValue config;
  const JsonValue* trainer = nullptr;
  std::string dict_class;
  if (!config_path.empty()) {
    config = parse_json_file(config_path);
    trainer = &config.at("trainer");
    dict_class = trainer->get_string("dict_class");
  } else {
    dict_class = class_from_keys(ae);
    out.assumptions.push_back(str("no config.json: the state dict's keys say ", dict_class));
  }

  std::int64_t d = 0, n = 0;
  SaeTensors& t = out.params;
  if (dict_class == "AutoEncoder" || dict_class == "AutoEncoderNew" || dict_class == "AutoEncoderTopK" ||
      dict_class == "BatchTopKSAE" || dict_class == "GatedAutoEncoder") {
    std::tie(n, d) = matrix_shape(ae, "encoder.weight", "[dict_size, activation_dim]");
    t = SaeTensors::zeros(d, n);
    t.w_enc = ae.take_transposed("encoder.weight", n, d);
    t.w_dec = ae.take_transposed("decoder.weight", d, n);  // nn.Linear(dict_size, activation_dim): [d, n]
  } else if (dict_class == "JumpReluAutoEncoder" || dict_class == "MatryoshkaBatchTopKSAE") {
    std::tie(d, n) = matrix_shape(ae, "W_enc", "[activation_dim, dict_size]");
    t = SaeTensors::zeros(d, n);
    t.w_enc = ae.take("W_enc", {d, n});
    t.w_dec = ae.take("W_dec", {n, d});
  } else {
    trainer->at("dict_class").fail(str("is '", dict_class, "', not a dictionary class this reader knows (AutoEncoder, "
                                       "AutoEncoderNew, AutoEncoderTopK, BatchTopKSAE, MatryoshkaBatchTopKSAE, "
                                       "JumpReluAutoEncoder, GatedAutoEncoder)"));
  }
  if (trainer != nullptr) {
    for (const auto& [key, want] : {std::pair<const char*, std::int64_t>{"activation_dim", d}, {"dict_size", n}})
      if (const JsonValue* v = trainer->find(key); v != nullptr && !v->is_null() && v->as_int() != want)
        v->fail(str("is ", v->as_int(), " but ", ae_path, " holds ", want));
  }

  EncoderSpec& e = out.encoder;
  if (dict_class == "AutoEncoder") {
    // encode: relu(encoder(x − bias)); decode: decoder(f) + bias.
    e.kind = EncoderKind::Relu;
    t.b_enc = ae.take("encoder.bias", {n});
    t.b_dec = ae.take("bias", {d});
  } else if (dict_class == "AutoEncoderNew") {
    // encode: relu(encoder(x)); decode: decoder(f), the decoder's bias is b_dec.
    e.kind = EncoderKind::Relu;
    e.subtract_b_dec = false;
    t.b_enc = ae.take("encoder.bias", {n});
    t.b_dec = ae.take("decoder.bias", {d});
  } else if (dict_class == "AutoEncoderTopK" || dict_class == "BatchTopKSAE" || dict_class == "MatryoshkaBatchTopKSAE") {
    // relu(encoder(x − b_dec)); TopK per token (AutoEncoderTopK.encode's default), or the
    // learned threshold: relu(pre)·[relu(pre) > θ] (BatchTopK and Matryoshka's default).
    e.kind = dict_class == "AutoEncoderTopK" ? EncoderKind::TopK
             : dict_class == "BatchTopKSAE"  ? EncoderKind::BatchTopK
                                             : EncoderKind::Matryoshka;
    t.b_enc = ae.take(ae.has("encoder.bias") ? "encoder.bias" : "b_enc", {n});
    t.b_dec = ae.take("b_dec", {d});
    e.k = k_buffer(ae, trainer, n);
    const double theta = ae.take_scalar("threshold");
    if (e.kind == EncoderKind::TopK) {
      out.conversions.push_back("threshold buffer left out: AutoEncoderTopK encodes per-token TopK by default");
    } else if (theta < 0) {
      // -1 is the "not learned yet" start: relu(pre)·[relu(pre) > -1] keeps every positive, as θ = 0 does.
      t.threshold.assign(static_cast<std::size_t>(n), 0.0f);
      out.conversions.push_back(str("threshold ", theta, " (not learned yet): stored as 0, which keeps the same codes "
                                    "(every positive activation)"));
    } else {
      t.threshold.assign(static_cast<std::size_t>(n), static_cast<float>(theta));
    }
    if (e.kind == EncoderKind::Matryoshka) {
      const std::vector<std::int64_t> sizes = ae.take_integers("group_sizes");
      e.groups = group_text(sizes);
    }
  } else if (dict_class == "JumpReluAutoEncoder") {
    // encode: relu(pre·[pre > θ]) with pre = x W_enc + b_enc (apply_b_dec_to_input False).
    e.kind = EncoderKind::JumpRelu;
    e.subtract_b_dec = false;
    t.b_enc = ae.take("b_enc", {n});
    t.b_dec = ae.take("b_dec", {d});
    t.threshold = ae.take("threshold", {n});
  } else {  // GatedAutoEncoder
    // x_enc = encoder(x − decoder_bias); f = [x_enc + gate_bias > 0]·relu(exp(r_mag)·x_enc + mag_bias).
    e.kind = EncoderKind::Gated;
    t.b_dec = ae.take("decoder_bias", {d});
    t.b_enc = ae.take("gate_bias", {n});
    t.r_mag = ae.take("r_mag", {n});
    t.b_mag = ae.take("mag_bias", {n});
  }
  ae.finish("dictionary_learning " + dict_class);
  if (trainer != nullptr) {
    if (const JsonValue* seed = trainer->find("seed"); seed != nullptr && seed->is_integer()) out.seed = seed->as_int();
    out.model = trainer->get_string("lm_name", "");
    out.hook = trainer->get_string("submodule_name", "");
  }
  return out;
}

ImportedSae read_openai(const std::string& path) {
  // sparse_autoencoder/model.py: latents = act(encoder(x − pre_bias) + latent_bias); TopK's act
  // is relu of the top k; x̂ = decoder(latents) + pre_bias; Autoencoder.from_state_dict turns
  // the LN preprocessing on exactly when the activation is TopK.
  TensorSource sd(path);
  ImportedSae out;
  out.source = path;
  const auto [n, d] = matrix_shape(sd, "encoder.weight", "[n_latents, d_model]");
  SaeTensors& t = out.params;
  t = SaeTensors::zeros(d, n);
  t.w_enc = sd.take_transposed("encoder.weight", n, d);
  t.w_dec = sd.take_transposed("decoder.weight", d, n);
  t.b_enc = sd.take("latent_bias", {n});
  t.b_dec = sd.take("pre_bias", {d});
  for (const char* stat : {"stats_last_nonzero", "latents_activation_frequency", "latents_mean_square"})
    if (sd.has(stat)) sd.skip(stat);  // training statistics

  std::string activation = "ReLU";
  std::int64_t k = 0;
  if (const auto* torch = dynamic_cast<const io::TorchFile*>(&sd.file()); torch != nullptr && torch->root().kind == io::PickleValue::Kind::Dict) {
    if (const io::PickleValue* a = torch->root().get("activation")) {
      if (a->kind != io::PickleValue::Kind::String)
        throw InputError(str(path, ": key activation: expected a string, found ", io::PickleValue::kind_name(a->kind)));
      activation = a->text;
    } else {
      out.assumptions.push_back("activation ReLU (the state dict names none; from_state_dict's default)");
    }
    if (const io::PickleValue* state = torch->root().get("activation_state_dict"))
      if (const io::PickleValue* kv = state->get("k")) {
        if (kv->kind == io::PickleValue::Kind::Int) k = kv->integer;
        else if (kv->kind == io::PickleValue::Kind::Tensor) k = static_cast<std::int64_t>(std::llround(sd.take_scalar("activation_state_dict.k")));
        else throw InputError(str(path, ": key activation_state_dict.k: expected an integer"));
      }
  } else {
    out.assumptions.push_back("activation ReLU (the file holds no activation key)");
  }
  if (activation == "TopK") {
    if (k < 1 || k > n)
      throw InputError(str(path, ": key activation_state_dict.k is ", k, ": a TopK activation needs k in [1, ", n, "]"));
    out.encoder.kind = EncoderKind::TopK;
    out.encoder.k = k;
    out.encoder.input_norm = InputNormKind::LayerNorm;
    out.conversions.push_back("TopK: layer-normalised inputs, as Autoencoder.from_state_dict enables for TopK");
  } else if (activation == "ReLU") {
    out.encoder.kind = EncoderKind::Relu;
  } else {
    throw InputError(str(path, ": key activation is '", activation, "', not one coact can encode (ReLU, TopK)"));
  }
  sd.finish("OpenAI sparse_autoencoder");
  return out;
}

ImportedSae read_gemma_scope(const std::string& params_path, const std::string& config_path) {
  // Gemma Scope (JumpReLU): pre = x W_enc + b_enc (no b_dec subtraction), z = relu(pre)·[pre > θ].
  TensorSource params(params_path);
  ImportedSae out;
  out.source = params_path + (config_path.empty() ? "" : " + " + config_path);
  const bool lower = params.has("w_enc");  // params.safetensors (Gemma Scope 2) spells them lowercase
  const std::string w_enc = lower ? "w_enc" : "W_enc", w_dec = lower ? "w_dec" : "W_dec";
  if (!config_path.empty()) {
    const JsonValue config = parse_json_file(config_path);
    const std::string arch = config.get_string("architecture", "jump_relu");
    if (arch != "jump_relu") config.at("architecture").fail(str("is '", arch, "': coact encodes Gemma Scope's jump_relu SAEs"));
    if (config.get_bool("affine_connection", false))
      config.at("affine_connection").fail("is true: a transcoder's affine skip connection is not part of an SAE");
    out.model = config.get_string("model_name", "");
    out.hook = config.get_string("hf_hook_point_in", "");
  } else if (lower) {
    out.assumptions.push_back("no config.json: a jump_relu SAE (Gemma Scope's)");
  }
  if (params.has("affine_skip_connection"))
    throw InputError(str(params_path, ": tensor affine_skip_connection: a transcoder's skip connection is not part of an SAE"));
  const auto [d, n] = matrix_shape(params, w_enc, "[d_in, d_sae]");
  SaeTensors& t = out.params;
  t = SaeTensors::zeros(d, n);
  t.w_enc = params.take(w_enc, {d, n});
  t.w_dec = params.take(w_dec, {n, d});
  t.b_enc = params.take("b_enc", {n});
  t.b_dec = params.take("b_dec", {d});
  t.threshold = params.take("threshold", {n});
  params.finish("Gemma Scope JumpReLU");
  out.encoder.kind = EncoderKind::JumpRelu;
  out.encoder.subtract_b_dec = false;
  return out;
}

ImportedSae read_goodfire(const std::string& path) {
  // Goodfire's SAEs (as SAELens loads them): relu(encoder_linear(x)), x̂ = decoder_linear(z).
  TensorSource sd(path);
  ImportedSae out;
  out.source = path;
  const auto [n, d] = matrix_shape(sd, "encoder_linear.weight", "[d_sae, d_in]");
  SaeTensors& t = out.params;
  t = SaeTensors::zeros(d, n);
  t.w_enc = sd.take_transposed("encoder_linear.weight", n, d);
  t.b_enc = sd.take("encoder_linear.bias", {n});
  t.w_dec = sd.take_transposed("decoder_linear.weight", d, n);
  t.b_dec = sd.take("decoder_linear.bias", {d});
  sd.finish("Goodfire");
  out.encoder.kind = EncoderKind::Relu;
  out.encoder.subtract_b_dec = false;
  return out;
}

}  // namespace coact::sae::detail
