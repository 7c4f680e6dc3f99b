#include "coact/model/hooks.h"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::model {
namespace {

struct SiteName {
  HookSite site;
  const char* name;  // after "blocks.L." for block sites, the whole name otherwise
  bool block;
};
// In forward order.
constexpr SiteName kSites[] = {
    {HookSite::Embed, "hook_embed", false},
    {HookSite::PosEmbed, "hook_pos_embed", false},
    {HookSite::ResidPre, "hook_resid_pre", true},
    {HookSite::Ln1Normalized, "ln1.hook_normalized", true},
    {HookSite::AttnZ, "attn.hook_z", true},
    {HookSite::AttnOut, "hook_attn_out", true},
    {HookSite::ResidMid, "hook_resid_mid", true},
    {HookSite::Ln2Normalized, "ln2.hook_normalized", true},
    {HookSite::MlpPre, "mlp.hook_pre", true},
    {HookSite::MlpPreLinear, "mlp.hook_pre_linear", true},
    {HookSite::MlpPost, "mlp.hook_post", true},
    {HookSite::MlpOut, "hook_mlp_out", true},
    {HookSite::ResidPost, "hook_resid_post", true},
    {HookSite::NormalizedResidPost, "hook_normalized_resid_post", true},
    {HookSite::LnFinalNormalized, "ln_final.hook_normalized", false},
    {HookSite::Logits, "logits", false},
};

const SiteName& site_name(HookSite site) {
  for (const SiteName& s : kSites)
    if (s.site == site) return s;
  throw UsageError("unknown hook site");
}

std::int64_t layer_of(HookSite site, const TransformerConfig& config) {
  return site == HookSite::LnFinalNormalized || site == HookSite::Logits ? config.n_layers - 1 : 0;
}

[[noreturn]] void unknown_hook(std::string_view name, const TransformerConfig& config, std::string_view why) {
  std::string valid;
  for (const SiteName& s : kSites) {
    if (!has_hook(s.site, config)) continue;
    valid += str(valid.empty() ? "" : ", ", s.block ? "blocks.L." : "", s.name);
  }
  throw UsageError(str("--hook ", name, ": ", why, " (valid hooks of this ", config.family.empty() ? "" : config.family + " ",
                       "model: ", valid, "; L in 0..", config.n_layers - 1, ")"));
}

}  // namespace

bool has_hook(HookSite site, const TransformerConfig& c) {
  switch (site) {
    case HookSite::PosEmbed: return c.positions == Positions::Learned;
    case HookSite::ResidMid: return !c.parallel_residual;
    case HookSite::MlpPreLinear: return c.gated_mlp;
    case HookSite::NormalizedResidPost: return c.post_ln;
    case HookSite::LnFinalNormalized:
    case HookSite::Logits: return !c.encoder();
    default: return true;
  }
}

std::string HookPoint::name() const {
  const SiteName& s = site_name(site);
  return s.block ? str("blocks.", layer, ".", s.name) : std::string(s.name);
}

std::int64_t HookPoint::width(const TransformerConfig& config) const {
  switch (site) {
    case HookSite::Logits: return config.d_vocab_out;
    case HookSite::AttnZ: return config.d_attn();
    case HookSite::MlpPre:
    case HookSite::MlpPreLinear:
    case HookSite::MlpPost: return config.d_mlp;
    default: return config.d_model;
  }
}

HookPoint parse_hook(std::string_view name, const TransformerConfig& config) {
  for (const SiteName& s : kSites) {
    if (s.block || name != s.name) continue;
    if (!has_hook(s.site, config)) unknown_hook(name, config, "this model has no such hook");
    return HookPoint{layer_of(s.site, config), s.site};
  }
  constexpr std::string_view prefix = "blocks.";
  if (name.substr(0, prefix.size()) != prefix) unknown_hook(name, config, "not a hook point of this model");
  const std::string_view rest = name.substr(prefix.size());
  std::int64_t layer = -1;
  const auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), layer);
  if (error != std::errc() || end == rest.data() || end == rest.data() + rest.size() || *end != '.' ||
      (rest[0] == '0' && end - rest.data() > 1))
    unknown_hook(name, config, "not a hook point of this model");
  const std::string_view suffix = rest.substr(static_cast<std::size_t>(end - rest.data()) + 1);
  for (const SiteName& s : kSites) {
    if (!s.block || suffix != s.name) continue;
    if (layer < 0 || layer >= config.n_layers)
      unknown_hook(name, config, str("the model has ", config.n_layers, config.n_layers == 1 ? " layer" : " layers"));
    if (!has_hook(s.site, config)) unknown_hook(name, config, "this model has no such hook");
    return HookPoint{layer, s.site};
  }
  unknown_hook(name, config, "not a hook point of this model");
}

std::vector<HookPoint> hook_points(const TransformerConfig& config) {
  std::vector<HookPoint> points;
  for (const SiteName& s : kSites)
    if (!s.block && s.site != HookSite::LnFinalNormalized && s.site != HookSite::Logits && has_hook(s.site, config))
      points.push_back({0, s.site});
  for (std::int64_t layer = 0; layer < config.n_layers; ++layer)
    for (const SiteName& s : kSites)
      if (s.block && has_hook(s.site, config)) points.push_back({layer, s.site});
  for (HookSite site : {HookSite::LnFinalNormalized, HookSite::Logits})
    if (has_hook(site, config)) points.push_back({config.n_layers - 1, site});
  return points;
}

std::vector<std::string> hook_names(const TransformerConfig& config) {
  std::vector<std::string> names;
  for (const HookPoint& point : hook_points(config)) names.push_back(point.name());
  return names;
}

std::string hook_listing(const std::string& weights, const std::string& config_path) {
  const TransformerConfig config = read_model_config(weights, config_path);
  const std::vector<HookPoint> hooks = hook_points(config);
  std::size_t width = 0;
  for (const auto& h : hooks) width = std::max(width, h.name().size());
  std::ostringstream out;
  out << config.name << " (" << config.family << "): " << hooks.size() << " hooks\n";
  for (const auto& h : hooks) out << "  " << h.name() << std::string(width + 2 - h.name().size(), ' ') << h.width(config) << "\n";
  return out.str();
}

}  // namespace coact::model
