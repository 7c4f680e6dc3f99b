#include "coact/compare/comparison.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

#include "coact/compare/comparison_check.h"
#include "coact/compare/stability.h"
#include "coact/data/ground_truth.h"
#include "coact/dist/root.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "search_helpers.h"
#include "single_process_comm.h"

namespace coact::compare {

const options::Table<ComparisonOptions>& comparison_table() {
  static const options::Table<ComparisonOptions> table = [] {
    using namespace options;
    using O = ComparisonOptions;
    Table<O> t;
    t.add(real("threshold", "decoder cosine (or correlation) at which a matched pair is shared").at_least(-1)
              .at_most(1, "a cosine"),
          [](const O& o) { return Value(o.pair.threshold); }, [](O& o, const Value& v) { o.pair.threshold = std::get<double>(v); });
    t.add(text("method", "exact (linear assignment) or greedy (approximate)").one_of({"exact", "greedy"}),
          [](const O& o) { return Value(std::string(o.pair.greedy ? "greedy" : "exact")); },
          [](O& o, const Value& v) { o.pair.greedy = std::get<std::string>(v) == "greedy"; });
    t.add(flag("rectangular", "allow SAEs of different sizes (give the smaller first)"),
          [](const O& o) { return Value(o.pair.rectangular); }, [](O& o, const Value& v) { o.pair.rectangular = std::get<bool>(v); });
    t.add(integer("baseline-seed", "seed of the Erdős–Rényi baselines").at_least(0),
          [](const O& o) { return Value(static_cast<std::int64_t>(o.pair.baseline_seed)); },
          [](O& o, const Value& v) { o.pair.baseline_seed = static_cast<std::uint64_t>(std::get<std::int64_t>(v)); });
    t.add(integer("strength-bins", "bins of the strength histograms").at_least(1).at_most(1e6),
          [](const O& o) { return Value(o.pair.strength_bins); },
          [](O& o, const Value& v) { o.pair.strength_bins = std::get<std::int64_t>(v); });
    t.add(text("truth", "synthetic store with /ground_truth").derived_from("the SAEs' training store, when it has one"),
          [](const O& o) { return o.truth_store.empty() ? Value() : Value(o.truth_store); },
          [](O& o, const Value& v) { o.truth_store = is_set(v) ? std::get<std::string>(v) : std::string(); });
    t.add(text("precision", "arithmetic of the matching's cost GEMM: fp32, or bf16 / tf32 operands with fp32 sums")
              .one_of({"fp32", "bf16", "tf32"}),
          [](const O& o) { return Value(std::string(backend::to_string(o.pair.matching.precision))); },
          [](O& o, const Value& v) { o.pair.matching.precision = backend::parse_precision(std::get<std::string>(v)); });
    t.add(text("match", "decoder (cosine of decoder rows) or activations (correlation of activations on the same tokens)")
              .one_of({"decoder", "activations"}),
          [](const O& o) { return Value(std::string(o.pair.match_activations ? "activations" : "decoder")); },
          [](O& o, const Value& v) { o.pair.match_activations = std::get<std::string>(v) == "activations"; });
    return t;
  }();
  return table;
}

namespace {

// The graph statistics of each SAE in compare.h5: attribute graph_<name> of /saes/<i>, all float64.
struct SummaryAttribute {
  const char* name;
  double (*get)(const graph::GraphSummary&);
  void (*set)(graph::GraphSummary&, double);
};
const SummaryAttribute kSummaryAttributes[] = {
    {"nodes", [](const graph::GraphSummary& g) { return static_cast<double>(g.nodes); },
     [](graph::GraphSummary& g, double v) { g.nodes = static_cast<std::int64_t>(v); }},
    {"edges", [](const graph::GraphSummary& g) { return static_cast<double>(g.edges); },
     [](graph::GraphSummary& g, double v) { g.edges = static_cast<std::int64_t>(v); }},
    {"average_degree", [](const graph::GraphSummary& g) { return g.average_degree; },
     [](graph::GraphSummary& g, double v) { g.average_degree = v; }},
    {"density", [](const graph::GraphSummary& g) { return g.density; },
     [](graph::GraphSummary& g, double v) { g.density = v; }},
    {"components", [](const graph::GraphSummary& g) { return static_cast<double>(g.components); },
     [](graph::GraphSummary& g, double v) { g.components = static_cast<std::int64_t>(v); }},
    {"largest_component", [](const graph::GraphSummary& g) { return static_cast<double>(g.largest_component); },
     [](graph::GraphSummary& g, double v) { g.largest_component = static_cast<std::int64_t>(v); }},
    {"average_clustering", [](const graph::GraphSummary& g) { return g.average_clustering; },
     [](graph::GraphSummary& g, double v) { g.average_clustering = v; }},
    {"pearson_degree_frequency", [](const graph::GraphSummary& g) { return g.pearson_degree_frequency; },
     [](graph::GraphSummary& g, double v) { g.pearson_degree_frequency = v; }},
};

// Stored communities as graph_<method>_<number> attributes; a number is written only when the
// graph file held it.
struct CommunityNumber {
  const char* name;
  double StoredCommunities::*member;
};
const CommunityNumber kCommunityNumbers[] = {{"modularity", &StoredCommunities::modularity},
                                             {"communities", &StoredCommunities::communities},
                                             {"truth_adjusted_rand", &StoredCommunities::truth_adjusted_rand},
                                             {"truth_nmi", &StoredCommunities::truth_nmi}};
const char* const kCommunityMethods[] = {"louvain", "label_propagation"};

const graph::NodeColumn<std::int64_t>& community_column(const graph::NodeAnalytics& a, const std::string& method) {
  return method == "louvain" ? a.community_louvain : a.community_label_propagation;
}

std::vector<StoredCommunities> stored_communities(const graph::NodeAnalytics& analytics) {
  std::vector<StoredCommunities> out;
  for (const char* method : kCommunityMethods) {
    const auto& column = community_column(analytics, method);
    if (!column.present || !column.numbers.count("modularity")) continue;
    StoredCommunities c{.method = method};
    for (const auto& number : kCommunityNumbers) {
      const auto it = column.numbers.find(number.name);
      c.*number.member = it == column.numbers.end() ? std::nan("") : it->second;
    }
    out.push_back(std::move(c));
  }
  return out;
}

void write_graph_numbers(io::Attributes& g, const ComparedSae& s) {
  for (const auto& a : kSummaryAttributes) g.set(str("graph_", a.name), a.get(s.graph));
  g.set("graph_component_sizes", s.graph.component_sizes);
  for (const auto& c : s.communities)
    for (const auto& number : kCommunityNumbers)
      if (!std::isnan(c.*number.member)) g.set(str("graph_", c.method, "_", number.name), c.*number.member);
}

void read_graph_numbers(const io::Attributes& g, ComparedSae& s) {
  for (const auto& a : kSummaryAttributes) a.set(s.graph, g.get_double(str("graph_", a.name)));
  s.graph.component_sizes = g.get_ints("graph_component_sizes");
  for (const char* method : kCommunityMethods) {
    if (!g.has(str("graph_", method, "_modularity"))) continue;
    StoredCommunities c{.method = method};
    for (const auto& number : kCommunityNumbers) {
      const std::string name = str("graph_", method, "_", number.name);
      c.*number.member = g.has(name) ? g.get_double(name) : std::nan("");
    }
    s.communities.push_back(std::move(c));
  }
}

// The store holding the true features, if any: the given one, else the first SAE's training store.
std::vector<float> load_truth(const std::string& given, const std::vector<SaeSide>& saes) {
  std::string store = given;
  if (store.empty()) {
    if (saes.empty() || saes.front().activations.empty()) return {};
    store = saes.front().activations;
    std::error_code ec;
    if (!std::filesystem::exists(store, ec) || !std::filesystem::is_regular_file(store, ec)) return {};
  }
  const auto truth = data::read_ground_truth(store);
  if (!truth) {
    if (!given.empty()) throw InputError(str(given, ": no /ground_truth/directions (not a synthetic store)"));
    return {};
  }
  return truth->directions;
}

// This rank's rows row_share(n, rank, size) of an SAE's decoder, read from its file a block at a
// time as the matcher normalises them: no rank holds a decoder whole unless it is the only
// rank, and none holds its rows twice.
ShareRows decoder_share(dist::Comm& comm, const sae::ParameterRows& file, std::int64_t n, std::int64_t d) {
  const RowShare mine = row_share(n, comm.rank(), comm.size());
  return {mine.count(), d, [&file, begin = mine.begin, d](std::int64_t first, std::int64_t count, float* out) {
            file.read_into("W_dec", begin + first, count, {out, static_cast<std::size_t>(count * d)});
          }};
}

// What every rank needs to know of a pair to take part in its decoder matching.
struct PairPlan {
  std::int64_t first, second;       // indices into the SAE list
  std::int64_t first_seed, second_seed;
  std::int64_t n1, n2, width;
  std::int64_t decoder;             // 1: same d_in, the decoder matching runs
};

}  // namespace

namespace {

// Writes compare.h5 (the root's part of run_comparison).
ComparisonFile write_comparison(const ComparisonOptions& o, const std::vector<SaeSide>& saes,
                                const std::vector<GraphSide>& graphs, const std::vector<float>& truth,
                                const std::vector<PairResult>& results, const std::optional<Stability>& stability) {
  ComparisonFile file;
  file.path = o.out;
  file.threshold = o.pair.threshold;
  file.has_truth = !truth.empty();
  file.match = o.pair.match_activations ? "activations" : "decoder";
  io::AtomicOutput output(o.out, o.force);
  {
    io::File f = io::File::create(output.temporary_path());
    io::Provenance provenance{"compare", o.command_line, o.config_text, {}};
    for (std::size_t i = 0; i < saes.size(); ++i) {
      provenance.inputs["sae_" + std::to_string(i)] = saes[i].path + " " + saes[i].hash;
      provenance.inputs["graph_" + std::to_string(i)] = graphs[i].path;
    }
    io::write_provenance(f, provenance);
    auto a = f.attributes();
    a.set("threshold", o.pair.threshold);
    a.set("method", o.pair.greedy ? "greedy" : "exact");
    a.set("match", file.match);
    a.set("cost_precision", backend::to_string(o.pair.matching.precision));
    a.set("baseline_seed", static_cast<std::int64_t>(o.pair.baseline_seed));
    a.set("strength_bins", o.pair.strength_bins);
    a.set("n_saes", static_cast<std::int64_t>(saes.size()));
    a.set("ground_truth", static_cast<std::int64_t>(file.has_truth));

    for (std::size_t i = 0; i < saes.size(); ++i) {
      ComparedSae s;
      s.path = saes[i].path;
      s.hash = saes[i].hash;
      s.graph_path = graphs[i].path;
      s.seed = static_cast<std::int64_t>(saes[i].seed);
      s.d_in = saes[i].d_in;
      s.n_features = saes[i].n_features;
      s.graph = graph::summarise_node_data(graphs[i].file.graph, graphs[i].file.nodes);
      // Communities stored by `coact communities`, for the report.
      s.communities = stored_communities(graphs[i].file.analytics);
      const std::string group = "/saes/" + std::to_string(i);
      f.create_group(group);
      auto g = f.group_attributes(group);
      g.set("path", s.path);
      g.set("hash", s.hash);
      g.set("graph", s.graph_path);
      g.set("seed", s.seed);
      g.set("d_in", s.d_in);
      g.set("n_features", s.n_features);
      write_graph_numbers(g, s);
      file.saes.push_back(std::move(s));
    }
    const auto count = static_cast<std::int64_t>(saes.size());
    std::map<std::string, std::vector<double>> summary;  // seeds × seeds, NaN on the diagonal
    for (const auto& r : results) {
      ComparedPair p;
      p.first = static_cast<std::int64_t>(r.first);
      p.second = static_cast<std::int64_t>(r.second);
      p.values = summarise_pair(r);
      p.method = r.method;
      const std::string group = str("/pairs/", r.first, "_", r.second);
      const auto n1 = static_cast<std::int64_t>(r.matching.size());
      std::vector<std::int64_t> matching(r.matching.begin(), r.matching.end());
      f.write_dataset<std::int64_t>(group + "/matching", matching, {n1});
      f.write_dataset<float>(group + "/decoder_cosine", r.decoder_cosine, {n1});
      f.write_dataset<float>(group + "/encoder_cosine", r.encoder_cosine, {n1});
      f.write_dataset<std::uint8_t>(group + "/shared", r.shared, {n1});
      if (r.match == "activations") f.write_dataset<float>(group + "/activation_correlation", r.activation_correlation, {n1});
      auto g = f.group_attributes(group);
      g.set("first", p.first);
      g.set("second", p.second);
      g.set("method", r.method);
      g.set("match", r.match);
      g.set("matching_path", r.matching_path);
      for (const auto& field : pair_summary_fields()) {
        const std::optional<double> value = field.get(p.values);
        if (!value) continue;
        g.set(field.name, *value);
        if (field.run_measurement) continue;
        auto& m = summary[field.name];
        m.resize(static_cast<std::size_t>(count * count), std::nan(""));
        m[static_cast<std::size_t>(p.first * count + p.second)] = *value;
        m[static_cast<std::size_t>(p.second * count + p.first)] = *value;
      }
      file.pairs.push_back(std::move(p));
    }
    for (const auto& [key, values] : summary) f.write_dataset<double>("/summary/" + key, values, {count, count});
    if (stability) write_stability(f, *stability);
    f.close();
  }
  output.commit();
  return file;
}


}  // namespace

ComparisonFile run_comparison(backend::Backend& compute, const ComparisonOptions& o) {
  SingleProcessComm alone;
  return run_comparison(compute, alone, o);
}

ComparisonFile run_comparison(backend::Backend& compute, dist::Comm& comm, const ComparisonOptions& o) {
  const bool root = comm.is_root();
  std::vector<SaeSide> saes;
  std::vector<GraphSide> graphs;
  std::vector<float> truth;
  std::vector<PairPlan> plans;
  dist::run_on_root(comm, [&] {
    if (o.saes.size() < 2) throw UsageError(str("a comparison needs at least two SAEs (got ", o.saes.size(), ")"));
    if (o.graphs.size() != o.saes.size())
      throw UsageError(str("give one graph per SAE, in the same order (", o.saes.size(), " SAEs, ", o.graphs.size(), " graphs)"));
    if (!(o.pair.threshold >= -1 && o.pair.threshold <= 1)) throw UsageError(str("--threshold must be in [-1, 1]"));
    io::require_writable_output(o.out, o.force);
    for (std::size_t i = 0; i < o.saes.size(); ++i) {
      saes.push_back(load_sae_side(o.saes[i]));
      graphs.push_back(load_graph_side(o.graphs[i], saes.back()));
    }
    truth = load_truth(o.truth_store, saes);
    // Ground truth and activation matching read the decoders whole on the root (both are dense
    // problems of n1 × n2 or truth × n entries, so the SAEs they take are small).
    if (!truth.empty() || o.pair.match_activations)
      for (SaeSide& side : saes) load_whole_decoder(side);
    for (std::size_t i = 0; i < saes.size(); ++i)
      for (std::size_t j = i + 1; j < saes.size(); ++j) {
        if (o.pair.match_activations) {
          const bool found = std::any_of(o.correlations.begin(), o.correlations.end(),
                                         [&](const PairCorrelation& c) { return c.first == i && c.second == j; });
          if (!found) throw Error(str("no activation correlations for SAEs ", i, " and ", j));
        }
        check_pair(saes[i], saes[j], o.pair);
        const SaeSide& a = saes[i];
        const SaeSide& b = saes[j];
        plans.push_back({static_cast<std::int64_t>(i), static_cast<std::int64_t>(j), static_cast<std::int64_t>(a.seed),
                         static_cast<std::int64_t>(b.seed), a.n_features, b.n_features, a.d_in, a.d_in == b.d_in ? 1 : 0});
      }
  });
  plans.resize(static_cast<std::size_t>(comm.broadcast_value(static_cast<std::int64_t>(plans.size()), 0)));
  comm.broadcast(plans.data(), plans.size() * sizeof(PairPlan), 0);

  ComparisonFile file;
  std::vector<PairResult> results;
  // Stability needs every pair's decoders compared (one activation width): the matching's
  // first pass also takes each feature's best cosine in the other SAE, and one more pass of its
  // tiles the null model's against the second decoder turned by a random rotation (the same
  // for every pair, made on the root and broadcast: ranks that each made it would contend for
  // memory bandwidth, its O(d³) Gram–Schmidt being memory-bound).
  const bool stability_wanted = std::all_of(plans.begin(), plans.end(), [](const PairPlan& p) { return p.decoder != 0; });
  std::vector<float> rotation;
  if (stability_wanted) {
    dist::run_on_root(comm, [&] { rotation = random_rotation(plans.front().width, o.pair.baseline_seed); });
    rotation.resize(static_cast<std::size_t>(plans.front().width * plans.front().width));
    comm.broadcast(std::span<float>(rotation), 0);
  }
  PairOptions pair_options = o.pair;
  pair_options.matching.nearest = stability_wanted;
  pair_options.matching.null_rotation = stability_wanted ? &rotation : nullptr;
  std::vector<PairNearest> nearest;
  for (const PairPlan& plan : plans) {
    const auto i = static_cast<std::size_t>(plan.first), j = static_cast<std::size_t>(plan.second);
    if (root) log::info("comparing ", saes[i].path, " with ", saes[j].path);
    DecoderMatching decoders;
    if (plan.decoder) {
      std::optional<sae::ParameterRows> first_file, second_file;
      dist::run_on_every_rank(comm, [&] {
        first_file.emplace(o.saes[i]);
        second_file.emplace(o.saes[j]);
      });
      const std::string label = str("matching ", plan.first_seed, " to ", plan.second_seed);
      decoders = match_decoders(compute, comm, decoder_share(comm, *first_file, plan.n1, plan.width), plan.n1,
                                decoder_share(comm, *second_file, plan.n2, plan.width), plan.n2, pair_options, label);
      if (stability_wanted && root) nearest.push_back({std::move(decoders.nearest), std::move(decoders.null_nearest)});
      decoders.nearest = decoders.null_nearest = {};
    }
    // The pair's analysis runs on the root; the other ranks take their share of its global
    // searches (the n·n part of it) until the root releases them, then learn how it ended.
    SearchHelpers helpers(comm);
    helpers.serve();
    dist::run_on_root(comm, [&] {
      const ReleaseHelpers release(helpers);
      const PairCorrelation* correlation = nullptr;
      for (const auto& c : o.correlations)
        if (c.first == i && c.second == j) correlation = &c;
      results.push_back(compare_pair(saes[i], saes[j], graphs[i], graphs[j], o.pair, truth, correlation,
                                     plan.decoder ? &decoders : nullptr, helpers.ranker()));
      results.back().first = i;
      results.back().second = j;
    });
  }
  dist::run_on_root(comm, [&] {
    const auto stability = stability_wanted
                               ? feature_stability(saes, graphs, results, nearest,
                                                   {.threshold = o.pair.threshold, .null_seed = o.pair.baseline_seed})
                               : std::nullopt;
    file = write_comparison(o, saes, graphs, truth, results, stability);
  });
  return file;
}

ComparisonFile read_comparison(const std::string& path) {
  const io::File f = io::File::open(path);
  io::require_kind(f, "compare");
  require_consistent_comparison_attributes(f);
  ComparisonFile out;
  out.path = path;
  const auto a = f.attributes();
  out.threshold = a.get_double("threshold");
  out.has_truth = a.get_int("ground_truth") != 0;
  out.match = a.get_string_or("match", "decoder");
  const std::int64_t count = a.get_int("n_saes");
  if (count < 2) throw InputError(str(path, ": n_saes = ", count, ", expected at least 2"));
  for (std::int64_t i = 0; i < count; ++i) {
    const std::string group = "/saes/" + std::to_string(i);
    const auto g = f.group_attributes(group);
    ComparedSae s;
    s.path = g.get_string("path");
    s.hash = g.get_string("hash");
    s.graph_path = g.get_string("graph");
    s.seed = g.get_int("seed");
    s.d_in = g.get_int("d_in");
    s.n_features = g.get_int("n_features");
    read_graph_numbers(g, s);
    out.saes.push_back(std::move(s));
  }
  for (std::int64_t i = 0; i < count; ++i)
    for (std::int64_t j = i + 1; j < count; ++j) {
      const std::string group = str("/pairs/", i, "_", j);
      if (!f.has(group)) throw InputError(str(path, ": missing group ", group));
      const auto g = f.group_attributes(group);
      ComparedPair p;
      p.first = i;
      p.second = j;
      p.method = g.get_string("method");
      for (const std::string required : {"shared_fraction", "shared_features"})
        if (!g.has(required)) throw InputError(str(path, ":", group, ": missing attribute '", required, "'"));
      for (const auto& field : pair_summary_fields())
        if (g.has(field.name)) field.set(p.values, g.get_double(field.name));
      out.pairs.push_back(std::move(p));
    }
  return out;
}

}  // namespace coact::compare
