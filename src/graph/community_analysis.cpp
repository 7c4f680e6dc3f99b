#include "coact/graph/community_analysis.h"

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/graph/label_propagation.h"
#include "coact/graph/modularity.h"

namespace coact::graph {

using options::Value;

const options::Table<CommunityOptions>& community_table() {
  static const options::Table<CommunityOptions> table = [] {
    using namespace options;
    using O = CommunityOptions;
    Table<O> t;
    t.add(text("method", "label-propagation, louvain or both").one_of({"both", "label-propagation", "louvain"}),
          [](const O& o) {
            return Value(std::string(o.label_propagation && o.louvain ? "both" : o.louvain ? "louvain" : "label-propagation"));
          },
          [](O& o, const Value& v) {
            const auto& m = std::get<std::string>(v);
            o.label_propagation = m != "louvain";
            o.louvain = m != "label-propagation";
          });
    t.add(text("weight", "edge value for Louvain and modularity: weight (mean activation cosine), count or unit")
              .one_of({"weight", "count", "unit"}),
          [](const O& o) { return Value(std::string(to_string(o.louvain_options.weighting))); },
          [](O& o, const Value& v) { o.louvain_options.weighting = parse_edge_weighting(std::get<std::string>(v)); });
    t.add(real("resolution", "Louvain resolution (gamma)").above(0).at_most(1e6),
          [](const O& o) { return Value(o.louvain_options.resolution); },
          [](O& o, const Value& v) { o.louvain_options.resolution = std::get<double>(v); });
    t.add(real("louvain-threshold", "minimum modularity gain of a Louvain level").at_least(0).at_most(1),
          [](const O& o) { return Value(o.louvain_options.threshold); },
          [](O& o, const Value& v) { o.louvain_options.threshold = std::get<double>(v); });
    t.add(integer("louvain-trials", "Louvain runs from different seeded orders, best kept (0: by graph size, 2 to 32)")
              .at_least(0)
              .at_most(1024, "each trial is a whole Louvain run"),
          [](const O& o) { return Value(o.louvain_options.trials); },
          [](O& o, const Value& v) { o.louvain_options.trials = std::get<std::int64_t>(v); });
    t.add(integer("louvain-refinement", "Louvain refinement rounds per trial (0: networkx's plain levels)").at_least(0)
              .at_most(1024, "each round is a whole pass of the levels"),
          [](const O& o) { return Value(o.louvain_options.refinement_rounds); },
          [](O& o, const Value& v) { o.louvain_options.refinement_rounds = std::get<std::int64_t>(v); });
    t.add(integer("seed", "seed of the Louvain node orders").at_least(0),
          [](const O& o) { return Value(static_cast<std::int64_t>(o.louvain_options.seed)); },
          [](O& o, const Value& v) { o.louvain_options.seed = static_cast<std::uint64_t>(std::get<std::int64_t>(v)); });
    t.add(integer("top", "top features listed per community").at_least(0).at_most(1000), &O::top);
    return t;
  }();
  return table;
}

NodeColumn<std::int64_t>& CommunityResults::column_of(const DetectedCommunities& method) {
  return method.dataset == "/nodes/community_louvain" ? analytics.community_louvain : analytics.community_label_propagation;
}

CommunityResults detect_communities(const CsrGraph& g, const CommunityOptions& o, const std::string& command_line) {
  CommunityResults r;
  const EdgeWeighting weighting = o.louvain_options.weighting;
  if (o.label_propagation) {
    Stopwatch clock;
    LabelPropagation lpa(g);
    lpa.run();
    DetectedCommunities d;
    d.name = "label propagation";
    d.dataset = "/nodes/community_label_propagation";
    d.details = str(lpa.rounds(), " rounds over ", lpa.colors(), " colour classes");
    d.community = lpa.community_of();
    d.seconds = clock.seconds();
    d.modularity = modularity(g, d.community, weighting);
    auto& column = r.analytics.community_label_propagation;
    column.present = true;
    column.values = d.community;
    column.texts = {{"algorithm", "label propagation, semi-synchronous (networkx label_propagation_communities)"},
                    {"command_line", command_line}, {"weighting", to_string(weighting)}};
    column.numbers = {{"modularity", d.modularity}, {"communities", static_cast<double>(lpa.num_communities())},
                      {"rounds", static_cast<double>(lpa.rounds())}};
    r.methods.push_back(std::move(d));
  }
  if (o.louvain) {
    Stopwatch clock;
    Louvain louvain(g, o.louvain_options);
    louvain.run();
    const LouvainOptions& lo = o.louvain_options;
    DetectedCommunities d;
    d.name = "louvain";
    d.dataset = "/nodes/community_louvain";
    d.details = str("seed ", lo.seed, ", resolution ", lo.resolution, ", ", to_string(weighting), " edges, best of ",
                    louvain.trials(), " orders, ", louvain.levels(), " levels");
    d.community = louvain.community_of();
    d.seconds = clock.seconds();
    d.modularity = louvain.modularity();
    auto& column = r.analytics.community_louvain;
    column.present = true;
    column.values = d.community;
    column.texts = {{"algorithm", "louvain (networkx louvain_communities semantics)"}, {"command_line", command_line},
                    {"weighting", to_string(weighting)}};
    column.numbers = {{"modularity", d.modularity}, {"communities", static_cast<double>(louvain.num_communities())},
                      {"seed", static_cast<double>(lo.seed)}, {"resolution", lo.resolution},
                      {"threshold", lo.threshold}, {"levels", static_cast<double>(louvain.levels())},
                      {"trials", static_cast<double>(louvain.trials())},
                      {"refinement_rounds", static_cast<double>(lo.refinement_rounds)}};
    r.methods.push_back(std::move(d));
  }
  for (auto& d : r.methods) d.summary = summarise_communities(g, d.community, static_cast<int>(o.top));
  return r;
}

}  // namespace coact::graph
