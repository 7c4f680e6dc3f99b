// The parts of an optimality certificate (coact/compare/assignment.h) that do not read the
// cost matrix, shared by verify_optimality and the blocked matcher, whose entries are spread
// over ranks. Internal to the compare module.
#pragma once

#include <cstdint>
#include <vector>

#include "coact/compare/assignment.h"

namespace coact::compare::lap {

// Checks that every row has a distinct column in [0, columns); sets valid_assignment or
// problem. column_used receives one flag per column.
bool check_assignment(const std::vector<std::int32_t>& column_of_row, std::int64_t columns,
                      OptimalityCertificate& certificate, std::vector<std::uint8_t>& column_used);

// Given min_reduced_cost and max_matched_reduced_cost (already in `certificate`) and the sum
// of the matched reduced costs: the rectangular free-column terms, the gap bound and the
// verdict (optimal, or problem saying what failed).
void conclude_certificate(OptimalityCertificate& certificate, const std::vector<std::uint8_t>& column_used,
                          const std::vector<double>& column_potential, std::int64_t rows,
                          double matched_reduced_sum, double tolerance);

}  // namespace coact::compare::lap
