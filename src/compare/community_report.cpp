#include "coact/compare/community_report.h"

#include <filesystem>
#include <iomanip>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/strings.h"
#include "coact/graph/graph_file.h"
#include "coact/sae/checkpoint.h"

namespace coact::compare {

namespace {

std::string size_label(std::size_t bin) {
  const std::int64_t low = std::int64_t{1} << bin, high = (std::int64_t{2} << bin) - 1;
  return low == high ? with_commas(low) : str(with_commas(low), "-", with_commas(high));
}

std::string method_text(const graph::DetectedCommunities& d, const std::optional<CommunityScore>& score, int show) {
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
  if (score)
    out << "  against the planted groups: adjusted Rand " << std::fixed << std::setprecision(4) << score->adjusted_rand
        << ", NMI " << score->nmi << std::defaultfloat << " over " << with_commas(score->nodes) << " features ("
        << score->planted << " planted groups, " << score->found << " communities among them)\n";
  return out.str();
}

void method_json(JsonWriter& j, const graph::DetectedCommunities& d, const std::optional<CommunityScore>& score, int show) {
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
  if (score) {
    j.key("truth").begin_object().field("features", score->nodes).field("planted_groups", score->planted);
    j.field("communities", score->found).field("adjusted_rand", score->adjusted_rand).field("nmi", score->nmi).end_object();
  }
  j.end_object();
}

}  // namespace

const options::Table<CommunityRequest>& community_request_table() {
  static const options::Table<CommunityRequest> table = [] {
    using namespace options;
    Table<CommunityRequest> t;
    t.add(flag("store", "write the communities into the graph file"), &CommunityRequest::store);
    t.add(real("truth-threshold", "decoder cosine for a feature to count as a true feature").at_least(-1).at_most(1, "a cosine"),
          &CommunityRequest::truth_threshold);
    return t;
  }();
  return table;
}

CommunityReport analyse_communities(const CommunityRequest& request) {
  const graph::GraphFile file = graph::read_graph_file(request.graph);
  const graph::CsrGraph& g = file.graph;
  CommunityReport report;
  report.graph = request.graph;
  report.nodes = g.num_nodes();
  report.edges = g.num_edges();
  report.results = graph::detect_communities(g, request.options, request.command_line);
  report.scores.assign(report.results.methods.size(), std::nullopt);
  if (!request.truth_store.empty()) {
    report.truth_store = request.truth_store;
    const std::string sae_path = request.sae.empty() ? file.attributes.sae_file : request.sae;
    if (!std::filesystem::exists(sae_path))
      throw InputError(str(request.graph, ": its SAE ", sae_path, " is not there; give --sae for --truth"));
    const sae::Checkpoint checkpoint = sae::read_checkpoint(sae_path, false);
    if (checkpoint.params.n_features != g.num_nodes())
      throw InputError(str(sae_path, " has ", checkpoint.params.n_features, " features but ", request.graph, " has ",
                           g.num_nodes(), " nodes"));
    report.planted = planted_groups(checkpoint.params, request.truth_store, request.truth_threshold);
    for (std::size_t i = 0; i < report.results.methods.size(); ++i) {
      const auto& d = report.results.methods[i];
      report.scores[i] = score_communities(d.community, *report.planted);
      auto& column = report.results.column_of(d);
      column.numbers["truth_adjusted_rand"] = report.scores[i]->adjusted_rand;
      column.numbers["truth_nmi"] = report.scores[i]->nmi;
      column.numbers["truth_features"] = static_cast<double>(report.scores[i]->nodes);
    }
  }
  if (request.store) {
    graph::update_node_analytics(request.graph, report.results.analytics);
    report.stored = true;
  }
  return report;
}

std::string CommunityReport::text(int show) const {
  std::ostringstream out;
  out << graph << ": " << with_commas(nodes) << " nodes, " << with_commas(edges) << " edges\n";
  if (planted)
    out << "ground truth " << truth_store << ": " << with_commas(planted->true_features) << " true features in "
        << planted->true_groups << " groups; " << with_commas(planted->grouped) << " SAE features match a grouped true feature\n";
  for (std::size_t i = 0; i < results.methods.size(); ++i) out << method_text(results.methods[i], scores[i], show);
  if (stored) {
    out << "stored";
    for (const auto& d : results.methods) out << " " << d.dataset;
    out << " in " << graph << "\n";
  }
  return out.str();
}

std::string CommunityReport::json(int show) const {
  JsonWriter j;
  j.begin_object().field("graph", graph).field("nodes", nodes).field("edges", edges).field("stored", stored);
  if (planted)
    j.key("truth_store").value(truth_store).field("true_features", planted->true_features)
        .field("true_groups", planted->true_groups).field("grouped_features", planted->grouped);
  j.key("methods").begin_array();
  for (std::size_t i = 0; i < results.methods.size(); ++i) method_json(j, results.methods[i], scores[i], show);
  j.end_array().end_object();
  return j.str();
}

}  // namespace coact::compare
