// The exact blocked matcher: candidate pass, restricted solve on the root, pricing rounds
// until no row of any rank has a negative reduced cost, then the certificate.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>

#include "blocked/drivers.h"
#include "blocked/exchange.h"
#include "blocked/restricted_problem.h"
#include "blocked/tile_scans.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "lap/certificate.h"

namespace coact::compare::blocked {
namespace {

// 1 − cos lies in [0, 2]: the virtual rows' constant is the largest cost there can be, so a
// column's minimum is always found on a real row.
constexpr float kVirtualCost = 2.0f;
// As solve_assignment: 1e-11 of the largest |cost| (2), far above the rounding of the double
// sums behind a reduced cost, far below any real difference of float costs.
constexpr double kTolerance = 2e-11;

// What every rank learns from the root besides the duals at the start of a pricing round.
struct RoundHeader {
  std::int64_t virtual_violations = 0;
  std::int64_t floors_void = 0;  // some v rose (never expected): no floor is a bound any more
};

// Entries handed to a violating row in pricing round `round`: rows that keep violating (a
// matrix whose rows all want the same columns) get more at a time, doubling every 4 rounds.
int entries_for_round(int base, int round, std::int64_t columns) {
  const std::int64_t k = static_cast<std::int64_t>(std::max(1, base)) << std::min(round / 4, 20);
  return static_cast<int>(std::min(k, columns));
}

double max_abs_over_ranks(dist::Comm& comm, double value) { return -min_over_ranks(comm, -value); }

// What a rank knows of the entries of its rows that the restricted problem lacks: per row a
// few of them (the cheapest c_ij − v_j when last looked at) and a bound below every other
// one. As v only falls, c_ij − v_j only grows: the bound stays a bound, and a row whose u
// rose is read again by GEMM only when u passes it; below, its reserve holds every entry of
// negative reduced cost, which is handed over with no GEMM at all.
class Reserves {
 public:
  Reserves(std::int64_t rows, int per_row)
      : per_row_(std::max(1, per_row)), column_(static_cast<std::size_t>(rows * per_row_)),
        cost_(column_.size()), count_(static_cast<std::size_t>(rows), 0),
        rest_(static_cast<std::size_t>(rows), std::numeric_limits<double>::infinity()) {}
  int per_row() const { return per_row_; }
  std::int32_t count(std::int64_t row) const { return count_[static_cast<std::size_t>(row)]; }
  std::int32_t column(std::int64_t row, std::int32_t s) const { return column_[at(row, s)]; }
  float cost(std::int64_t row, std::int32_t s) const { return cost_[at(row, s)]; }
  double rest(std::int64_t row) const { return rest_[static_cast<std::size_t>(row)]; }
  void clear(std::int64_t row, double rest) {
    count_[static_cast<std::size_t>(row)] = 0;
    rest_[static_cast<std::size_t>(row)] = rest;
  }
  // Appends an entry; when the row is full, the entry's reduced cost becomes the row's bound.
  void push(std::int64_t row, std::int32_t column, float cost, double reduced) {
    std::int32_t& n = count_[static_cast<std::size_t>(row)];
    if (n == per_row_) {
      rest_[static_cast<std::size_t>(row)] = std::min(rest_[static_cast<std::size_t>(row)], reduced);
      return;
    }
    column_[at(row, n)] = column;
    cost_[at(row, n)] = cost;
    ++n;
  }
  // Keeps the entries for which keep(column, cost) holds.
  template <class Keep>
  void filter(std::int64_t row, Keep keep) {
    std::int32_t kept = 0;
    for (std::int32_t s = 0; s < count(row); ++s) {
      if (!keep(column(row, s), cost(row, s))) continue;
      column_[at(row, kept)] = column(row, s);
      cost_[at(row, kept)] = cost(row, s);
      ++kept;
    }
    count_[static_cast<std::size_t>(row)] = kept;
  }
  void void_all() { std::fill(rest_.begin(), rest_.end(), -std::numeric_limits<double>::infinity()); }
  std::int64_t bytes() const {
    return static_cast<std::int64_t>(column_.size() * (sizeof(std::int32_t) + sizeof(float)) +
                                     count_.size() * (sizeof(std::int32_t) + sizeof(double)));
  }

