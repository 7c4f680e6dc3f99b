// Blocked (distributed) feature matching at SAE widths whose cost matrix does not fit: two
// synthetic decoders with planted sharing (synthetic_decoders.h), each rank making only its
// share of the rows, then `coact compare`'s decoder matching (blocked_cosine_matching) end to
// end, timed against the floor: one pass of the cost GEMM (2·n²·d flop) over the same tiles,
// measured in the same run. Reports the shared fraction against the planted one, the recovered
// planted pairs, and each rank's peak memory (RSS).
//
//   mpiexec -n P bench_blocked_matching --n 131072 --d 2048 [--n2 N2] [--shared 0.55] [--seed 1]
//        [--block-rows 1024] [--block-columns 4096] [--row-candidates 32]
//        [--column-candidates 4] [--recheck] [--greedy] [--no-floor] [--dense] [--log debug]
//
// --n2 > n matches the first n rows of W1 into the n2 rows of W2 (rectangular; the planted
// pairs whose W1 row is among the first n stay planted). --dense (1 rank only) also runs the dense path the comparison takes when the matrix fits
// (cosine_cost, solve_assignment, verify_optimality) on the same decoders, for the choice.
// The last line is one JSON object with every figure, for run_blocked_bench.sh.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "blocked/cosine_tiles.h"
#include "coact/backend/backend.h"
#include "coact/compare/assignment.h"
#include "coact/compare/blocked_matching.h"
#include "coact/compare/cosine_cost.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "bench_driver.h"
#include "synthetic_decoders.h"

namespace {

using namespace coact;

struct Arguments {
  std::int64_t n = 16384, d = 2048, n2 = 0;
  double shared = 0.55;
  std::uint64_t seed = 1;
  compare::BlockedMatchingOptions options;
  bool floor = true;
  bool dense = false;
};

Arguments parse(int argc, char** argv) {
  Arguments a;
  for (int k = 1; k < argc; ++k) {
    const std::string flag = argv[k];
    if (flag == "--recheck") { a.options.recheck = true; continue; }
    if (flag == "--greedy") { a.options.greedy = true; continue; }
    if (flag == "--no-floor") { a.floor = false; continue; }
    if (flag == "--dense") { a.dense = true; continue; }
    if (k + 1 >= argc) throw UsageError("missing value after " + flag);
    const std::string value = argv[++k];
    if (flag == "--n") a.n = std::stoll(value);
    else if (flag == "--d") a.d = std::stoll(value);
    else if (flag == "--n2") a.n2 = std::stoll(value);
    else if (flag == "--shared") a.shared = std::stod(value);
    else if (flag == "--seed") a.seed = std::stoull(value);
    else if (flag == "--block-rows") a.options.block_rows = std::stoll(value);
    else if (flag == "--block-columns") a.options.block_columns = std::stoll(value);
    else if (flag == "--row-candidates") a.options.row_candidates = std::stoi(value);
    else if (flag == "--column-candidates") a.options.column_candidates = std::stoi(value);
    else if (flag == "--log") log::configure({.level = log::parse_level(value)});
    else throw UsageError("unknown flag " + flag);
  }
  return a;
}

std::int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::int64_t>(usage.ru_maxrss) * 1024;
}

// The floor: one pass of the cost GEMM over the matcher's own tiles, nothing done with them.
class NoVisit final : public compare::blocked::TileVisitor {
 public:
  void visit(const compare::blocked::Tile&) override {}
};

// This process's CPU time (user + system) so far: on a machine shared with other jobs, the
// work a rank did, whatever share of a core it was given.
double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

std::vector<std::int64_t> gather(dist::Comm& comm, std::int64_t value) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(comm.size()));
  comm.allgather(&value, all.data(), sizeof(value));
  return all;
}

std::string list(const std::vector<std::int64_t>& values, double scale) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + std::to_string(static_cast<double>(values[i]) * scale);
  return out + "]";
}

