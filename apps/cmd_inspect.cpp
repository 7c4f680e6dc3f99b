// coact inspect: one feature's card.
#include <algorithm>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <numeric>
#include <optional>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/compare/feature_card.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/data/tokenizer.h"
#include "coact/graph/graph_file.h"
#include "coact/io/activation_store.h"
#include "coact/model/logit_effects.h"
#include "coact/sae/checkpoint.h"
#include "commands.h"

namespace coact::app {
namespace {

namespace fs = std::filesystem;

// The feature's direct logit effects (model/logit_effects.h): its decoder row at the hook the
// SAE reads, through the model's unembedding. The `top` largest and smallest, as text and JSON.
struct LogitEffects {
  std::string hook;
  std::vector<std::pair<std::int32_t, double>> positive, negative;
};

LogitEffects feature_logit_effects(const compare::CardOptions& o, const std::string& weights, std::string config_path,
                                   std::string hook_name) {
  std::string sae_path = o.sae;
  if (sae_path.empty()) {  // the SAE the graph names, or a file of that name beside the graph
    sae_path = graph::read_graph_file(o.graph).attributes.sae_file;
    const fs::path beside = fs::path(o.graph).parent_path() / fs::path(sae_path).filename();
    std::error_code ec;
    if (!fs::exists(sae_path, ec) && fs::exists(beside, ec)) sae_path = beside.string();
  }
  const sae::Checkpoint checkpoint = sae::read_checkpoint(sae_path, false);
  if (hook_name.empty()) {  // the hook the SAE's store was recorded at ("<model> <hook>")
    const std::string source = io::ActivationStore::open(checkpoint.data.activations).metadata().source;
    hook_name = source.substr(source.rfind(' ') + 1);
  }
  if (config_path.empty()) config_path = (fs::path(weights).parent_path() / "config.json").string();
  const model::TransformerConfig config = model::read_transformer_config(config_path);
  const model::HookPoint hook = model::parse_hook(hook_name, config);
  const std::int64_t d = checkpoint.config.d_in;
  COACT_REQUIRE(o.feature >= 0 && o.feature < checkpoint.config.n_features, UsageError, "--feature ", o.feature,
                " is not a feature of ", sae_path);
  COACT_REQUIRE(d == hook.width(config), InputError, sae_path, ": the SAE reads width ", d, ", ", hook.name(), " has width ",
                hook.width(config));
  const std::span<const float> row(checkpoint.params.w_dec.data() + o.feature * d, static_cast<std::size_t>(d));
  const std::vector<double> effects =
      model::logit_effects(config, model::load_transformer_weights(weights, config), hook, row);
  std::vector<std::int32_t> order(effects.size());
  std::iota(order.begin(), order.end(), 0);
  const std::size_t top = std::min<std::size_t>(static_cast<std::size_t>(std::max(o.top, 0)), order.size());
  auto by = [&](bool largest) {
    std::vector<std::int32_t> ids = order;
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(top), ids.end(), [&](std::int32_t a, std::int32_t b) {
      return largest ? effects[static_cast<std::size_t>(a)] > effects[static_cast<std::size_t>(b)]
                     : effects[static_cast<std::size_t>(a)] < effects[static_cast<std::size_t>(b)];
    });
    std::vector<std::pair<std::int32_t, double>> out;
    for (std::size_t i = 0; i < top; ++i) out.emplace_back(ids[i], effects[static_cast<std::size_t>(ids[i])]);
    return out;
  };
  return {hook.name(), by(true), by(false)};
}

std::string token_text(std::int32_t id, const std::optional<data::Tokenizer>& tokenizer) {
  if (!tokenizer) return str("#", id);
  const std::int32_t ids[] = {id};
  return json_quote(tokenizer->decode(ids));
}

std::string effects_text(const LogitEffects& e, const std::optional<data::Tokenizer>& tokenizer) {
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

std::string effects_json(const LogitEffects& e) {
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

}  // namespace

int run_inspect(const Invocation& invocation) {
  CommandLine cli("inspect", "--feature F --graph graph_52.h5 [--compare compare.h5] [--activations acts.h5] [--json]",
                  "Prints a feature's card: frequency, degree and the other node statistics; its strongest\n"
                  "neighbours by weight and by count; its matched feature in the other seed(s) with decoder and\n"
                  "encoder cosines and its nearest nodes there by node statistics (with --compare); and its\n"
                  "top-activating tokens with their context (with --activations, decoded with --tokenizer); and,\n"
                  "with --model, the tokens its decoder direction promotes and suppresses through the model's\n"
                  "unembedding (direct logit effects).");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("feature", po::value<std::int64_t>()->value_name("F"), "feature index");
  opt("graph", po::value<std::string>()->value_name("FILE"), "the graph holding the feature");
  opt("compare", po::value<std::string>()->value_name("FILE"), "compare.h5 with this graph's SAE");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE (default: the file the graph names)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "store to scan for top-activating tokens");
  opt("tokenizer", po::value<std::string>()->value_name("FILE"), "tokenizer.json to decode the store's tokens");
  opt("scan-tokens", po::value<std::int64_t>()->default_value(1 << 20), "tokens to scan for top activations");
  opt("neighbours", po::value<int>()->default_value(10), "neighbours listed");
  opt("top", po::value<int>()->default_value(10), "top tokens and nearest nodes listed");
  opt("json", po::bool_switch(), "print JSON for scripts");
  opt("model", po::value<std::string>()->value_name("FILE"), "the transformer (safetensors or .pt) for logit effects");
  opt("model-config", po::value<std::string>()->value_name("FILE"), "its config (default: config.json beside --model)");
  opt("hook", po::value<std::string>()->value_name("NAME"), "the SAE's hook (default: the one its store was recorded at)");
  if (!cli.parse(invocation)) return 0;
  compare::CardOptions o;
  if (!cli.has("feature")) throw UsageError("missing required option --feature (see coact inspect --help)");
  o.feature = cli.get<std::int64_t>("feature");
  o.graph = cli.require("graph");
  if (cli.has("compare")) o.compare = cli.get<std::string>("compare");
  if (cli.has("sae")) o.sae = cli.get<std::string>("sae");
  if (cli.has("activations")) o.activations = cli.get<std::string>("activations");
  if (cli.has("tokenizer")) o.tokenizer = cli.get<std::string>("tokenizer");
  o.scan_tokens = cli.get<std::int64_t>("scan-tokens");
  o.neighbours = cli.get<int>("neighbours");
  o.top = cli.get<int>("top");
  const bool json = cli.get<bool>("json");
  run_on_root(invocation, [&] {
    const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), 0);
    const compare::FeatureCard card = compare::feature_card(*compute, o);
    std::string text = json ? compare::card_json(card) : compare::card_text(card);
    if (cli.has("model")) {
      const LogitEffects effects = feature_logit_effects(
          o, cli.get<std::string>("model"), cli.has("model-config") ? cli.get<std::string>("model-config") : "",
          cli.has("hook") ? cli.get<std::string>("hook") : "");
      if (json) text.insert(text.rfind('}'), "," + effects_json(effects));
      else text += effects_text(effects, o.tokenizer.empty() ? std::nullopt
                                                               : std::optional(data::Tokenizer::from_hf_json(o.tokenizer)));
    }
    std::cout << text << (json ? "\n" : "") << std::flush;
  });
  return 0;
}

}  // namespace coact::app