 private:
  std::size_t at(std::int64_t row, std::int32_t s) const {
    return static_cast<std::size_t>(row * per_row_ + s);
  }
  int per_row_;
  std::vector<std::int32_t> column_;
  std::vector<float> cost_;
  std::vector<std::int32_t> count_;
  std::vector<double> rest_;
};

// A row's lower bound on c_ij − v_j over the entries the restricted problem lacks.
double floor_of(const Reserves& reserves, std::int64_t row, const std::vector<double>& v) {
  double floor = reserves.rest(row);
  for (std::int32_t s = 0; s < reserves.count(row); ++s) {
    floor = std::min(floor, static_cast<double>(reserves.cost(row, s)) - v[static_cast<std::size_t>(reserves.column(row, s))]);
  }
  return floor;
}

// A pricing report for the root: the row, its most negative reduced cost, and its entries of
// negative reduced cost (which this rank then counts as known).
void report(BytePacker& out, std::int64_t global_row, double minimum, const std::vector<std::pair<std::int32_t, float>>& entries) {
  out.put(static_cast<std::int32_t>(global_row));
  out.put(minimum);
  out.put(static_cast<std::int32_t>(entries.size()));
  for (const auto& [column, cost] : entries) {
    out.put(column);
    out.put(cost);
  }
}

}  // namespace

BlockedMatching exact_matching(CosineTiles& tiles, dist::Comm& comm, const BlockedMatchingOptions& o) {
  Stopwatch clock;
  const std::int64_t n1 = tiles.a_rows(), n2 = tiles.b_rows();
  const RowShare share = tiles.a_share();
  const std::int64_t local_rows = share.count();
  const bool root = comm.is_root();
  BlockedMatching result;
  BlockedMatchingStats& stats = result.stats;
  stats.method = "blocked-pricing";

  // 1. Candidates: each row's and each column's cheapest entries and every row's (i, i) go to
  // the restricted problem; each row's next cheapest stay here as its reserve.
  const int listed = static_cast<int>(std::min<std::int64_t>(std::max(1, o.row_candidates), n2));
  Reserves reserves(local_rows, std::max(1, o.pricing_entries));
  auto candidates = std::make_unique<CandidateScan>(share, n2, listed + reserves.per_row(), o.column_candidates);
  tiles.pass(nullptr, *candidates, "candidate pass");
  stats.first_pass_gemm_seconds = tiles.gemm_seconds();
  std::int64_t scan_bytes = candidates->bytes();
  const int per_column = candidates->column_candidates();
  const std::vector<ColumnEntry> column_lists = candidates->merge_columns(comm);
  // What the restricted problem holds of this rank's rows, so that pricing offers only the rest.
  KnownEntries known(local_rows);
  std::vector<std::uint8_t> gathered;
  {
    BytePacker packed;
    for (std::int64_t li = 0; li < local_rows; ++li) {
      const CandidateScan::RowList list = candidates->row_list(li);
      const std::int64_t gi = share.begin + li;
      const auto kept = static_cast<std::int64_t>(list.columns.size());
      const std::int64_t sent = std::min<std::int64_t>(listed, kept);
      packed.put(static_cast<std::int32_t>(sent));
      packed.put_all(std::span<const std::int32_t>(list.columns.data(), static_cast<std::size_t>(sent)));
      packed.put_all(std::span<const float>(list.costs.data(), static_cast<std::size_t>(sent)));
      packed.put(candidates->diagonal(li));
      for (std::int64_t s = 0; s < sent; ++s) known.add(li, list.columns[static_cast<std::size_t>(s)]);
      known.add(li, static_cast<std::int32_t>(gi));
      // v starts at 0 and only falls: every entry past the kept ones costs at least the last.
      reserves.clear(li, kept == n2 ? std::numeric_limits<double>::infinity() : static_cast<double>(list.costs.back()));
      for (std::int64_t s = sent; s < kept; ++s) {
        const std::int32_t column = list.columns[static_cast<std::size_t>(s)];
        if (column != gi) reserves.push(li, column, list.costs[static_cast<std::size_t>(s)], list.costs[static_cast<std::size_t>(s)]);
      }
    }
    for (std::int64_t j = 0; j < n2; ++j) {
      for (int s = 0; s < per_column; ++s) {
        const ColumnEntry& e = column_lists[static_cast<std::size_t>(j * per_column + s)];
        if (e.row >= share.begin && e.row < share.end) known.add(e.row - share.begin, static_cast<std::int32_t>(j));
      }
    }
    // Reserve entries that a column list put in the restricted problem are no longer reserve.
    for (std::int64_t li = 0; li < local_rows; ++li) {
      reserves.filter(li, [&](std::int32_t column, float) { return !known.contains(li, column); });
    }
    candidates.reset();  // the lists are copied out: free the pass's state before the solve
    gathered = gather_bytes(comm, packed.bytes());
  }

  std::unique_ptr<RestrictedProblem> problem;
  std::vector<double> previous_v;  // root: the last v broadcast (first: the start's 0), to check v never rises
  Stopwatch solve_clock;
  if (root) {
    problem = std::make_unique<RestrictedProblem>(n1, n2, kVirtualCost, kTolerance, o.label, o.progress_min_rows);
    std::vector<float> row_minimum(static_cast<std::size_t>(n1));
    std::vector<std::int32_t> cheapest(static_cast<std::size_t>(n1));
    ByteReader reader(gathered);  // rows 0 .. n1 − 1: the shares in rank order
    for (std::int64_t i = 0; i < n1; ++i) {
      const auto row = static_cast<std::int32_t>(i);
      const auto count = reader.get<std::int32_t>();
      std::vector<std::int32_t> columns(static_cast<std::size_t>(count));
      for (auto& c : columns) c = reader.get<std::int32_t>();
      for (std::int32_t s = 0; s < count; ++s) problem->add(row, columns[static_cast<std::size_t>(s)], reader.get<float>());
      problem->add(row, row, reader.get<float>());
      cheapest[static_cast<std::size_t>(i)] = columns.front();
      row_minimum[static_cast<std::size_t>(i)] = problem->entry_cost(row, columns.front());
    }
    for (std::int64_t j = 0; j < n2; ++j) {
      for (int s = 0; s < per_column; ++s) {
        const ColumnEntry& e = column_lists[static_cast<std::size_t>(j * per_column + s)];
        if (e.row >= 0) problem->add(e.row, static_cast<std::int32_t>(j), e.cost);
      }
    }
    previous_v.assign(static_cast<std::size_t>(n2), 0.0);
    problem->start(row_minimum, cheapest, listed);
    stats.solve_seconds += solve_clock.seconds();
  }
  gathered = {};

  // 2. Pricing rounds: rows whose u passed their floor. Those whose reserve explains it report
  // the reserve's violations; the others are read again by GEMM.
  std::vector<double> u(static_cast<std::size_t>(n1)), v(static_cast<std::size_t>(n2));
  std::vector<std::pair<std::int32_t, float>> violations;
  for (int round = 0;; ++round) {
    RoundHeader header;
    if (root) {
      const lap::LapState& state = problem->state();
      std::copy(state.row_potential.begin(), state.row_potential.begin() + n1, u.begin());
      v = state.column_potential;
      for (std::size_t j = 0; j < previous_v.size(); ++j) header.floors_void |= v[j] > previous_v[j];
      previous_v = v;
      header.virtual_violations = problem->virtual_violations();
    }
    comm.broadcast(std::span<double>(u), 0);
    comm.broadcast(std::span<double>(v), 0);
    header = comm.broadcast_value(header, 0);
    if (header.floors_void) {
      log::warn(o.label, ": a column potential rose; every row is priced again");
      reserves.void_all();
    }
    BytePacker out;
    std::vector<std::int32_t> suspects;
    std::int64_t direct = 0;
    for (std::int64_t li = 0; li < local_rows; ++li) {
      const double ui = u[static_cast<std::size_t>(share.begin + li)];
      // 2τ: a row just priced may sit at u − τ (rounded); it must not count as risen.
      if (ui <= floor_of(reserves, li, v) + 2 * kTolerance) continue;
      if (reserves.rest(li) < ui - kTolerance) {
        suspects.push_back(static_cast<std::int32_t>(li));
        continue;
      }
      violations.clear();
      double minimum = std::numeric_limits<double>::infinity();
      for (std::int32_t s = 0; s < reserves.count(li); ++s) {
        const std::int32_t column = reserves.column(li, s);
        const double reduced = static_cast<double>(reserves.cost(li, s)) - v[static_cast<std::size_t>(column)];
        if (reduced < ui - kTolerance) {
          violations.emplace_back(column, reserves.cost(li, s));
          minimum = std::min(minimum, reduced);
          known.add(li, column);
        }
      }
      reserves.filter(li, [&](std::int32_t column, float) { return !known.contains(li, column); });
      report(out, share.begin + li, minimum, violations);
      ++direct;
    }
    std::int64_t counts[2] = {static_cast<std::int64_t>(suspects.size()), direct};
    comm.allreduce_sum(std::span<std::int64_t>(counts));
    if (counts[0] == 0 && counts[1] == 0 && header.virtual_violations == 0) break;
    const int k = entries_for_round(o.pricing_entries, round, n2);
    if (counts[0] > 0) {
      ++stats.pricing_rounds;
      stats.priced_rows += counts[0];
      ReducedScan scan(suspects, v, k, &known);
      tiles.pass(&suspects, scan, str("pricing pass ", stats.pricing_rounds));
      scan_bytes = std::max(scan_bytes, scan.bytes());
      for (std::size_t s = 0; s < suspects.size(); ++s) {
        const std::int64_t li = suspects[s];
        const auto slot = static_cast<std::int64_t>(s);
        const double limit = u[static_cast<std::size_t>(share.begin + li)] - kTolerance;
        reserves.clear(li, scan.rest(slot));
        violations.clear();
        double minimum = std::numeric_limits<double>::infinity();
        for (const auto& e : scan.entries(slot)) {
          if (e.key < limit) {
            violations.emplace_back(e.tag, e.cost);
            minimum = std::min(minimum, e.key);
            known.add(li, e.tag);
          } else {
            reserves.push(li, e.tag, e.cost, e.key);
          }
        }
        if (!violations.empty()) report(out, share.begin + li, minimum, violations);
      }
    }
    const std::vector<std::uint8_t> reports = gather_bytes(comm, out.bytes());
    if (root) {
      solve_clock.restart();
      std::int64_t violating = 0;
      ByteReader reader(reports);
      while (!reader.done()) {
        const auto row = reader.get<std::int32_t>();
        const auto minimum = reader.get<double>();
        const auto count = reader.get<std::int32_t>();
        for (std::int32_t s = 0; s < count; ++s) {
          const auto column = reader.get<std::int32_t>();
          problem->add(row, column, reader.get<float>());
        }
        stats.priced_entries += count;
        problem->reprice(row, minimum);
        ++violating;
      }
      const std::int64_t entries_before = problem->candidate_entries();
      problem->price_virtual_rows(k);
      stats.priced_entries += problem->candidate_entries() - entries_before;
      log::debug(o.label, ": pricing round ", round + 1, ": ", counts[0], " rows read again, ", violating,
                 " rows had negative reduced costs (", counts[1], " found in reserve), ", header.virtual_violations,
                 " virtual rows repriced");
      problem->solve();
      stats.solve_seconds += solve_clock.seconds();
    }
  }

  // 3. The certificate. Every row's floor is a full scan's minimum of c_ij − v_j over the
  // entries the restricted problem lacks, at duals v no lower than the final ones (the root
  // checked v never rose), so floor_i − u_i bounds those reduced costs of row i from below;
  // the rows are spread over ranks, so is the minimum. The root adds the restricted entries'.
  double floor_minimum = std::numeric_limits<double>::infinity();
  for (std::int64_t li = 0; li < local_rows; ++li) {
    floor_minimum = std::min(floor_minimum, floor_of(reserves, li, v) - u[static_cast<std::size_t>(share.begin + li)]);
  }
  floor_minimum = min_over_ranks(comm, floor_minimum);
  OptimalityCertificate& certificate = result.certificate;
  Assignment& assignment = result.assignment;
  double matched_reduced_sum = 0;
  if (root) {
    const lap::LapState& state = problem->state();
    assignment.column_of_row.assign(state.column_of_row.begin(), state.column_of_row.begin() + n1);
    assignment.row_potential = u;
    assignment.column_potential = v;
    result.matched_cost.resize(static_cast<std::size_t>(n1));
    for (std::int64_t i = 0; i < n1; ++i) {
      const std::int32_t column = assignment.column_of_row[static_cast<std::size_t>(i)];
      const float cost = problem->entry_cost(static_cast<std::int32_t>(i), column);
      result.matched_cost[static_cast<std::size_t>(i)] = cost;
      assignment.cost += cost;
      const double reduced = static_cast<double>(cost) - u[static_cast<std::size_t>(i)] - v[static_cast<std::size_t>(column)];
      matched_reduced_sum += reduced;
      certificate.max_matched_reduced_cost = std::max(certificate.max_matched_reduced_cost, std::fabs(reduced));
    }
    certificate.min_reduced_cost = n1 > 0 ? std::min(floor_minimum, problem->minimum_real_reduced_cost()) : 0.0;
    problem->finish_progress();
    stats.candidate_entries = problem->candidate_entries();
    stats.augmentations = problem->augmentations();
    assignment.stats.method = AssignmentMethod::SparsePricing;
    assignment.stats.pricing_rounds = stats.pricing_rounds;
    assignment.stats.candidate_entries = stats.candidate_entries;
    assignment.stats.augmentations = stats.augmentations;
    assignment.stats.search_seconds = stats.solve_seconds;
  }

  // Optionally: recompute every entry at the final duals, independent of the floors.
  if (o.recheck) {
    std::vector<std::int32_t> matching(static_cast<std::size_t>(n1));
    if (root) matching = assignment.column_of_row;
    comm.broadcast(std::span<std::int32_t>(matching), 0);
    std::vector<std::int32_t> all_rows(static_cast<std::size_t>(local_rows)), matched_columns(all_rows.size());
    for (std::int64_t li = 0; li < local_rows; ++li) {
      all_rows[static_cast<std::size_t>(li)] = static_cast<std::int32_t>(li);
      matched_columns[static_cast<std::size_t>(li)] = matching[static_cast<std::size_t>(share.begin + li)];
    }
    ReducedScan scan(all_rows, v, 0, nullptr, &matched_columns);
    tiles.pass(&all_rows, scan, "recheck pass");
    scan_bytes = std::max(scan_bytes, scan.bytes());
    double minimum = std::numeric_limits<double>::infinity(), largest_matched = 0, matched_sum = 0;
    for (std::int64_t li = 0; li < local_rows; ++li) {
      const double ui = u[static_cast<std::size_t>(share.begin + li)];
      minimum = std::min(minimum, scan.minimum(li) - ui);
      const double reduced = static_cast<double>(scan.matched_cost(li)) - ui -
                             v[static_cast<std::size_t>(matched_columns[static_cast<std::size_t>(li)])];
      largest_matched = std::max(largest_matched, std::fabs(reduced));
      matched_sum += reduced;
    }
    minimum = min_over_ranks(comm, minimum);
    largest_matched = max_abs_over_ranks(comm, largest_matched);
    matched_sum = comm.allreduce_sum(matched_sum);
    if (root) {
      certificate.min_reduced_cost = n1 > 0 ? minimum : 0.0;
      certificate.max_matched_reduced_cost = largest_matched;
      matched_reduced_sum = matched_sum;
    }
  }
  if (root) {
    std::vector<std::uint8_t> column_used;
    if (lap::check_assignment(assignment.column_of_row, n2, certificate, column_used)) {
      lap::conclude_certificate(certificate, column_used, v, n1, matched_reduced_sum, o.certificate_tolerance);
    }
  }

  stats.passes = tiles.passes();
  stats.gemm_seconds = tiles.gemm_seconds();
  stats.scan_seconds = tiles.visit_seconds();
  stats.block_bytes = tiles.block_bytes();
  stats.rank_bytes = tiles.share_bytes() + tiles.block_bytes() + scan_bytes + known.bytes() + reserves.bytes() +
                     static_cast<std::int64_t>((u.size() + v.size() + previous_v.size()) * sizeof(double)) +
                     static_cast<std::int64_t>(column_lists.size() * sizeof(ColumnEntry)) + (root ? problem->bytes() : 0);
  const double entries = comm.allreduce_sum(static_cast<double>(tiles.entries()));
  stats.full_pass_equivalents = n1 * n2 > 0 ? entries / (static_cast<double>(n1) * static_cast<double>(n2)) : 0.0;
  stats.max_rank_bytes = max_over_ranks(comm, stats.rank_bytes);
  share_result(comm, result, n1);
  stats.seconds = clock.seconds();
  if (root) assignment.stats.seconds = stats.seconds;
  return result;
}

}  // namespace coact::compare::blocked
