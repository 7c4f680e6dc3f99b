// Test driver for check_against_scipy.py: reads the cases the script wrote (HDF5), runs
// coact's solvers and statistics on them, and writes the answers for the script to compare
// with scipy. Inputs (each a group of datasets named by case):
//   /lap/<case> float32 n1×n2 cost;  /js_int_a,/js_int_b/<case> int64 values;
//   /js_real_a,/js_real_b,/js_real_edges/<case> float64;  /corr_x,/corr_y/<case> float64
// Outputs: /lap (auto method), /lap_dense, /lap_sparse, /greedy /<case>: int32 column_of_row (attribute
// "cost", and "certified" for the exact ones); /js_int_p,/js_int_q,/js_real_p,/js_real_q
// densities and /js_int,/js_real [distance]; /ranks_x, /spearman, /pearson.
// Activation correlation: /act_a,/act_b/<case> float32 rows×n1, rows×n2 (non-negative; attribute
// "batch_rows" on act_a) -> /act_corr/<case> float32 n1×n2, accumulated batch by batch.
#include <algorithm>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "coact/compare/activation_correlation.h"
#include "coact/compare/assignment.h"
#include "coact/compare/correlation.h"
#include "coact/compare/distribution.h"
#include "coact/compare/greedy_assignment.h"
#include "coact/core/errors.h"
#include "coact/io/h5.h"

namespace {

using namespace coact;

void write_matching(io::File& out, const std::string& name, const compare::Assignment& a,
                    MatrixView<const float> cost, bool exact) {
  io::Dataset d = out.write_dataset<std::int32_t>(name, a.column_of_row, {static_cast<std::int64_t>(a.column_of_row.size())});
  d.attributes().set("cost", a.cost);
  if (exact) {
    // Tolerance per reduced cost: rounding of double sums of float32 costs stays far below it.
    const compare::OptimalityCertificate c = compare::verify_optimality(cost, a, 1e-9);
    d.attributes().set("certified", static_cast<std::int64_t>(c.optimal ? 1 : 0));
    if (!c.optimal) std::fprintf(stderr, "%s: not certified: %s\n", name.c_str(), c.problem.c_str());
  }
}

void write_doubles(io::File& out, const std::string& name, const std::vector<double>& values) {
  out.write_dataset<double>(name, values, {static_cast<std::int64_t>(values.size())});
}

int run(const std::string& input, const std::string& output) {
  io::File in = io::File::open(input);
  io::File out = io::File::create(output);
  for (const std::string& name : in.list("/lap")) {
    const io::Dataset d = in.dataset("/lap/" + name);
    const std::vector<float> cost = d.read_all<float>();
    const MatrixView<const float> view(cost.data(), d.shape()[0], d.shape()[1]);
    write_matching(out, "/lap/" + name, compare::solve_assignment(view), view, true);
    compare::AssignmentOptions dense, sparse;
    dense.method = compare::AssignmentMethod::DenseShortestPath;
    sparse.method = compare::AssignmentMethod::SparsePricing;
    write_matching(out, "/lap_dense/" + name, compare::solve_assignment(view, dense), view, true);
    write_matching(out, "/lap_sparse/" + name, compare::solve_assignment(view, sparse), view, true);
    write_matching(out, "/greedy/" + name, compare::greedy_assignment(view), view, false);
  }
  for (const std::string& name : in.list("/js_int_a")) {
    const auto a = in.dataset("/js_int_a/" + name).read_all<std::int64_t>();
    const auto b = in.dataset("/js_int_b/" + name).read_all<std::int64_t>();
    const compare::PairedDensities densities = compare::integer_densities(a, b);
    write_doubles(out, "/js_int_p/" + name, densities.p);
    write_doubles(out, "/js_int_q/" + name, densities.q);
    write_doubles(out, "/js_int/" + name, {compare::jensen_shannon_distance(densities.p, densities.q)});
  }
  for (const std::string& name : in.list("/js_real_a")) {
    const auto a = in.dataset("/js_real_a/" + name).read_all<double>();
    const auto b = in.dataset("/js_real_b/" + name).read_all<double>();
    const auto edges = in.dataset("/js_real_edges/" + name).read_all<double>();
    const compare::PairedDensities densities = compare::real_densities(a, b, edges);
    write_doubles(out, "/js_real_p/" + name, densities.p);
    write_doubles(out, "/js_real_q/" + name, densities.q);
    write_doubles(out, "/js_real/" + name, {compare::jensen_shannon_distance(densities.p, densities.q)});
    write_doubles(out, "/shared_edges/" + name, compare::shared_bin_edges(a, b, 50));
  }
  for (const std::string& name : in.list("/corr_x")) {
    const auto x = in.dataset("/corr_x/" + name).read_all<double>();
    const auto y = in.dataset("/corr_y/" + name).read_all<double>();
    write_doubles(out, "/ranks_x/" + name, compare::average_ranks(x));
    write_doubles(out, "/spearman/" + name, {compare::spearman_correlation(x, y)});
    write_doubles(out, "/pearson/" + name, {compare::pearson_correlation(x, y)});
  }
  for (const std::string& name : in.list("/act_a")) {
    const io::Dataset da = in.dataset("/act_a/" + name), db = in.dataset("/act_b/" + name);
    const std::vector<float> a = da.read_all<float>(), b = db.read_all<float>();
    const std::int64_t rows = da.shape()[0], n1 = da.shape()[1], n2 = db.shape()[1];
    const std::int64_t batch = da.attributes().get_int("batch_rows");
    compare::CorrelationAccumulator accumulator(n1, n2);
    for (std::int64_t first = 0; first < rows; first += batch) {
      const std::int64_t count = std::min(batch, rows - first);
      const graph::SparseBatch sa = graph::sparse_from_dense(std::span<const float>(a).subspan(static_cast<std::size_t>(first * n1), static_cast<std::size_t>(count * n1)), count, n1);
      const graph::SparseBatch sb = graph::sparse_from_dense(std::span<const float>(b).subspan(static_cast<std::size_t>(first * n2), static_cast<std::size_t>(count * n2)), count, n2);
      accumulator.add_batch(sa.view(), sb.view());
    }
    out.write_dataset<float>("/act_corr/" + name, accumulator.correlation(), {n1, n2});
  }
  out.close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: compare_check_driver CASES.h5 RESULTS.h5\n");
    return 2;
  }
  try {
    return run(argv[1], argv[2]);
  } catch (const coact::Error& e) {
    std::fprintf(stderr, "compare_check_driver: %s\n", e.what());
    return 1;
  }
}
