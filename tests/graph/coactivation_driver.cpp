// Test driver: runs the co-activation accumulator over the dense activations in IN (/z [N, n],
// batches of B rows) and writes the edges to OUT (/i, /j, /count, /weight_sum) plus the
// per-feature counts, for the NumPy reference in coactivation_reference_test.py.
//
//   coactivation_driver IN OUT B K positive|seed
#include <cstdlib>
#include <iostream>

#include "coact/graph/coactivation.h"
#include "coact/io/h5.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: coactivation_driver IN OUT B K positive|seed\n";
    return 2;
  }
  using namespace coact;
  const io::File in = io::File::open(argv[1]);
  const io::Dataset z = in.dataset("/z");
  const auto shape = z.shape();
  const std::int64_t rows = shape[0], n = shape[1], batch_rows = std::atoll(argv[3]);
  graph::CoactivationAccumulator acc(n, std::atoi(argv[4]), graph::parse_zero_policy(argv[5]));
  std::vector<float> block(static_cast<std::size_t>(batch_rows * n));
  for (std::int64_t first = 0; first + batch_rows <= rows; first += batch_rows) {
    z.read<float>(block, {first, 0}, {batch_rows, n});
    acc.add_batch(graph::sparse_from_dense(block, batch_rows, n));
  }
  const graph::EdgeList& e = acc.edges();
  std::vector<std::int64_t> i(e.size()), j(e.size());
  for (std::size_t p = 0; p < e.size(); ++p) {
    i[p] = static_cast<std::int64_t>(e.key[p] / static_cast<std::uint64_t>(n));
    j[p] = static_cast<std::int64_t>(e.key[p] % static_cast<std::uint64_t>(n));
  }
  io::File out = io::File::create(argv[2]);
  const auto m = static_cast<std::int64_t>(e.size());
  out.write_dataset<std::int64_t>("/i", i, {m});
  out.write_dataset<std::int64_t>("/j", j, {m});
  out.write_dataset<std::int64_t>("/count", e.count, {m});
  out.write_dataset<double>("/weight_sum", e.weight_sum, {m});
  out.write_dataset<std::int64_t>("/active", acc.active_counts(), {n});
  out.write_dataset<std::int64_t>("/topk", acc.topk_counts(), {n});
  return 0;
}
