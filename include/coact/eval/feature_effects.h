// A feature's direct logit effects for its card: its decoder row at the hook the SAE reads,
// through the model's unembedding (model/logit_effects.h), the `top` tokens it promotes and
// suppresses most, as text and JSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "coact/data/tokenizer.h"

namespace coact::eval {

struct FeatureEffects {
  std::string hook;
  std::vector<std::pair<std::int32_t, double>> positive, negative;  // (token, effect), largest first
};

// `hook` "" = the hook the SAE's store was recorded at; `config` "" = the GGUF's metadata or
// config.json beside the weights. UsageError when the feature is not one of the SAE's.
FeatureEffects feature_effects(const std::string& sae_path, std::int64_t feature, int top, const std::string& weights,
                               const std::string& config, std::string hook);

// The same for every feature of the SAE, the model loaded once (the HTML report's pages). Cost:
// one pass of the unembedding per feature.
std::vector<FeatureEffects> all_feature_effects(const std::string& sae_path, int top, const std::string& weights,
                                                const std::string& config, std::string hook);

std::string effects_text(const FeatureEffects& effects, const std::optional<data::Tokenizer>& tokenizer);
// The `"logit_effects":{...}` member of a card's JSON object.
std::string effects_json(const FeatureEffects& effects);

}  // namespace coact::eval
