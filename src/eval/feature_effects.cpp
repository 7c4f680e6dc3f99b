#include "coact/eval/feature_effects.h"

#include <algorithm>
#include <iomanip>
#include <numeric>
#include <span>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/logit_effects.h"
#include "coact/model/weights.h"
#include "coact/sae/checkpoint.h"

namespace coact::eval {

namespace {

// The SAE, the model and the hook point an effect is computed at.
struct EffectsSetting {
  sae::Checkpoint checkpoint;
  model::TransformerConfig config;
  model::HookPoint hook;
  model::TransformerWeights weights;
};

EffectsSetting effects_setting(const std::string& sae_path, const std::string& weights, const std::string& config_path,
                               std::string hook_name) {
  sae::Checkpoint checkpoint = sae::read_checkpoint(sae_path, false);
  if (hook_name.empty()) {  // the hook the SAE's store was recorded at ("<model> <hook>")
    const std::string source = io::ActivationStore::open(checkpoint.data.activations).metadata().source;
    hook_name = source.substr(source.rfind(' ') + 1);
  }
  model::TransformerConfig config = model::read_model_config(weights, config_path);
  model::HookPoint hook = model::parse_hook(hook_name, config);
  const std::int64_t d = checkpoint.config.d_in;
  COACT_REQUIRE(d == hook.width(config), InputError, sae_path, ": the SAE reads width ", d, ", ", hook.name(), " has width ",
                hook.width(config));
  model::TransformerWeights loaded = model::load_transformer_weights(weights, config);
  return {std::move(checkpoint), std::move(config), std::move(hook), std::move(loaded)};
}

// The `top` tokens a feature's decoder row promotes and suppresses most.
FeatureEffects effects_of(const EffectsSetting& s, std::int64_t feature, int top) {
  const std::int64_t d = s.checkpoint.config.d_in;
  const std::span<const float> row(s.checkpoint.params.w_dec.data() + feature * d, static_cast<std::size_t>(d));
  const std::vector<double> effects = model::logit_effects(s.config, s.weights, s.hook, row);
  std::vector<std::int32_t> order(effects.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t keep = std::min<std::size_t>(static_cast<std::size_t>(std::max(top, 0)), order.size());
  auto by = [&](bool largest) {
    std::vector<std::int32_t> ids = order;
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end(), [&](std::int32_t a, std::int32_t b) {
      return largest ? effects[static_cast<std::size_t>(a)] > effects[static_cast<std::size_t>(b)]
                     : effects[static_cast<std::size_t>(a)] < effects[static_cast<std::size_t>(b)];
    });
    std::vector<std::pair<std::int32_t, double>> out;
    for (std::size_t i = 0; i < keep; ++i) out.emplace_back(ids[i], effects[static_cast<std::size_t>(ids[i])]);
    return out;
  };
  return {s.hook.name(), by(true), by(false)};
}

}  // namespace

FeatureEffects feature_effects(const std::string& sae_path, std::int64_t feature, int top, const std::string& weights,
                               const std::string& config_path, std::string hook_name) {
  const EffectsSetting setting = effects_setting(sae_path, weights, config_path, std::move(hook_name));
  COACT_REQUIRE(feature >= 0 && feature < setting.checkpoint.config.n_features, UsageError, "--feature ", feature,
                " is not a feature of ", sae_path);
  return effects_of(setting, feature, top);
}

std::vector<FeatureEffects> all_feature_effects(const std::string& sae_path, int top, const std::string& weights,
                                                const std::string& config_path, std::string hook_name) {
  const EffectsSetting setting = effects_setting(sae_path, weights, config_path, std::move(hook_name));
  std::vector<FeatureEffects> out(static_cast<std::size_t>(setting.checkpoint.config.n_features));
  for (std::int64_t f = 0; f < setting.checkpoint.config.n_features; ++f) out[static_cast<std::size_t>(f)] = effects_of(setting, f, top);
  return out;
}

namespace {

std::string token_text(std::int32_t id, const std::optional<data::Tokenizer>& tokenizer) {
  if (!tokenizer) return str("#", id);
  const std::int32_t ids[] = {id};
  return json_quote(tokenizer->decode(ids));
}

}  // namespace

std::string effects_text(const FeatureEffects& e, const std::optional<data::Tokenizer>& tokenizer) {
  std::ostringstream out;
  out << "\nDirect logit effects (decoder row at " << e.hook << " through the unembedding):\n" << std::fixed
      << std::setprecision(4);
  for (const auto* list : {&e.positive, &e.negative}) {
    out << (list == &e.positive ? "  promotes:" : "  suppresses:");
    for (const auto& [id, value] : *list) out << " " << token_text(id, tokenizer) << " (" << value << ")";
    out << "\n";
  }
  return out.str();
}

std::string effects_json(const FeatureEffects& e) {
  std::ostringstream out;
  out << "\"logit_effects\":{\"hook\":" << json_quote(e.hook);
  for (const auto* list : {&e.positive, &e.negative}) {
    out << (list == &e.positive ? ",\"positive\":[" : ",\"negative\":[");
    for (std::size_t i = 0; i < list->size(); ++i)
      out << (i ? "," : "") << "{\"token\":" << (*list)[i].first << ",\"effect\":" << (*list)[i].second << "}";
    out << "]";
  }
  out << "}";
  return out.str();
}

}  // namespace coact::eval
