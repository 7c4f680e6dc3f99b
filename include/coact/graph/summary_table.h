// The seed study's descriptive table (../shared/seed/analysis.md), one column per graph, for
// `coact stats` and report.md.
#pragma once

#include <string>
#include <vector>

#include "coact/graph/graph_statistics.h"

namespace coact::graph {

// Rows in the study's order and format: counts with thousands separators, average degree with
// 2 decimals, density and clustering with 4, component sizes as a set; plus Pearson(degree,
// frequency).
std::string seed_table_markdown(const std::vector<std::string>& names, const std::vector<GraphSummary>& summaries);

// "{1, 6,974}"
std::string component_size_set(const std::vector<std::int64_t>& sizes);

}  // namespace coact::graph
