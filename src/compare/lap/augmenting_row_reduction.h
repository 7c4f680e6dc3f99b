// Augmenting row reduction (Jonker & Volgenant 1987), on the restricted problem: a cheap
// auction-like pass that matches most free rows without a shortest-path search. A free row
// takes the column of its smallest reduced cost, lowering that column's v just enough that
// the row is indifferent between it and its second-best column; the row it displaces (if
// any) is processed next. Keeps every reduced cost of the graph >= 0 and matched ones tight.
// Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "lap/candidate_graph.h"
#include "lap/lap_state.h"

namespace coact::compare::lap {

// Runs `passes` passes over `free_rows` (replaced by the rows still free, in order).
// Each pass stops after `step_budget_per_row` · |free rows| steps. Returns the rows matched.
std::int64_t augmenting_row_reduction(const CandidateGraph& graph, LapState& state, std::vector<std::int32_t>& free_rows,
                                      int passes, std::int64_t step_budget_per_row);

}  // namespace coact::compare::lap
