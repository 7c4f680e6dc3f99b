#include "coact/core/markdown.h"

#include <algorithm>

namespace coact {

std::string markdown_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = std::max<std::size_t>(header[c].size(), 3);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c) widths[c] = std::max(widths[c], row[c].size());
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t c = 0; c < widths.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : std::string();
      cell.resize(std::max(cell.size(), widths[c]), ' ');
      out += " " + cell + " |";
    }
    return out + "\n";
  };
  std::string out = line(header) + "|";
  for (const auto width : widths) out += std::string(width + 2, '-') + "|";
  out += "\n";
  for (const auto& row : rows) out += line(row);
  return out;
}

}  // namespace coact
