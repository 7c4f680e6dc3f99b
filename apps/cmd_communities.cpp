// coact communities: label propagation and Louvain communities of a co-activation graph, stored
// in the graph file, summarised, and scored against planted groups on synthetic data.
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <optional>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/compare/planted_groups.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/graph/community_summary.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/label_propagation.h"
#include "coact/graph/louvain.h"
#include "coact/graph/modularity.h"
#include "coact/sae/checkpoint.h"
#include "commands.h"

namespace coact::app {

namespace {

struct Detected {
  std::string name;     // "label propagation" / "louvain"
  std::string dataset;  // where it is stored
  std::string details;  // the algorithm's own numbers, for the text output
  std::vector<std::int64_t> community;
  double modularity = 0, seconds = 0;
  graph::CommunitySummary summary;
  std::optional<compare::CommunityScore> score;
};

std::string size_label(std::size_t bin) {
  const std::int64_t low = std::int64_t{1} << bin, high = (std::int64_t{2} << bin) - 1;
  return low == high ? with_commas(low) : str(with_commas(low), "-", with_commas(high));
}

std::string detected_text(const Detected& d, int show) {
  std::ostringstream out;
  const auto& s = d.summary;
  out << d.name << ": " << with_commas(s.communities) << " communities (" << with_commas(s.singletons)
      << " single features), largest " << with_commas(s.largest) << ", modularity " << std::fixed << std::setprecision(4)
      << d.modularity << std::defaultfloat << "; " << d.details << "; " << human_duration(d.seconds) << "\n  sizes:";
  for (std::size_t b = 0; b < s.size_bins.size(); ++b)
    if (s.size_bins[b]) out << " " << size_label(b) << ": " << with_commas(s.size_bins[b]) << (b + 1 < s.size_bins.size() ? " |" : "");
  out << "\n  " << std::left << std::setw(10) << "community" << std::right << std::setw(8) << "size" << std::setw(16)
      << "internal edges" << std::setw(10) << "density" << "  top features by degree\n";
  for (std::size_t i = 0; i < s.by_size.size() && static_cast<int>(i) < show; ++i) {
    const auto& c = s.by_size[i];
    if (c.size < 2) break;
    out << "  " << std::left << std::setw(10) << c.id << std::right << std::setw(8) << with_commas(c.size) << std::setw(16)
        << with_commas(c.internal_edges) << std::setw(10) << std::fixed << std::setprecision(4) << c.density << std::defaultfloat << " ";
    for (const auto f : c.top_features) out << " " << f;
    out << "\n";
  }
  if (d.score)
    out << "  against the planted groups: adjusted Rand " << std::fixed << std::setprecision(4) << d.score->adjusted_rand
        << ", NMI " << d.score->nmi << std::defaultfloat << " over " << with_commas(d.score->nodes) << " features ("
        << d.score->planted << " planted groups, " << d.score->found << " communities among them)\n";
  return out.str();
}

void detected_json(JsonWriter& j, const Detected& d, int show) {
  const auto& s = d.summary;
  j.begin_object().field("method", d.name).field("dataset", d.dataset).field("communities", s.communities);
  j.field("singletons", s.singletons).field("largest", s.largest).field("modularity", d.modularity).field("seconds", d.seconds);
  j.key("size_bins").begin_array();
  for (const auto b : s.size_bins) j.value(b);
  j.end_array().key("top").begin_array();
  for (std::size_t i = 0; i < s.by_size.size() && static_cast<int>(i) < show; ++i) {
    const auto& c = s.by_size[i];
    j.begin_object().field("id", c.id).field("size", c.size).field("internal_edges", c.internal_edges).field("density", c.density);
    j.key("top_features").begin_array();
    for (const auto f : c.top_features) j.value(static_cast<std::int64_t>(f));
    j.end_array().end_object();
  }
  j.end_array();
  if (d.score) {
    j.key("truth").begin_object().field("features", d.score->nodes).field("planted_groups", d.score->planted);
    j.field("communities", d.score->found).field("adjusted_rand", d.score->adjusted_rand).field("nmi", d.score->nmi).end_object();
  }
  j.end_object();
}

}  // namespace

int run_communities(const Invocation& invocation) {
  CommandLine cli("communities", "--graph graph_52.h5 [--method both|label-propagation|louvain] [options]",
                  "Finds communities of co-activating features and stores them in the graph file\n"
                  "(/nodes/community_label_propagation, /nodes/community_louvain; the file is rewritten atomically).\n"
                  "Label propagation is networkx's semi-synchronous rule (deterministic, no seed); Louvain follows\n"
                  "networkx.community.louvain_communities (--seed, --resolution, --louvain-threshold), plus refinement\n"
                  "rounds and the best of --louvain-trials orders. Prints the\n"
                  "modularity, a size histogram and the largest communities with their internal density and top\n"
                  "features by degree. With --truth (a synthetic store) each SAE feature is mapped to its closest\n"
                  "true feature by decoder cosine and the communities are scored against the planted groups\n"
                  "(adjusted Rand index, NMI).");
  cli.add_compute_flags();
  cli.add_seed_flag(0);
  auto opt = cli.options().add_options();
  opt("graph", po::value<std::string>()->value_name("FILE"), "graph file (graph_<seed>.h5)");
  opt("method", po::value<std::string>()->default_value("both"), "label-propagation, louvain or both");
  opt("weight", po::value<std::string>()->default_value("weight"),
      "edge value for Louvain and modularity: weight (mean activation cosine), count or unit");
  opt("resolution", po::value<double>()->default_value(1.0), "Louvain resolution (gamma)");
  opt("louvain-threshold", po::value<double>()->default_value(1e-7), "minimum modularity gain of a Louvain level");
  opt("louvain-trials", po::value<std::int64_t>()->default_value(0),
      "Louvain runs from different seeded orders, best kept (0: by graph size, 2 to 32)");
  opt("louvain-refinement", po::value<std::int64_t>()->default_value(4), "Louvain refinement rounds per trial (0: networkx's plain levels)");
  opt("no-store", po::bool_switch(), "do not write the communities into the graph file");
  opt("top", po::value<int>()->default_value(5), "top features listed per community");
  opt("show", po::value<int>()->default_value(10), "communities listed (largest first)");
  opt("truth", po::value<std::string>()->value_name("STORE"), "synthetic store with /ground_truth to score against");
  opt("sae", po::value<std::string>()->value_name("FILE"), "the graph's SAE for --truth (default: the file the graph names)");
  opt("truth-threshold", po::value<double>()->default_value(0.9), "decoder cosine for a feature to count as a true feature");
  opt("json", po::bool_switch(), "print JSON for scripts");
  if (!cli.parse(invocation)) return 0;
  const std::string path = cli.require("graph");
  const std::string method = cli.get<std::string>("method");
  if (method != "both" && method != "label-propagation" && method != "louvain")
    throw UsageError(str("--method: '", method, "' is not label-propagation, louvain or both"));
  const graph::EdgeWeighting weighting = graph::parse_edge_weighting(cli.get<std::string>("weight"));
  graph::LouvainOptions louvain_options;
  louvain_options.resolution = cli.get<double>("resolution");
  louvain_options.threshold = cli.get<double>("louvain-threshold");
  louvain_options.seed = static_cast<std::uint64_t>(cli.seed());
  louvain_options.weighting = weighting;
  louvain_options.trials = cli.get<std::int64_t>("louvain-trials");
  louvain_options.refinement_rounds = cli.get<std::int64_t>("louvain-refinement");
  const bool store = !cli.get<bool>("no-store");
  const int top = cli.get<int>("top"), show = cli.get<int>("show");
  if (top < 0 || show < 0) throw UsageError("--top and --show must be >= 0");
  const bool json = cli.get<bool>("json");
  const std::string command_line = cli.command_line(invocation);

  run_on_root(invocation, [&] {
    const graph::GraphFile file = graph::read_graph_file(path);
    const graph::CsrGraph& g = file.graph;
    std::vector<Detected> detected;
    graph::NodeAnalytics update;
    if (method != "louvain") {
      Stopwatch clock;
      graph::LabelPropagation lpa(g);
      lpa.run();
      Detected d;
      d.name = "label propagation";
      d.dataset = "/nodes/community_label_propagation";
      d.details = str(lpa.rounds(), " rounds over ", lpa.colors(), " colour classes");
      d.community = lpa.community_of();
      d.seconds = clock.seconds();
      d.modularity = graph::modularity(g, d.community, weighting);
      auto& column = update.community_label_propagation;
      column.present = true;
      column.values = d.community;
      column.texts = {{"algorithm", "label propagation, semi-synchronous (networkx label_propagation_communities)"},
                      {"command_line", command_line}, {"weighting", graph::to_string(weighting)}};
      column.numbers = {{"modularity", d.modularity}, {"communities", static_cast<double>(lpa.num_communities())},
                        {"rounds", static_cast<double>(lpa.rounds())}};
      detected.push_back(std::move(d));
    }
    if (method != "label-propagation") {
      Stopwatch clock;
      graph::Louvain louvain(g, louvain_options);
      louvain.run();
      Detected d;
      d.name = "louvain";
      d.dataset = "/nodes/community_louvain";
      d.details = str("seed ", louvain_options.seed, ", resolution ", louvain_options.resolution, ", ",
                      graph::to_string(weighting), " edges, best of ", louvain.trials(), " orders, ", louvain.levels(), " levels");
      d.community = louvain.community_of();
      d.seconds = clock.seconds();
      d.modularity = louvain.modularity();
      auto& column = update.community_louvain;
      column.present = true;
      column.values = d.community;
      column.texts = {{"algorithm", "louvain (networkx louvain_communities semantics)"}, {"command_line", command_line},
                      {"weighting", graph::to_string(weighting)}};
      column.numbers = {{"modularity", d.modularity}, {"communities", static_cast<double>(louvain.num_communities())},
                        {"seed", static_cast<double>(louvain_options.seed)}, {"resolution", louvain_options.resolution},
                        {"threshold", louvain_options.threshold}, {"levels", static_cast<double>(louvain.levels())},
                        {"trials", static_cast<double>(louvain.trials())},
                        {"refinement_rounds", static_cast<double>(louvain_options.refinement_rounds)}};
      detected.push_back(std::move(d));
    }
    for (auto& d : detected) d.summary = graph::summarise_communities(g, d.community, top);

    std::optional<compare::PlantedGroups> planted;
    std::string truth_store;
    if (cli.has("truth")) {
      truth_store = cli.get<std::string>("truth");
      const std::string sae_path = cli.has("sae") ? cli.get<std::string>("sae") : file.attributes.sae_file;
      if (!std::filesystem::exists(sae_path))
        throw InputError(str(path, ": its SAE ", sae_path, " is not there; give --sae for --truth"));
      const sae::Checkpoint checkpoint = sae::read_checkpoint(sae_path, false);
      if (checkpoint.params.n_features != g.num_nodes())
        throw InputError(str(sae_path, " has ", checkpoint.params.n_features, " features but ", path, " has ", g.num_nodes(), " nodes"));
      const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), 0);
      planted = compare::planted_groups(*compute, checkpoint.params, truth_store, cli.get<double>("truth-threshold"));
      for (auto& d : detected) {
        d.score = compare::score_communities(d.community, *planted);
        auto& column = d.dataset == "/nodes/community_louvain" ? update.community_louvain : update.community_label_propagation;
        column.numbers["truth_adjusted_rand"] = d.score->adjusted_rand;
        column.numbers["truth_nmi"] = d.score->nmi;
        column.numbers["truth_features"] = static_cast<double>(d.score->nodes);
      }
    }
    if (store) graph::update_node_analytics(path, update);

    std::ostringstream out;
    if (json) {
      JsonWriter j;
      j.begin_object().field("graph", path).field("nodes", g.num_nodes()).field("edges", g.num_edges()).field("stored", store);
      if (planted)
        j.key("truth_store").value(truth_store).field("true_features", planted->true_features)
            .field("true_groups", planted->true_groups).field("grouped_features", planted->grouped);
      j.key("methods").begin_array();
      for (const auto& d : detected) detected_json(j, d, show);
      j.end_array().end_object();
      out << j.str() << "\n";
    } else {
      out << path << ": " << with_commas(g.num_nodes()) << " nodes, " << with_commas(g.num_edges()) << " edges\n";
      if (planted)
        out << "ground truth " << truth_store << ": " << with_commas(planted->true_features) << " true features in "
            << planted->true_groups << " groups; " << with_commas(planted->grouped)
            << " SAE features match a grouped true feature\n";
      for (const auto& d : detected) out << detected_text(d, show);
      if (store) {
        out << "stored";
        for (const auto& d : detected) out << " " << d.dataset;
        out << " in " << path << "\n";
      }
    }
    std::cout << out.str() << std::flush;
  });
  return 0;
}

}  // namespace coact::app
