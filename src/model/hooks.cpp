#include "coact/model/hooks.h"

#include <charconv>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

struct SiteName {
  HookSite site;
  const char* suffix;  // after "blocks.L."
};
// In forward order.
constexpr SiteName kSites[] = {
    {HookSite::ResidPre, "hook_resid_pre"}, {HookSite::ResidMid, "hook_resid_mid"}, {HookSite::MlpPre, "mlp.hook_pre"},
    {HookSite::MlpPost, "mlp.hook_post"},   {HookSite::ResidPost, "hook_resid_post"},
};

[[noreturn]] void unknown_hook(std::string_view name, const TransformerConfig& config, std::string_view why) {
  std::string valid;
  for (const SiteName& s : kSites) valid += str(valid.empty() ? "" : ", ", "blocks.L.", s.suffix);
  throw UsageError(str("--hook ", name, ": ", why, " (valid hooks: ", valid, " for L in 0..", config.n_layers - 1,
                       ", and logits)"));
}

}  // namespace

constexpr std::string_view kLogits = "logits";

std::string HookPoint::name() const {
  if (site == HookSite::Logits) return std::string(kLogits);
  for (const SiteName& s : kSites)
    if (s.site == site) return str("blocks.", layer, ".", s.suffix);
  return "?";
}

std::int64_t HookPoint::width(const TransformerConfig& config) const {
  if (site == HookSite::Logits) return config.d_vocab_out;
  return site == HookSite::MlpPre || site == HookSite::MlpPost ? config.d_mlp : config.d_model;
}

HookPoint parse_hook(std::string_view name, const TransformerConfig& config) {
  if (name == kLogits) return HookPoint{config.n_layers - 1, HookSite::Logits};
  constexpr std::string_view prefix = "blocks.";
  if (name.substr(0, prefix.size()) != prefix) unknown_hook(name, config, "not a hook point of this model");
  const std::string_view rest = name.substr(prefix.size());
  std::int64_t layer = -1;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), layer);
  if (error != std::errc() || end == rest.data() || *end != '.' || (rest[0] == '0' && end - rest.data() > 1))
    unknown_hook(name, config, "not a hook point of this model");
  const std::string_view suffix = rest.substr(static_cast<std::size_t>(end - rest.data()) + 1);
  for (const SiteName& s : kSites) {
    if (suffix != s.suffix) continue;
    if (layer < 0 || layer >= config.n_layers)
      unknown_hook(name, config, str("the model has ", config.n_layers, config.n_layers == 1 ? " layer" : " layers"));
    return HookPoint{layer, s.site};
  }
  unknown_hook(name, config, "not a hook point of this model");
}

std::vector<std::string> hook_names(const TransformerConfig& config) {
  std::vector<std::string> names;
  for (std::int64_t layer = 0; layer < config.n_layers; ++layer)
    for (const SiteName& s : kSites) names.push_back(HookPoint{layer, s.site}.name());
  names.emplace_back(kLogits);
  return names;
}

}  // namespace coact::model
