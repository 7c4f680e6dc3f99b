// verify_optimality: the LP duality certificate of an assignment, checked on every entry.
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "coact/compare/assignment.h"
#include "coact/core/strings.h"
#include "lap/certificate.h"
#include "lap/parallel.h"
#include "lap/pricing.h"

namespace coact::compare {

namespace lap {

bool check_assignment(const std::vector<std::int32_t>& column_of_row, std::int64_t columns,
                      OptimalityCertificate& certificate, std::vector<std::uint8_t>& column_used) {
  column_used.assign(static_cast<std::size_t>(columns), 0);
  for (std::size_t i = 0; i < column_of_row.size(); ++i) {
    const std::int32_t column = column_of_row[i];
    if (column < 0 || column >= columns) {
      certificate.problem = str("row ", i, " has column ", column, " outside [0, ", columns, ")");
      return false;
    }
    if (column_used[static_cast<std::size_t>(column)]++) {
      certificate.problem = str("column ", column, " is assigned to more than one row");
      return false;
    }
  }
  certificate.valid_assignment = true;
  return true;
}

void conclude_certificate(OptimalityCertificate& certificate, const std::vector<std::uint8_t>& column_used,
                          const std::vector<double>& v, std::int64_t rows, double matched_reduced_sum,
                          double tolerance) {
  const auto columns = static_cast<std::int64_t>(v.size());
  // Rectangular: any other assignment leaves some n2 − n1 columns out, whose potentials sum
  // to at most the n2 − n1 largest; ours must leave out exactly those.
  double free_term = 0;
  const std::int64_t free_count = columns - rows;
  if (free_count > 0) {
    double largest_matched = -std::numeric_limits<double>::infinity();
    double smallest_free = std::numeric_limits<double>::infinity();
    double free_sum = 0;
    for (std::int64_t j = 0; j < columns; ++j) {
      const double vj = v[static_cast<std::size_t>(j)];
      if (column_used[static_cast<std::size_t>(j)]) {
        largest_matched = std::max(largest_matched, vj);
      } else {
        smallest_free = std::min(smallest_free, vj);
        free_sum += vj;
      }
    }
    certificate.free_column_excess = std::max(0.0, largest_matched - smallest_free);
    std::vector<double> sorted(v);
    std::nth_element(sorted.begin(), sorted.begin() + free_count, sorted.end(), std::greater<>());
    double top_sum = 0;
    for (std::int64_t s = 0; s < free_count; ++s) top_sum += sorted[static_cast<std::size_t>(s)];
    free_term = std::max(0.0, top_sum - free_sum);
  }
  certificate.gap_bound = std::max(0.0, matched_reduced_sum) +
                          static_cast<double>(rows) * std::max(0.0, -certificate.min_reduced_cost) + free_term;

  if (certificate.min_reduced_cost < -tolerance) {
    certificate.problem = str("an entry has reduced cost ", certificate.min_reduced_cost, " < -", tolerance);
  } else if (certificate.max_matched_reduced_cost > tolerance) {
    certificate.problem = str("a matched entry has reduced cost ", certificate.max_matched_reduced_cost, " > ", tolerance);
  } else if (certificate.free_column_excess > tolerance) {
    certificate.problem =
        str("a matched column's potential exceeds an unmatched one's by ", certificate.free_column_excess);
  } else {
    certificate.optimal = true;
  }
}

}  // namespace lap

OptimalityCertificate verify_optimality(MatrixView<const float> cost, const Assignment& assignment,
                                        double tolerance) {
  OptimalityCertificate certificate;
  const std::int64_t rows = cost.rows;
  const std::int64_t columns = cost.cols;
  const auto& column_of_row = assignment.column_of_row;
  const auto& u = assignment.row_potential;
  const auto& v = assignment.column_potential;

  if (static_cast<std::int64_t>(column_of_row.size()) != rows) {
    certificate.problem = str(column_of_row.size(), " assigned rows for ", rows, " rows");
    return certificate;
  }
  std::vector<std::uint8_t> column_used;
  if (!lap::check_assignment(column_of_row, columns, certificate, column_used)) return certificate;
  if (static_cast<std::int64_t>(u.size()) != rows || static_cast<std::int64_t>(v.size()) != columns) {
    certificate.problem = "no dual potentials to certify the assignment with (greedy result?)";
    return certificate;
  }

  double min_reduced = std::numeric_limits<double>::infinity();
  double matched_reduced_sum = 0;
  double max_matched = 0;
#pragma omp parallel for schedule(static) reduction(min : min_reduced) reduction(+ : matched_reduced_sum) \
    reduction(max : max_matched) if (lap::worth_a_team(rows * columns))
  for (std::int64_t i = 0; i < rows; ++i) {
    const float* costs = cost.row(i);
    const double ui = u[static_cast<std::size_t>(i)];
    min_reduced = std::min(min_reduced, lap::row_reduced_minimum(costs, v.data(), columns) - ui);
    const std::int32_t column = column_of_row[static_cast<std::size_t>(i)];
    const double matched = static_cast<double>(costs[column]) - ui - v[static_cast<std::size_t>(column)];
    matched_reduced_sum += matched;
    max_matched = std::max(max_matched, std::fabs(matched));
  }
  certificate.min_reduced_cost = rows > 0 ? min_reduced : 0.0;
  certificate.max_matched_reduced_cost = max_matched;

  lap::conclude_certificate(certificate, column_used, v, rows, matched_reduced_sum, tolerance);
  return certificate;
}

}  // namespace coact::compare
