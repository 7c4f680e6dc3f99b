// Transformer configs from GGUF metadata (io::GgufModelParams), and the choice of config file.
#include <cmath>
#include <filesystem>
#include <memory>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/gguf_model.h"
#include "coact/model/config.h"
#include "coact/model/weight_source.h"

namespace coact::model {

TransformerConfig read_gguf_config(const std::string& path) {
  const io::GgufFile file(path);
  const io::GgufModelParams p = io::read_gguf_model_params(file);
  const std::string& arch = p.architecture;
  COACT_REQUIRE(arch == "llama", InputError, path, ": general.architecture \"", arch,
                "\" is not supported in GGUF files (llama; coact's families: ", supported_families(), ")");
  TransformerConfig c;
  c.format = "gguf";
  c.family = "llama";
  c.model_type = "llama";
  c.name = p.name;
  c.n_layers = p.block_count;
  c.d_model = p.embedding_length;
  c.n_heads = p.head_count;
  c.n_kv_heads = p.head_count_kv;
  c.d_head = p.head_dim();
  COACT_REQUIRE(!p.value_length || *p.value_length == c.d_head, InputError, path, ": ", arch,
                ".attention.value_length ", p.value_length.value_or(0), " differs from the key length ", c.d_head);
  c.d_mlp = p.feed_forward_length;
  c.d_vocab = p.vocab_size;
  c.d_vocab_out = p.vocab_size;
  c.n_ctx = p.context_length;
  c.normalization = Normalization::RmsNorm;
  COACT_REQUIRE(p.rms_norm_epsilon.has_value(), InputError, path, ": no ", arch, ".attention.layer_norm_rms_epsilon");
  c.layer_norm_eps = *p.rms_norm_epsilon;
  c.gated_mlp = true;
  c.gate_activation = backend::Activation::Silu;
  c.qkv_bias = c.out_bias = c.mlp_bias = c.mlp_out_bias = false;
  c.tie_embeddings = p.tied_embeddings;
  c.positions = Positions::Rotary;
  c.rotary.base = p.rope_freq_base.value_or(10000.0);
  c.rotary.dim = p.rope_dimension_count.value_or(c.d_head);
  const std::string scaling = p.rope_scaling_type.value_or("none");
  if (scaling == "linear") {
    c.rotary.scaling = "linear";
    c.rotary.factor = p.rope_scaling_factor.value_or(1.0);
  } else if (scaling != "none") {
    throw InputError(str(path, ": ", arch, ".rope.scaling.type \"", scaling, "\" is not supported (none or linear)"));
  }
  c.attention_scale = 1.0 / std::sqrt(static_cast<double>(c.d_head));
  if (p.bos_token_id && *p.bos_token_id >= 0 && *p.bos_token_id < c.d_vocab)
    c.bos_id = static_cast<std::int32_t>(*p.bos_token_id);
  c.validate(path);
  return c;
}

std::string model_config_source(const std::string& weights, const std::string& config_path) {
  if (!config_path.empty()) return config_path;
  if (is_gguf_file(weights)) return weights;
  const std::filesystem::path beside =
      std::filesystem::is_directory(weights) ? std::filesystem::path(weights) / "config.json"
                                             : std::filesystem::path(weights).parent_path() / "config.json";
  return beside.string();
}

TransformerConfig read_model_config(const std::string& weights, const std::string& config_path) {
  const std::string source = model_config_source(weights, config_path);
  if (source == weights && is_gguf_file(weights)) return read_gguf_config(weights);
  COACT_REQUIRE(!config_path.empty() || std::filesystem::exists(source), InputError, weights,
                ": no model config given and no config.json beside it");
  return read_transformer_config(source);
}

}  // namespace coact::model
