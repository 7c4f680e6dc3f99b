// Test driver for the describe / --check library calls of sae, graph and compare files (run by
// file_checks_test.py, never installed).
//
//   file_check_driver check FILE   the check of FILE's kind; prints "ok <kind>" and the counts
//
// A coact::Error prints its one-line message on stderr and exits 1; any other exception exits 3.
#include <exception>
#include <iostream>
#include <string>

#include "coact/compare/comparison_check.h"
#include "coact/core/errors.h"
#include "coact/graph/graph_check.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/sae/checkpoint_check.h"

namespace {

using namespace coact;

int check(const std::string& path) {
  const std::string kind = io::file_kind(io::File::open(path));
  if (kind == "sae") {
    const sae::SaeSummary s = sae::describe_sae(path);
    const sae::SaeCheckReport r = sae::check_sae(path);
    std::cout << "ok sae d_in " << s.d_in << " n " << s.n_features << " step " << s.step << " parameters "
              << r.parameters << " metric_rows " << r.metric_rows << std::endl;
  } else if (kind == "graph") {
    const graph::GraphFileSummary s = graph::describe_graph_file(path);
    const graph::GraphCheckReport r = graph::check_graph_file(path);
    std::cout << "ok graph nodes " << s.nodes << " edges " << r.edges << " isolated " << s.isolated_nodes << std::endl;
  } else if (kind == "compare") {
    const compare::ComparisonSummary s = compare::describe_comparison(path);
    const compare::ComparisonCheckReport r = compare::check_comparison(path);
    std::cout << "ok compare saes " << s.file.saes.size() << " pairs " << r.pairs << " summary_values "
              << r.summary_values << std::endl;
  } else {
    std::cerr << path << ": kind '" << kind << "' has no check here" << std::endl;
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 3 && std::string(argv[1]) == "check") return check(argv[2]);
    std::cerr << "usage: file_check_driver check FILE" << std::endl;
    return 2;
  } catch (const Error& e) {
    std::cerr << e.what() << std::endl;
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "unexpected: " << e.what() << std::endl;
    return 3;
  }
}
