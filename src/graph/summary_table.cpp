#include "coact/graph/summary_table.h"

#include "coact/core/markdown.h"
#include "coact/core/strings.h"

namespace coact::graph {

std::string component_size_set(const std::vector<std::int64_t>& sizes) {
  std::string out = "{";
  for (std::size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + with_commas(sizes[i]);
  return out + "}";
}

std::string seed_table_markdown(const std::vector<std::string>& names, const std::vector<GraphSummary>& summaries) {
  std::vector<std::string> header{"Statistic"};
  header.insert(header.end(), names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  const auto add = [&](const std::string& label, auto cell) {
    std::vector<std::string> row{label};
    for (const auto& s : summaries) row.push_back(cell(s));
    rows.push_back(std::move(row));
  };
  using S = GraphSummary;
  add("Number of nodes", [](const S& s) { return with_commas(s.nodes); });
  add("Number of edges", [](const S& s) { return with_commas(s.edges); });
  add("Average degree", [](const S& s) { return fixed_with_commas(s.average_degree, 2); });
  add("Density", [](const S& s) { return fixed_with_commas(s.density, 4); });
  add("Number of connected components", [](const S& s) { return with_commas(s.components); });
  add("Largest component size", [](const S& s) { return with_commas(s.largest_component); });
  add("Unique component sizes", [](const S& s) { return component_size_set(s.component_sizes); });
  add("Average clustering coefficient", [](const S& s) { return fixed_with_commas(s.average_clustering, 4); });
  add("Pearson correlation (degree, frequency)", [](const S& s) { return fixed_with_commas(s.pearson_degree_frequency, 4); });
  return markdown_table(header, rows);
}

}  // namespace coact::graph