int run(int argc, char** argv) {
  dist::MpiRuntime mpi(&argc, &argv);
  dist::MpiComm& world = mpi.world();
  const Arguments args = parse(argc, argv);
  const bool root = world.is_root();
  const std::int64_t n2 = std::max(args.n, args.n2), n = args.n, d = args.d;
  auto cpu = backend::make_backend(backend::DeviceRequest::Cpu);

  Stopwatch clock;
  // W1 and W2 of n2 rows each; the matching takes the first n rows of W1.
  const bench::PlantedDecoderRows generator(n2, d, args.shared, args.seed);
  const compare::RowShare share = compare::row_share(n, world.rank(), world.size());
  const compare::RowShare share2 = compare::row_share(n2, world.rank(), world.size());
  std::vector<float> a(static_cast<std::size_t>(share.count() * d)), b(static_cast<std::size_t>(share2.count() * d));
  generator.w1_rows(share.begin, share.end, a.data());
  generator.w2_rows(share2.begin, share2.end, b.data());
  world.barrier();
  const double synth_seconds = clock.seconds();
  const std::int64_t rss_inputs = peak_rss_bytes();
  const MatrixView<const float> a_share(a.data(), share.count(), d), b_share(b.data(), share2.count(), d);
  const double flop = 2.0 * static_cast<double>(n) * static_cast<double>(n2) * static_cast<double>(d);
  std::int64_t planted = 0;
  for (std::int64_t i = 0; i < n; ++i) planted += generator.partner_of_w1(i) >= 0;

  double floor_seconds = 0, floor_gemm_seconds = 0;
  if (args.floor) {
    compare::blocked::CosineTiles tiles(*cpu, world, compare::ShareRows::in_memory(a_share), n,
                                        compare::ShareRows::in_memory(b_share), n2, args.options.block_rows,
                                        args.options.block_columns);
    tiles.report_progress("bench", std::int64_t{1} << 26);
    NoVisit nothing;
    world.barrier();
    clock.restart();
    tiles.pass(nullptr, nothing, "floor pass");
    world.barrier();
    floor_seconds = clock.seconds();
    floor_gemm_seconds = tiles.gemm_seconds();
  }

  world.barrier();
  clock.restart();
  const double cpu_before = cpu_seconds();
  compare::BlockedMatchingOptions options = args.options;
  options.label = "bench matching";
  const compare::BlockedMatching result = compare::blocked_cosine_matching(*cpu, world, a_share, n, b_share, n2, options);
  // The shared fraction as compare_pair computes it: matched decoder cosine >= 0.7.
  std::int64_t shared = 0, recovered = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    shared += 1.0f - result.matched_cost[static_cast<std::size_t>(i)] >= 0.7f;
    recovered += generator.partner_of_w1(i) == result.assignment.column_of_row[static_cast<std::size_t>(i)];
  }
  const double match_cpu = cpu_seconds() - cpu_before;
  world.barrier();
  const double match_seconds = clock.seconds();
  std::vector<double> cpu_times(static_cast<std::size_t>(world.size()));
  world.allgather(&match_cpu, cpu_times.data(), sizeof(double));
  const double busiest_cpu = *std::max_element(cpu_times.begin(), cpu_times.end());
  const std::vector<std::int64_t> rss = gather(world, peak_rss_bytes());
  const std::vector<std::int64_t> rss_before = gather(world, rss_inputs);
  const std::vector<std::int64_t> working = gather(world, result.stats.rank_bytes);
  // The matcher's own first pass is one GEMM pass over the same tiles, timed in the same run:
  // the slowest rank's GEMM time in it (the floor when --no-floor skips the separate pass).
  std::vector<double> first_pass(static_cast<std::size_t>(world.size()));
  world.allgather(&result.stats.first_pass_gemm_seconds, first_pass.data(), sizeof(double));
  const double first_pass_gemm = *std::max_element(first_pass.begin(), first_pass.end());
  const auto& s = result.stats;

  double dense_seconds = 0, dense_gemm_seconds = 0, dense_cost = 0;
  bool dense_certified = false;
  if (args.dense && world.size() == 1) {
    Stopwatch dense_clock;
    std::vector<float> cost(static_cast<std::size_t>(n * n2));
    compare::cosine_cost(*cpu, a_share, b_share, MatrixView<float>(cost.data(), n, n2));
    dense_gemm_seconds = dense_clock.seconds();
    const MatrixView<const float> view(cost.data(), n, n2);
    const compare::Assignment assignment = compare::solve_assignment(view);
    dense_certified = compare::verify_optimality(view, assignment, 1e-6).optimal;
    dense_seconds = dense_clock.seconds();
    dense_cost = assignment.cost;
  }

  // The certificate is the verification (a greedy matching is not claimed optimal, so nothing is
  // checked then); the dense path's certificate is a figure of the dense run, not of this one.
  bench::Verification verification;
  if (!options.greedy) verification.check(result.certificate.optimal);

  if (root) {
    const double mib = 1.0 / (1 << 20);
    std::printf("ranks %d, n %lld x %lld, d %lld, planted %lld pairs (%.4f), tiles %lld x %lld, candidates %d/%d\n",
                world.size(), static_cast<long long>(n), static_cast<long long>(n2), static_cast<long long>(d),
                static_cast<long long>(planted), static_cast<double>(planted) / static_cast<double>(n),
                static_cast<long long>(options.block_rows), static_cast<long long>(options.block_columns),
                options.row_candidates, options.column_candidates);
    std::printf("synthesis %.1f s\n", synth_seconds);
    if (args.floor) {
      std::printf("floor: one GEMM pass %.1f s (GEMM alone %.1f s on the root, %.1f GFLOP/s over all ranks)\n",
                  floor_seconds, floor_gemm_seconds, flop / floor_seconds * 1e-9);
    }
    std::printf("first pass's GEMM (slowest rank) %.1f s: the matching is %.2fx that; CPU time of the busiest rank %.1f s\n",
                first_pass_gemm, match_seconds / first_pass_gemm, busiest_cpu);
    std::printf("%s matching: %.1f s = %.2fx the floor; %.2f full passes of GEMM work in %d passes, %d pricing rounds "
                "(%lld rows priced), solve %.1f s on the root, GEMM %.1f s and scans %.1f s on the root\n",
                s.method.c_str(), match_seconds, args.floor ? match_seconds / floor_seconds : 0.0,
                s.full_pass_equivalents, s.passes, s.pricing_rounds, static_cast<long long>(s.priced_rows),
                s.solve_seconds, s.gemm_seconds, s.scan_seconds);
    std::printf("cost %.6f, certificate %s (min reduced %.3e, gap bound %.3e), candidates %lld (+%lld priced)\n",
                result.assignment.cost, result.certificate.optimal ? "OPTIMAL" : result.certificate.problem.c_str(),
                result.certificate.min_reduced_cost, result.certificate.gap_bound,
                static_cast<long long>(s.candidate_entries), static_cast<long long>(s.priced_entries));
    std::printf("shared fraction %.4f (planted %.4f), planted pairs recovered %lld of %lld\n",
                static_cast<double>(shared) / static_cast<double>(n),
                static_cast<double>(planted) / static_cast<double>(n), static_cast<long long>(recovered),
                static_cast<long long>(planted));
    std::printf("peak RSS per rank (MiB): %s; after synthesis %s; matcher working set %s; one tile's blocks %.1f\n",
                list(rss, mib).c_str(), list(rss_before, mib).c_str(), list(working, mib).c_str(),
                static_cast<double>(s.block_bytes) * mib);
    if (args.dense && world.size() == 1) {
      std::printf("dense path: %.1f s (cosine_cost %.1f s), cost %.6f, certified %d\n", dense_seconds, dense_gemm_seconds,
                  dense_cost, dense_certified ? 1 : 0);
    }
    verification.print(stdout);  // before the JSON object, which stays the last line
    std::printf("{\"ranks\": %d, \"n\": %lld, \"n2\": %lld, \"d\": %lld, \"floor_seconds\": %.3f, \"match_seconds\": %.3f, "
                "\"ratio_to_floor\": %.4f, \"match_cpu_seconds\": %.3f, \"first_pass_gemm_seconds\": %.3f, \"ratio_to_first_pass_gemm\": %.4f, \"full_pass_equivalents\": %.4f, \"pricing_rounds\": %d, "
                "\"shared_fraction\": %.6f, \"planted_fraction\": %.6f, \"recovered\": %lld, \"cost\": %.6f, "
                "\"certified\": %d, \"peak_rss_bytes\": %s, \"solve_seconds\": %.3f, \"dense_seconds\": %.3f, "
                "\"dense_cost\": %.6f}\n",
                world.size(), static_cast<long long>(n), static_cast<long long>(n2), static_cast<long long>(d), floor_seconds, match_seconds,
                args.floor ? match_seconds / floor_seconds : 0.0, busiest_cpu, first_pass_gemm, match_seconds / first_pass_gemm,
                s.full_pass_equivalents, s.pricing_rounds,
                static_cast<double>(shared) / static_cast<double>(n),
                static_cast<double>(planted) / static_cast<double>(n), static_cast<long long>(recovered),
                result.assignment.cost, result.certificate.optimal ? 1 : 0, list(rss, 1.0).c_str(), s.solve_seconds,
                dense_seconds, dense_cost);
  }
  return verification.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const coact::Error& e) {
    std::fprintf(stderr, "bench_blocked_matching: %s\n", e.what());
    return 1;
  }
}
