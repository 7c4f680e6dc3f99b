// coact inspect: one feature's card.
#include <iostream>

#include "coact/backend/backend.h"
#include "coact/compare/feature_card.h"
#include "coact/core/errors.h"
#include "commands.h"

namespace coact::app {

int run_inspect(const Invocation& invocation) {
  CommandLine cli("inspect", "--feature F --graph graph_52.h5 [--compare compare.h5] [--activations acts.h5] [--json]",
                  "Prints a feature's card: frequency, degree and the other node statistics; its strongest\n"
                  "neighbours by weight and by count; its matched feature in the other seed(s) with decoder and\n"
                  "encoder cosines and its nearest nodes there by node statistics (with --compare); and its\n"
                  "top-activating tokens with their context (with --activations, decoded with --tokenizer).");
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
    std::cout << (json ? compare::card_json(card) + "\n" : compare::card_text(card)) << std::flush;
  });
  return 0;
}

}  // namespace coact::app
