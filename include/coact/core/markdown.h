// Markdown tables with aligned columns (report.md, `coact stats`).
#pragma once

#include <string>
#include <vector>

namespace coact {

// A pipe table: the header row, the rule, then one line per row; cells padded to column width.
std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

}  // namespace coact
