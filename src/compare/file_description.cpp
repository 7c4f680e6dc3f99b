#include "coact/compare/file_description.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "coact/compare/comparison_check.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/graph/graph_check.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/sae/checkpoint_check.h"

namespace coact::compare {
namespace {

using Row = FileDescription::Row;

// Provenance and dataset listing: every coact file has these.
void describe_common(const io::File& file, std::vector<Row>& rows, JsonWriter& json) {
  const auto attrs = file.attributes();
  for (const char* name : {"producer", "created", "command_line"}) {
    const std::string value = attrs.get_string_or(name, "");
    if (!value.empty()) rows.push_back({name, value});
    json.field(name, value);
  }
  for (const auto& attr : attrs.names())
    if (attr.rfind("input_", 0) == 0) {
      rows.push_back({attr, attrs.get_string(attr)});
      json.field(attr, attrs.get_string(attr));
    }
  json.key("datasets").begin_object();
  rows.push_back({"datasets", ""});
  for (const auto& name : file.all_datasets()) {
    const io::Dataset d = file.dataset(name);
    const std::string text = str(io::shape_string(d.shape()), " ", io::to_string(d.element_type()));
    rows.push_back({"  " + name, text});
    json.key(name).begin_object();
    json.key("shape").begin_array();
    for (auto e : d.shape()) json.value(e);
    json.end_array();
    json.field("dtype", io::to_string(d.element_type())).end_object();
  }
  json.end_object();
}

void describe_activations(const std::string& spec, bool check, std::vector<Row>& rows, JsonWriter& json) {
  const io::ActivationStore store = io::ActivationStore::open(spec);
  const auto& m = store.metadata();
  std::string dtypes;
  for (auto t : store.shard_types()) dtypes += dtypes.find(io::to_string(t)) == std::string::npos ? std::string(dtypes.empty() ? "" : ", ") + io::to_string(t) : "";
  rows.push_back({"kind", "activations"});
  if (store.files().size() > 1) rows.push_back({"shards", std::to_string(store.files().size())});
  rows.push_back({"rows", with_commas(m.rows)});
  rows.push_back({"d", std::to_string(m.d)});
  rows.push_back({"dtype", dtypes + (store.memory_mapped() ? " (memory-mapped reads)" : " (HDF5 reads: filtered layout)")});
  rows.push_back({"source", m.source});
  rows.push_back({"sequence length", m.sequence_length > 0 ? std::to_string(m.sequence_length) : "-"});
  rows.push_back({"tokens, positions", str(m.has_tokens ? "yes" : "no", ", ", m.has_positions ? "yes" : "no")});
  json.field("kind", "activations").field("rows", m.rows).field("d", m.d).field("dtype", dtypes);
  json.field("source", m.source).field("sequence_length", m.sequence_length);
  json.field("shards", static_cast<std::int64_t>(store.files().size()));
  json.field("has_tokens", m.has_tokens).field("has_positions", m.has_positions);
  if (m.normalisation) {
    double mean_norm_sq = 0;
    for (double v : m.normalisation->mean) mean_norm_sq += v * v;
    rows.push_back({"normalisation", str("mean row norm ", m.normalisation->mean_norm, ", |mean| ", std::sqrt(mean_norm_sq),
                                         " over ", with_commas(m.normalisation->rows), " rows")});
    json.key("normalisation").begin_object().field("rows", m.normalisation->rows).field("mean_norm", m.normalisation->mean_norm);
    json.field("mean_vector_norm", std::sqrt(mean_norm_sq)).end_object();
  } else {
    rows.push_back({"normalisation", "no statistics"});
  }
  const io::File first = io::File::open(store.files().front());
  if (first.has("/ground_truth/directions")) {
    const auto truth = first.group_attributes("/ground_truth");
    const std::int64_t features = truth.get_int("features");
    const double l0 = truth.get_double("expected_l0");
    const std::int64_t code_rows = first.has("/ground_truth/codes") ? first.dataset("/ground_truth/codes").shape()[0] : 0;
    rows.push_back({"ground truth", str(features, " features, expected L0 ", l0, ", codes for ", with_commas(code_rows), " rows")});
    json.key("ground_truth").begin_object().field("features", features).field("expected_l0", l0).field("code_rows", code_rows).end_object();
  }
  describe_common(first, rows, json);

  if (check) {
    // Scan every row: non-finite values are reported with file and row by the store.
    Stopwatch clock;
    const std::int64_t block = std::max<std::int64_t>(1, (std::int64_t{1} << 24) / std::max<std::int64_t>(1, m.d));
    std::vector<float> buffer(static_cast<std::size_t>(block * m.d));
    Progress progress("check", m.rows, "rows");
    for (std::int64_t row = 0; row < m.rows; row += block) {
      const std::int64_t count = std::min(block, m.rows - row);
      store.read_rows(row, count, buffer.data());
      progress.advance(count);
    }
    progress.finish();
    rows.push_back({"check", str("ok: ", with_commas(m.rows), " rows scanned in ", human_duration(clock.seconds()),
                                 ", no NaN/Inf, shapes and dtypes valid")});
    json.field("check", "ok");
  }
}

// Graph files: the analytics datasets `coact communities` / `coact centrality` added, each
// with the settings and results stored as its attributes (docs/formats.md, "graph_<seed>.h5").
void describe_graph_analytics(const io::File& file, std::vector<Row>& rows, JsonWriter& json) {
  json.key("analytics").begin_object();
  for (const char* name : {"community_label_propagation", "community_louvain", "core_number", "pagerank", "betweenness"}) {
    const std::string path = str("/nodes/", name);
    if (!file.has(path)) continue;
    const io::Dataset dataset = file.dataset(path);  // must outlive its attributes' handle
    const auto attrs = dataset.attributes();
    std::ostringstream text;
    json.key(name).begin_object();
    for (const auto& key : attrs.names()) {
      if (key == "command_line") continue;
      const io::ElementType type = attrs.type_of(key);
      if (type == io::ElementType::String) {
        text << (text.tellp() > 0 ? ", " : "") << key << " " << attrs.get_string(key);
        json.field(key, attrs.get_string(key));
      } else if (type == io::ElementType::F64) {
        text << (text.tellp() > 0 ? ", " : "") << key << " " << attrs.get_double(key);
        json.field(key, attrs.get_double(key));
      }
    }
    json.end_object();
    rows.push_back({name, text.str()});
  }
  json.end_object();
}

void describe_sae_file(const std::string& path, bool check, std::vector<Row>& rows, JsonWriter& json) {
  const sae::SaeSummary s = sae::describe_sae(path);
  rows.push_back({"kind", "sae"});
  rows.push_back({"shape", str("d_in ", s.d_in, ", n_features ", with_commas(s.n_features))});
  rows.push_back({"recipe", s.recipe});
  rows.push_back({"seed", std::to_string(s.seed)});
  rows.push_back({"training", str(with_commas(s.step), " of ", with_commas(s.total_steps), " steps, ",
                                  s.complete ? "complete" : "incomplete", ", ", s.ranks, " rank(s)",
                                  s.has_optimizer_state ? "" : ", no optimiser state (cannot be resumed)")});
  rows.push_back({"data", str(s.activations.empty() ? "-" : s.activations, ", normalisation ", s.normalisation)});
  if (s.last)
    rows.push_back({"last metrics", str("step ", s.last->step, ": loss ", s.last->loss, ", L0 ", s.last->l0, ", FVU ", s.last->fvu,
                                        ", dead ", s.last->dead_fraction)});
  if (s.ground_truth_mmcs >= 0) rows.push_back({"ground-truth MMCS", str(s.ground_truth_mmcs)});
  json.field("kind", "sae").field("d_in", s.d_in).field("n_features", s.n_features).field("recipe", s.recipe);
  json.field("seed", s.seed).field("step", s.step).field("total_steps", s.total_steps).field("complete", s.complete);
  json.field("ranks", s.ranks).field("optimizer_state", s.has_optimizer_state).field("activations", s.activations);
  json.field("normalisation", s.normalisation).field("metric_rows", s.metric_rows);
  if (s.last)
    json.key("last").begin_object().field("step", s.last->step).field("loss", s.last->loss).field("l0", s.last->l0)
        .field("fvu", s.last->fvu).field("dead_fraction", s.last->dead_fraction).end_object();
  if (check) {
    Stopwatch clock;
    const sae::SaeCheckReport r = sae::check_sae(path);
    rows.push_back({"check", str("ok: ", with_commas(r.parameters), " parameters, ", with_commas(r.optimizer_values),
                                 " optimiser values and ", with_commas(r.metric_rows), " metric rows finite and consistent in ",
                                 human_duration(clock.seconds()))});
    json.field("check", "ok");
  }
}

void describe_graph_file(const std::string& path, bool check, std::vector<Row>& rows, JsonWriter& json) {
  const graph::GraphFileSummary g = graph::describe_graph_file(path);
  rows.push_back({"kind", "graph"});
  rows.push_back({"graph", str(with_commas(g.nodes), " nodes, ", with_commas(g.edges), " edges, ", with_commas(g.isolated_nodes),
                               " isolated")});
  rows.push_back({"built", str("top-", g.attributes.k, ", ", g.attributes.num_batches, " batches of ",
                               with_commas(g.attributes.batch_tokens), " tokens (", with_commas(g.attributes.tokens_seen),
                               " seen), zero policy ", g.attributes.zero_policy)});
  rows.push_back({"sae", g.attributes.sae_file});
  std::string datasets;
  for (const auto& name : g.node_datasets) datasets += (datasets.empty() ? "" : ", ") + name;
  rows.push_back({"node datasets", datasets});
  json.field("kind", "graph").field("nodes", g.nodes).field("edges", g.edges).field("isolated_nodes", g.isolated_nodes);
  json.field("k", g.attributes.k).field("batch_tokens", g.attributes.batch_tokens).field("num_batches", g.attributes.num_batches);
  json.field("zero_policy", g.attributes.zero_policy).field("tokens_seen", g.attributes.tokens_seen).field("sae", g.attributes.sae_file);
  json.key("node_datasets").begin_array();
  for (const auto& name : g.node_datasets) json.value(name);
  json.end_array();
  describe_graph_analytics(io::File::open(path), rows, json);
  if (check) {
    Stopwatch clock;
    const graph::GraphCheckReport r = graph::check_graph_file(path);
    rows.push_back({"check", str("ok: symmetric CSR of ", with_commas(r.edges), " edges, ", with_commas(r.node_values),
                                 " node values valid, in ", human_duration(clock.seconds()))});
    json.field("check", "ok");
  }
}

void describe_comparison_file(const std::string& path, bool check, std::vector<Row>& rows, JsonWriter& json) {
  const ComparisonSummary c = describe_comparison(path);
  const auto attrs = io::File::open(path).attributes();
  const std::string match = attrs.get_string_or("match", "decoder");
  rows.push_back({"kind", "compare"});
  rows.push_back({"matching", str(c.method, " assignment on ", match == "activations" ? "1 - activation correlation" : "1 - decoder cosine")});
  for (const auto& sae : c.file.saes)
    rows.push_back({str("sae seed ", sae.seed), str(sae.path, " (n ", with_commas(sae.n_features), "), graph ", sae.graph_path)});
  for (const auto& p : c.file.pairs) {
    rows.push_back({str("pair ", c.file.saes[static_cast<std::size_t>(p.first)].seed, "-", c.file.saes[static_cast<std::size_t>(p.second)].seed),
                    str("shared ", fixed_with_commas(100 * p.values.shared_fraction, 1), "%")});
  }
  json.field("kind", "compare").field("match", match).field("method", c.method);
  json.field("saes", static_cast<std::int64_t>(c.file.saes.size())).field("pairs", static_cast<std::int64_t>(c.file.pairs.size()));
  if (check) {
    const ComparisonCheckReport r = check_comparison(path);
    rows.push_back({"check", str("ok: ", r.pairs, " pair(s), ", with_commas(r.matched_features), " matched features, ",
                                 with_commas(r.summary_values), " summary values valid")});
    json.field("check", "ok");
  }
}

}  // namespace

FileDescription describe_file(const std::string& spec, bool check) {
  FileDescription d;
  d.spec = spec;
  JsonWriter json;
  json.begin_object().field("file", spec);
  std::error_code ec;
  const bool plain_file = std::filesystem::is_regular_file(spec, ec);
  d.kind = "activations";
  if (plain_file) d.kind = io::file_kind(io::File::open(spec));
  // A foreign file (no coact_kind) is read as an activation store when it has /activations,
  // or when asked to --check it (the store then says what is missing).
  const bool foreign = plain_file && d.kind.empty();
  if (d.kind == "activations" || (foreign && (check || io::File::open(spec).has("/activations")))) {
    describe_activations(spec, check, d.rows, json);
  } else if (d.kind == "sae" || d.kind == "graph" || d.kind == "compare") {
    if (d.kind == "sae") describe_sae_file(spec, check, d.rows, json);
    if (d.kind == "graph") describe_graph_file(spec, check, d.rows, json);
    if (d.kind == "compare") describe_comparison_file(spec, check, d.rows, json);
    describe_common(io::File::open(spec), d.rows, json);
  } else {
    if (check) throw UsageError(str(spec, ": --check knows activations, sae, graph and compare files, not ",
                                    d.kind.empty() ? "non-coact files" : d.kind + " files"));
    d.rows.push_back({"kind", d.kind.empty() ? "not a coact file (no coact_kind attribute)" : d.kind});
    json.field("kind", d.kind);
    describe_common(io::File::open(spec), d.rows, json);
  }
  json.end_object();
  d.json = json.str();
  return d;
}

std::string FileDescription::text() const {
  std::size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.name.size());
  std::ostringstream out;
  out << spec << "\n";
  for (const auto& r : rows) out << "  " << r.name << std::string(width + 2 - r.name.size(), ' ') << r.value << "\n";
  return out.str();
}

}  // namespace coact::compare
