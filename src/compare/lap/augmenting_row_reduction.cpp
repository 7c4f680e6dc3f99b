#include "lap/augmenting_row_reduction.h"

#include <limits>

namespace coact::compare::lap {
namespace {

constexpr double kInfinity = std::numeric_limits<double>::infinity();

struct TwoBest {
  double first = kInfinity, second = kInfinity;
  std::int32_t first_column = kUnmatched, second_column = kUnmatched;
};

// The two smallest c_ij − v_j of a row (ties: the earlier edge first).
TwoBest two_best(const std::vector<CandidateEdge>& edges, const std::vector<double>& v) {
  TwoBest best;
  for (const CandidateEdge& e : edges) {
    const double reduced = static_cast<double>(e.cost) - v[static_cast<std::size_t>(e.column)];
    if (reduced < best.first) {
      best.second = best.first;
      best.second_column = best.first_column;
      best.first = reduced;
      best.first_column = e.column;
    } else if (reduced < best.second) {
      best.second = reduced;
      best.second_column = e.column;
    }
  }
  return best;
}

}  // namespace

std::int64_t augmenting_row_reduction(const CandidateGraph& graph, LapState& state, std::vector<std::int32_t>& free_rows,
                                      int passes, std::int64_t step_budget_per_row) {
  std::int64_t matched = 0;
  std::vector<std::int32_t> still_free;
  for (int pass = 0; pass < passes && !free_rows.empty(); ++pass) {
    still_free.clear();
    std::int64_t budget = step_budget_per_row * static_cast<std::int64_t>(free_rows.size());
    std::size_t next = 0;
    std::int32_t pending = kUnmatched;  // a displaced row processed before the list goes on
    while (pending != kUnmatched || next < free_rows.size()) {
      const std::int32_t row = pending != kUnmatched ? pending : free_rows[next++];
      pending = kUnmatched;
      const auto& edges = graph.edges[static_cast<std::size_t>(row)];
      if (budget-- <= 0 || graph.dense[static_cast<std::size_t>(row)] || edges.size() < 2) {
        still_free.push_back(row);  // left to the shortest-path search
        continue;
      }
      TwoBest best = two_best(edges, state.column_potential);
      std::int32_t column = best.first_column;
      std::int32_t displaced = state.row_of_column[static_cast<std::size_t>(column)];
      const bool strictly_better = best.first < best.second;
      if (strictly_better) {
        // The row is now indifferent between its two best columns: both at reduced cost
        // best.second, which becomes u; lowering a v keeps every reduced cost >= 0.
        state.column_potential[static_cast<std::size_t>(column)] -= best.second - best.first;
      } else if (displaced != kUnmatched) {
        // A tie: prefer the second column, which may be free, over displacing someone.
        column = best.second_column;
        displaced = state.row_of_column[static_cast<std::size_t>(column)];
      }
      if (displaced != kUnmatched) state.unmatch_row(displaced);
      state.match(row, column);
      state.row_potential[static_cast<std::size_t>(row)] = best.second;
      ++matched;
      if (displaced != kUnmatched) {
        --matched;
        // After a strict improvement the displaced row usually finds another column at
        // once; after a tie it waits for the next pass, so ties cannot cycle.
        if (strictly_better) {
          pending = displaced;
        } else {
          still_free.push_back(displaced);
        }
      }
    }
    free_rows.swap(still_free);
  }
  return matched;
}

}  // namespace coact::compare::lap
