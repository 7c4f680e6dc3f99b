// Test driver for blocked_against_scipy.py, run under mpiexec: reads the cases the script
// wrote (HDF5: /a/<case> n1×d and /b/<case> n2×d float32 decoder rows; attributes
// row_candidates, column_candidates, block_rows, block_columns on /a/<case>), matches each with
// blocked_cosine_matching on every rank (each rank reading only its share of the rows), and the
// root writes /matching/<case> int32 with attributes cost, certified, pricing_rounds,
// full_passes.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/blocked_matching.h"
#include "coact/core/errors.h"
#include "coact/dist/mpi.h"
#include "coact/io/h5.h"

namespace {

using namespace coact;

std::vector<float> read_share(const io::Dataset& d, const compare::RowShare& share, std::int64_t width) {
  std::vector<float> rows(static_cast<std::size_t>(share.count() * width));
  if (share.count() > 0) d.read<float>(rows, {share.begin, 0}, {share.count(), width});
  return rows;
}

int run(int argc, char** argv) {
  dist::MpiRuntime mpi(&argc, &argv);
  if (argc != 3) throw UsageError("usage: blocked_check_driver CASES.h5 OUT.h5");
  dist::MpiComm& world = mpi.world();
  const auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);
  const io::File in = io::File::open(argv[1]);
  std::optional<io::File> out;
  if (world.is_root()) out.emplace(io::File::create(argv[2]));
  for (const std::string& name : in.list("/a")) {
    const io::Dataset a = in.dataset("/a/" + name), b = in.dataset("/b/" + name);
    const std::int64_t n1 = a.shape()[0], n2 = b.shape()[0], width = a.shape()[1];
    const compare::RowShare a_share = compare::row_share(n1, world.rank(), world.size());
    const compare::RowShare b_share = compare::row_share(n2, world.rank(), world.size());
    const std::vector<float> a_rows = read_share(a, a_share, width), b_rows = read_share(b, b_share, width);
    const io::Attributes attributes = a.attributes();
    compare::BlockedMatchingOptions options;
    options.row_candidates = static_cast<int>(attributes.get_int("row_candidates"));
    options.column_candidates = static_cast<int>(attributes.get_int("column_candidates"));
    options.block_rows = attributes.get_int("block_rows");
    options.block_columns = attributes.get_int("block_columns");
    options.label = name;
    const compare::BlockedMatching result = compare::blocked_cosine_matching(
        *cpu, world, {a_rows.data(), a_share.count(), width}, n1, {b_rows.data(), b_share.count(), width}, n2, options);
    if (!world.is_root()) continue;
    io::Dataset d = out->write_dataset<std::int32_t>("/matching/" + name, result.assignment.column_of_row, {n1});
    auto set = d.attributes();
    set.set("cost", result.assignment.cost);
    set.set("certified", static_cast<std::int64_t>(result.certificate.optimal ? 1 : 0));
    set.set("pricing_rounds", static_cast<std::int64_t>(result.stats.pricing_rounds));
    set.set("full_passes", result.stats.full_pass_equivalents);
    if (!result.certificate.optimal) std::fprintf(stderr, "%s: not certified: %s\n", name.c_str(), result.certificate.problem.c_str());
  }
  if (out) out->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const coact::Error& e) {
    std::fprintf(stderr, "blocked_check_driver: %s\n", e.what());
    return 1;
  }
}
