// coact inspect: one feature's card (compare/feature_card.h), with its direct logit effects when
// given the model (eval/feature_effects.h).
#include <iostream>
#include <optional>

#include "coact/backend/backend.h"
#include "coact/compare/feature_card.h"
#include "coact/core/errors.h"
#include "coact/data/tokenizer.h"
#include "coact/eval/feature_effects.h"
#include "coact/graph/graph_file.h"
#include "commands.h"

namespace coact::app {

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
  opt("graph", po::value<std::string>()->value_name("FILE"), "the graph holding the feature");
  opt("compare", po::value<std::string>()->value_name("FILE"), "compare.h5 with this graph's SAE");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE (default: the file the graph names)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "store to scan for top-activating tokens");
  opt("tokenizer", po::value<std::string>()->value_name("FILE"), "tokenizer.json to decode the store's tokens");
  opt("json", po::bool_switch(), "print JSON for scripts");
  opt("model", po::value<std::string>()->value_name("FILE"), "the transformer (safetensors or .pt) for logit effects");
  opt("model-config", po::value<std::string>()->value_name("FILE"), "its config (default: config.json beside --model)");
  opt("hook", po::value<std::string>()->value_name("NAME"), "the SAE's hook (default: the one its store was recorded at)");
  cli.add_table(compare::card_table());
  if (!cli.parse(invocation)) return 0;
  compare::CardOptions o;
  const auto given = cli.given(compare::card_table());
  if (!given.count("feature")) throw UsageError("missing required option --feature (see coact inspect --help)");
  compare::card_table().apply(given, o, options::flag_labels());
  o.graph = cli.require("graph");
  if (cli.has("compare")) o.compare = cli.get<std::string>("compare");
  if (cli.has("sae")) o.sae = cli.get<std::string>("sae");
  if (cli.has("activations")) o.activations = cli.get<std::string>("activations");
  if (cli.has("tokenizer")) o.tokenizer = cli.get<std::string>("tokenizer");
  const bool json = cli.get<bool>("json");
  auto text_of = [&](const std::string& name) { return cli.has(name) ? cli.get<std::string>(name) : std::string(); };
  run_on_root(invocation, [&] {
    const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), 0);
    const compare::FeatureCard card = compare::feature_card(*compute, o);
    std::string text = json ? compare::card_json(card) : compare::card_text(card);
    if (cli.has("model")) {
      const std::string sae = o.sae.empty() ? compare::resolve_sae_of_graph(graph::read_graph_file(o.graph).attributes.sae_file, o.graph)
                                            : o.sae;
      const eval::FeatureEffects effects =
          eval::feature_effects(sae, o.feature, o.top, text_of("model"), text_of("model-config"), text_of("hook"));
      if (json) text.insert(text.rfind('}'), "," + eval::effects_json(effects));
      else text += eval::effects_text(effects, o.tokenizer.empty() ? std::nullopt
                                                                     : std::optional(data::Tokenizer::from_file(o.tokenizer)));
    }
    std::cout << text << (json ? "\n" : "") << std::flush;
  });
  return 0;
}

}  // namespace coact::app
