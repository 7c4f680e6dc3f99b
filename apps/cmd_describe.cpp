// coact describe FILE: what a coact file is and what it holds; --check also scans the data.
#include <cmath>
#include <filesystem>
#include <iostream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "commands.h"

namespace coact::app {
namespace {

struct Row {
  std::string name, value;
};

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

void describe_other(const std::string& path, const std::string& kind, std::vector<Row>& rows, JsonWriter& json) {
  const io::File file = io::File::open(path);
  rows.push_back({"kind", kind.empty() ? "not a coact file (no coact_kind attribute)" : kind});
  json.field("kind", kind);
  if (kind == "graph") describe_graph_analytics(file, rows, json);
  if (kind == "compare") {
    const auto attrs = file.attributes();
    const std::string match = attrs.get_string_or("match", "decoder");
    rows.push_back({"matching", str(attrs.get_string_or("method", "exact"), " assignment on ",
                                    match == "activations" ? "1 - activation correlation" : "1 - decoder cosine")});
    json.field("match", match);
  }
  describe_common(file, rows, json);
}

}  // namespace

int run_describe(const Invocation& invocation) {
  CommandLine cli("describe", "FILE [--check] [--json]",
                  "Says what a coact file is and what it holds: kind, shapes, dtypes, source, provenance and\n"
                  "statistics. FILE may also be an activation store given as a directory of shards or a glob.\n"
                  "--check also scans the data and validates it (NaN/Inf reported with their row index).");
  cli.options().add_options()
      ("file", po::value<std::string>()->value_name("FILE"), "the file (or store) to describe")
      ("check", po::bool_switch(), "scan the data and validate it")
      ("json", po::bool_switch(), "print JSON instead of text");
  cli.positional("file", 1);
  if (!cli.parse(invocation)) return 0;
  const std::string spec = cli.require("file");

  std::vector<Row> rows;
  JsonWriter json;
  json.begin_object().field("file", spec);
  std::error_code ec;
  const bool plain_file = std::filesystem::is_regular_file(spec, ec);
  std::string kind = "activations";
  if (plain_file) kind = io::file_kind(io::File::open(spec));
  // A foreign file (no coact_kind) is read as an activation store when it has /activations,
  // or when asked to --check it (the store then says what is missing).
  const bool foreign = plain_file && kind.empty();
  if (kind == "activations" || (foreign && (cli.get<bool>("check") || io::File::open(spec).has("/activations"))))
    describe_activations(spec, cli.get<bool>("check"), rows, json);
  else if (cli.get<bool>("check"))
    throw UsageError(str(spec, ": --check is not available for ", kind.empty() ? "non-coact" : kind, " files yet"));
  else
    describe_other(spec, kind, rows, json);
  json.end_object();

  if (!invocation.mpi.is_root()) return 0;
  if (cli.get<bool>("json")) {
    std::cout << json.str() << std::endl;
    return 0;
  }
  std::size_t width = 0;
  for (const auto& r : rows) width = std::max(width, r.name.size());
  std::ostringstream out;
  out << spec << "\n";
  for (const auto& r : rows) out << "  " << r.name << std::string(width + 2 - r.name.size(), ' ') << r.value << "\n";
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
