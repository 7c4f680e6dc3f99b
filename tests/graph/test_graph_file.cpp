// graph_<seed>.h5: round trip through write_graph_file / read_graph_file, node-data checks, and
// every kind of bad file the reader must refuse with one line naming file and object.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <variant>

#include "coact/core/errors.h"
#include "coact/graph/graph_file.h"
#include "coact/io/h5.h"

namespace coact::graph {
namespace {

namespace fs = std::filesystem;

class GraphFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("coact_graph_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

// Triangle 0-1-2, tail 2-3, edge 4-5, node 6 isolated.
CsrGraph small_graph() {
  const std::vector<EdgeSum> edges{{0, 1, 1, 0.5}, {2, 0, 2, 0.5}, {1, 2, 1, 1.0}, {2, 3, 5, 2.5}, {4, 5, 1, 0.125}};
  return CsrGraph::from_edge_sums(7, edges);
}

const std::vector<double> kFrequency{0.5, 0.25, 0.75, 0.125, 0.0, 0.0625, 0.01};
const std::vector<std::int64_t> kTopk{4, 2, 9, 1, 0, 1, 0};

GraphAttributes attributes() {
  GraphAttributes a;
  a.k = 4;
  a.batch_tokens = 16384;
  a.num_batches = 50;
  a.zero_policy = "positive";
  a.tokens_seen = 819200;
  a.sae_file = "sae_52.h5";
  a.sae_hash = "sha256:0123abcd";
  return a;
}

TEST_F(GraphFileTest, RoundTripKeepsEverything) {
  const CsrGraph g = small_graph();
  const std::string file = path("graph_52.h5");
  io::Provenance provenance;
  provenance.command_line = "coact graph --sae sae_52.h5";
  provenance.inputs["sae"] = "sae_52.h5 sha256:0123abcd";
  write_graph_file(file, false, g, kFrequency, kTopk, attributes(), provenance);

  const GraphFile read = read_graph_file(file);
  EXPECT_EQ(read.path, file);
  EXPECT_EQ(read.graph.indptr(), g.indptr());
  EXPECT_EQ(read.graph.indices(), g.indices());
  EXPECT_EQ(read.graph.counts(), g.counts());
  EXPECT_EQ(read.graph.weights(), g.weights());
  EXPECT_EQ(read.attributes.k, 4);
  EXPECT_EQ(read.attributes.batch_tokens, 16384);
  EXPECT_EQ(read.attributes.num_batches, 50);
  EXPECT_EQ(read.attributes.zero_policy, "positive");
  EXPECT_EQ(read.attributes.tokens_seen, 819200);
  EXPECT_EQ(read.attributes.sae_file, "sae_52.h5");
  EXPECT_EQ(read.attributes.sae_hash, "sha256:0123abcd");

  const NodeData& nodes = read.nodes;
  EXPECT_EQ(nodes.frequency, kFrequency);
  EXPECT_EQ(nodes.topk_count, kTopk);
  EXPECT_EQ(nodes.degree, (std::vector<std::int64_t>{2, 2, 3, 1, 1, 1, 0}));
  EXPECT_EQ(nodes.component, (std::vector<std::int64_t>{0, 0, 0, 0, 1, 1, 2}));
  EXPECT_EQ(nodes.clustering, (std::vector<double>{1.0, 1.0, 2.0 / 6.0, 0.0, 0.0, 0.0, 0.0}));
  // weights: 0-1 0.5, 0-2 0.25, 1-2 1.0, 2-3 0.5, 4-5 0.125
  EXPECT_EQ(nodes.strength, (std::vector<double>{0.375, 0.75, (0.25 + 1.0 + 0.5) / 3, 0.5, 0.125, 0.125, 0.0}));
  EXPECT_EQ(nodes.mean_neighbor_degree, (std::vector<double>{2.5, 2.5, 5.0 / 3, 3.0, 1.0, 1.0, 0.0}));
  EXPECT_NO_THROW(verify_node_data(read, compute_node_data(read.graph, nodes.frequency, nodes.topk_count)));

  const io::File h5 = io::File::open(file);
  const auto root = h5.attributes();
  EXPECT_EQ(root.get_string("coact_kind"), "graph");
  EXPECT_EQ(root.get_int("n_nodes"), 7);
  EXPECT_EQ(root.get_int("n_edges"), 5);
  EXPECT_EQ(root.get_string("command_line"), "coact graph --sae sae_52.h5");
  EXPECT_EQ(root.get_string("input_sae"), "sae_52.h5 sha256:0123abcd");
}

TEST_F(GraphFileTest, GraphsWithoutEdgesOrNodesRoundTrip) {
  const std::string file = path("isolated.h5");
  write_graph_file(file, false, CsrGraph::from_edge_sums(3, {}), std::vector<double>{0, 0.5, 1},
                   std::vector<std::int64_t>{0, 0, 0}, attributes());
  const GraphFile read = read_graph_file(file);
  EXPECT_EQ(read.graph.num_nodes(), 3);
  EXPECT_EQ(read.graph.num_edges(), 0);
  EXPECT_EQ(read.nodes.component, (std::vector<std::int64_t>{0, 1, 2}));

  const std::string empty = path("empty.h5");
  write_graph_file(empty, false, CsrGraph(), {}, {}, attributes());
  EXPECT_EQ(read_graph_file(empty).graph.num_nodes(), 0);
}

TEST_F(GraphFileTest, RefusesToOverwriteWithoutForceAndChecksInputLengths) {
  const std::string file = path("graph.h5");
  write_graph_file(file, false, small_graph(), kFrequency, kTopk, attributes());
  EXPECT_THROW(write_graph_file(file, false, small_graph(), kFrequency, kTopk, attributes()), OutputExistsError);
  EXPECT_NO_THROW(write_graph_file(file, true, small_graph(), kFrequency, kTopk, attributes()));
  const std::vector<double> short_frequency{0.1};
  EXPECT_THROW(write_graph_file(path("other.h5"), false, small_graph(), short_frequency, kTopk, attributes()),
               InputError);
  EXPECT_FALSE(fs::exists(path("other.h5")));
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << "leftover temporary";
}

TEST_F(GraphFileTest, VerifyNodeDataNamesTheFirstDifference) {
  const std::string file = path("graph.h5");
  write_graph_file(file, false, small_graph(), kFrequency, kTopk, attributes());
  GraphFile read = read_graph_file(file);
  const NodeData recomputed = compute_node_data(read.graph, read.nodes.frequency, read.nodes.topk_count);
  const auto error = [&]() -> std::string {
    try {
      verify_node_data(read, recomputed);
    } catch (const InputError& e) {
      return e.what();
    }
    return "(no InputError)";
  };
  read.nodes.degree[3] = 5;
  EXPECT_NE(error().find(file + ":/nodes/degree: node 3 holds 5 but the CSR gives 1"), std::string::npos) << error();
  read.nodes.degree[3] = 1;
  read.nodes.component[6] = 1;
  EXPECT_NE(error().find(":/nodes/component: node 6"), std::string::npos) << error();
  read.nodes.component[6] = 2;
  read.nodes.clustering[2] *= 1.0 + 1e-9;
  EXPECT_NE(error().find(":/nodes/clustering: node 2"), std::string::npos) << error();
  read.nodes.clustering[2] = recomputed.clustering[2] * (1.0 + 1e-14);  // within tolerance
  EXPECT_EQ(error(), "(no InputError)");
  read.nodes.strength[0] = 0.0;
  EXPECT_NE(error().find(":/nodes/strength: node 0"), std::string::npos) << error();
  read.nodes.strength[0] = recomputed.strength[0];
  read.nodes.mean_neighbor_degree[6] = 1.0;
  EXPECT_NE(error().find(":/nodes/mean_neighbor_degree: node 6"), std::string::npos) << error();
}

// ---- bad files -----------------------------------------------------------------------------

// Every object of a graph file as plain data, so a test can break one thing and write it.
struct RawFile {
  using Data =
      std::variant<std::vector<std::int64_t>, std::vector<std::int32_t>, std::vector<double>, std::vector<float>>;
  using Attribute = std::variant<std::int64_t, double, std::string>;
  std::map<std::string, Data> datasets;
  std::map<std::string, io::Shape> shapes;  // overrides the 1-D default
  std::map<std::string, Attribute> attributes;

  void write(const std::string& path) const {
    io::File file = io::File::create(path);
    for (const auto& [name, data] : datasets) {
      std::visit(
          [&, &dataset_name = name](const auto& values) {
            using T = typename std::decay_t<decltype(values)>::value_type;
            const auto shape = shapes.count(dataset_name) ? shapes.at(dataset_name)
                                                          : io::Shape{static_cast<std::int64_t>(values.size())};
            file.write_dataset<T>(dataset_name, values, shape);
          },
          data);
    }
    auto root = file.attributes();
    for (const auto& [name, value] : attributes)
      std::visit([&, &attribute_name = name](const auto& v) { root.set(attribute_name, v); }, value);
  }
};

// The valid file of small_graph() as raw data.
RawFile valid_raw() {
  const CsrGraph g = small_graph();
  const NodeData nodes = compute_node_data(g, kFrequency, kTopk);
  RawFile raw;
  raw.datasets["/csr/indptr"] = g.indptr();
  raw.datasets["/csr/indices"] = g.indices();
  raw.datasets["/csr/count"] = g.counts();
  raw.datasets["/csr/weight"] = g.weights();
  raw.datasets["/nodes/frequency"] = nodes.frequency;
  raw.datasets["/nodes/topk_count"] = nodes.topk_count;
  raw.datasets["/nodes/degree"] = nodes.degree;
  raw.datasets["/nodes/strength"] = nodes.strength;
  raw.datasets["/nodes/clustering"] = nodes.clustering;
  raw.datasets["/nodes/component"] = nodes.component;
  raw.datasets["/nodes/mean_neighbor_degree"] = nodes.mean_neighbor_degree;
  raw.attributes = {{"coact_kind", std::string("graph")},
                    {"format_version", std::int64_t{1}},
                    {"n_nodes", std::int64_t{7}},
                    {"n_edges", std::int64_t{5}},
                    {"k", std::int64_t{4}},
                    {"batch_tokens", std::int64_t{16384}},
                    {"num_batches", std::int64_t{50}},
                    {"zero_policy", std::string("positive")},
                    {"tokens_seen", std::int64_t{819200}},
                    {"sae_file", std::string("sae_52.h5")},
                    {"sae_hash", std::string("sha256:00")}};
  return raw;
}

template <class T>
std::vector<T>& data(RawFile& raw, const std::string& name) {
  return std::get<std::vector<T>>(raw.datasets.at(name));
}

struct BadCase {
  const char* name;
  std::function<void(RawFile&)> breaks;
  const char* message;  // expected after "<file>:"
};

TEST_F(GraphFileTest, ValidRawFileReads) {
  const std::string file = path("raw.h5");
  valid_raw().write(file);
  EXPECT_NO_THROW(read_graph_file(file));
}

TEST_F(GraphFileTest, RefusesEveryKindOfBadFile) {
  using I64 = std::int64_t;
  const std::vector<BadCase> cases = {
      {"no kind", [](RawFile& r) { r.attributes.erase("coact_kind"); }, " not a coact graph file"},
      {"other kind", [](RawFile& r) { r.attributes["coact_kind"] = std::string("sae"); },
       " is a coact sae file, expected a graph file"},
      {"no n_nodes", [](RawFile& r) { r.attributes.erase("n_nodes"); }, "/: missing attribute 'n_nodes'"},
      {"no sae_hash", [](RawFile& r) { r.attributes.erase("sae_hash"); }, "/: missing attribute 'sae_hash'"},
      {"zero_policy not a string", [](RawFile& r) { r.attributes["zero_policy"] = I64{1}; },
       "/: attribute 'zero_policy' is not a string"},
      {"k not an integer", [](RawFile& r) { r.attributes["k"] = 4.5; }, "/: attribute 'k' is not an integer"},
      {"negative n_nodes", [](RawFile& r) { r.attributes["n_nodes"] = I64{-1}; }, "/: attribute 'n_nodes' is -1"},
      {"n_nodes mismatch", [](RawFile& r) { r.attributes["n_nodes"] = I64{8}; },
       "/csr/indptr: shape [8], expected [9]"},
      {"n_edges mismatch", [](RawFile& r) { r.attributes["n_edges"] = I64{4}; },
       "/csr/indices: 10 entries, expected 2 n_edges = 8"},
      {"missing weight", [](RawFile& r) { r.datasets.erase("/csr/weight"); }, " no dataset '/csr/weight'"},
      {"missing clustering", [](RawFile& r) { r.datasets.erase("/nodes/clustering"); },
       " no dataset '/nodes/clustering'"},
      {"indices int64",
       [](RawFile& r) {
         const auto& idx = data<std::int32_t>(r, "/csr/indices");
         r.datasets["/csr/indices"] = std::vector<I64>(idx.begin(), idx.end());
       },
       "/csr/indices: dtype int64, expected int32"},
      {"weight float32",
       [](RawFile& r) {
         const auto& w = data<double>(r, "/csr/weight");
         r.datasets["/csr/weight"] = std::vector<float>(w.begin(), w.end());
       },
       "/csr/weight: dtype float32, expected float64"},
      {"count 2-D",
       [](RawFile& r) {
         r.shapes["/csr/count"] = {5, 2};
       },
       "/csr/count: shape [5, 2], expected [10]"},
      {"indptr not from 0", [](RawFile& r) { data<I64>(r, "/csr/indptr")[0] = 1; }, "/csr/indptr: starts at 1"},
      {"indptr decreasing", [](RawFile& r) { data<I64>(r, "/csr/indptr")[2] = 1; },
       "/csr/indptr: decreases at entry 2 (1 after 2)"},
      {"index out of range", [](RawFile& r) { data<std::int32_t>(r, "/csr/indices")[9] = 7; },
       "/csr/indices: entry 9 (row 5) is 7, outside [0, 7)"},
      {"self loop", [](RawFile& r) { data<std::int32_t>(r, "/csr/indices")[0] = 0; },
       "/csr/indices: row 0 has a self loop"},
      {"unsorted row",
       [](RawFile& r) {
         std::swap(data<std::int32_t>(r, "/csr/indices")[0], data<std::int32_t>(r, "/csr/indices")[1]);
       },
       "/csr/indices: row 0 is not strictly ascending"},
      {"asymmetric", [](RawFile& r) { data<std::int32_t>(r, "/csr/indices")[1] = 3; },
       "/csr/indices: edge 0-3 is stored in row 0 but not in row 3"},
      {"count asymmetric", [](RawFile& r) { data<I64>(r, "/csr/count")[0] = 9; },
       "/csr/count: edge 0-1 has count 9 in row 0 but 1 in row 1"},
      {"weight asymmetric", [](RawFile& r) { data<double>(r, "/csr/weight")[0] = 0.0; },
       "/csr/weight: edge 0-1 has weight 0 in row 0 but 0.5 in row 1"},
      {"zero count", [](RawFile& r) { data<I64>(r, "/csr/count")[0] = 0; }, "/csr/count: entry 0 (edge 0-1) is 0"},
      {"nan weight", [](RawFile& r) { data<double>(r, "/csr/weight")[3] = std::nan(""); },
       "/csr/weight: entry 3 (edge 1-2) is nan"},
      {"frequency above 1", [](RawFile& r) { data<double>(r, "/nodes/frequency")[2] = 1.5; },
       "/nodes/frequency: node 2 has frequency 1.5, expected a value in [0, 1]"},
      {"frequency nan", [](RawFile& r) { data<double>(r, "/nodes/frequency")[0] = std::nan(""); },
       "/nodes/frequency: node 0 has frequency nan"},
      {"negative topk", [](RawFile& r) { data<I64>(r, "/nodes/topk_count")[1] = -2; },
       "/nodes/topk_count: node 1 has count -2"},
      {"short degree", [](RawFile& r) { data<I64>(r, "/nodes/degree").pop_back(); },
       "/nodes/degree: shape [6], expected [7]"},
      {"component float", [](RawFile& r) { r.datasets["/nodes/component"] = std::vector<double>(7, 0.0); },
       "/nodes/component: dtype float64, expected int64"},
  };
  for (const auto& c : cases) {
    const std::string file = path(std::string(c.name) + ".h5");
    RawFile raw = valid_raw();
    c.breaks(raw);
    raw.write(file);
    std::string message = "(no InputError)";
    try {
      read_graph_file(file);
    } catch (const InputError& e) {
      message = e.what();
    }
    EXPECT_EQ(message.rfind(file + ":", 0), 0u) << c.name << ": message does not start with the file: " << message;
    EXPECT_NE(message.find(c.message), std::string::npos) << c.name << ": got " << message << "\nwanted " << c.message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << c.name;
  }
}

TEST_F(GraphFileTest, RefusesMissingAndNonHdf5Files) {
  EXPECT_THROW(read_graph_file(path("missing.h5")), InputError);
  const std::string text = path("text.h5");
  std::ofstream(text) << "not hdf5\n";
  try {
    read_graph_file(text);
    FAIL() << "no error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(text + ": not an HDF5 file"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace coact::graph
