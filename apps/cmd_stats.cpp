// coact stats: the seed study's descriptive table (../shared/seed/analysis.md) for one or more
// graph files, one column per graph, as Markdown or JSON. Everything is recomputed from the CSR,
// and the stored node datasets are checked against the recomputation, so stats also checks a
// file.
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/timer.h"
#include "coact/graph/graph_file.h"
#include "coact/graph/graph_statistics.h"
#include "coact/io/atomic_output.h"
#include "commands.h"

namespace coact::app {
namespace {

struct Column {
  std::string name;  // the file's stem, e.g. graph_52
  std::string path;
  graph::GraphSummary summary;
};

// "1,234.57": fixed decimals with grouped thousands, as the seed table prints; "n/a" for NaN.
std::string fixed(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  std::ostringstream text;
  text.setf(std::ios::fixed);
  text.precision(decimals);
  text << std::fabs(value);
  const std::string digits = text.str();
  const auto point = digits.find('.');
  const std::string whole = digits.substr(0, point);
  std::string grouped = with_commas(std::stoll(whole));
  if (point != std::string::npos) grouped += digits.substr(point);
  return (value < 0 && grouped.find_first_not_of("0.,") != std::string::npos ? "-" : "") + grouped;
}

std::string size_set(const std::vector<std::int64_t>& sizes) {
  std::string out = "{";
  for (std::size_t i = 0; i < sizes.size(); ++i) out += (i ? ", " : "") + with_commas(sizes[i]);
  return out + "}";
}

std::string markdown_table(const std::vector<Column>& columns) {
  using Row = std::pair<std::string, std::vector<std::string>>;
  std::vector<Row> rows;
  const auto add = [&](const std::string& label, auto cell) {
    Row row{label, {}};
    for (const auto& column : columns) row.second.push_back(cell(column.summary));
    rows.push_back(std::move(row));
  };
  using S = graph::GraphSummary;
  add("Number of nodes", [](const S& s) { return with_commas(s.nodes); });
  add("Number of edges", [](const S& s) { return with_commas(s.edges); });
  add("Average degree", [](const S& s) { return fixed(s.average_degree, 2); });
  add("Density", [](const S& s) { return fixed(s.density, 4); });
  add("Number of connected components", [](const S& s) { return with_commas(s.components); });
  add("Largest component size", [](const S& s) { return with_commas(s.largest_component); });
  add("Unique component sizes", [](const S& s) { return size_set(s.component_sizes); });
  add("Average clustering coefficient", [](const S& s) { return fixed(s.average_clustering, 4); });
  add("Pearson correlation (degree, frequency)", [](const S& s) { return fixed(s.pearson_degree_frequency, 4); });

  std::vector<std::size_t> widths{std::string("Statistic").size()};
  for (const auto& column : columns) widths.push_back(column.name.size());
  for (const auto& [label, cells] : rows) {
    widths[0] = std::max(widths[0], label.size());
    for (std::size_t c = 0; c < cells.size(); ++c) widths[c + 1] = std::max(widths[c + 1], cells[c].size());
  }
  const auto line = [&](const std::vector<std::string>& cells) {
    std::string out = "|";
    for (std::size_t c = 0; c < cells.size(); ++c) {
      std::string cell = cells[c];
      cell.resize(widths[c], ' ');
      out += " " + cell + " |";
    }
    return out + "\n";
  };
  std::vector<std::string> header{"Statistic"};
  std::string rule = "|";
  for (const auto& column : columns) header.push_back(column.name);
  for (const auto width : widths) rule += std::string(width + 2, '-') + "|";
  std::string out = line(header) + rule + "\n";
  for (const auto& [label, cells] : rows) {
    std::vector<std::string> all{label};
    all.insert(all.end(), cells.begin(), cells.end());
    out += line(all);
  }
  return out;
}

// Shortest round-trip text of a double; null for NaN or infinity (JSON has neither).
std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string json_string(const std::string& text) {
  std::string out = "\"";
  for (const unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string json_document(const std::vector<Column>& columns) {
  std::string out = "{\n  \"graphs\": [";
  for (std::size_t c = 0; c < columns.size(); ++c) {
    const auto& s = columns[c].summary;
    std::string sizes;
    for (const auto size : s.component_sizes) sizes += (sizes.empty() ? "" : ", ") + std::to_string(size);
    const std::vector<std::pair<const char*, std::string>> fields = {
        {"name", json_string(columns[c].name)},
        {"file", json_string(columns[c].path)},
        {"nodes", std::to_string(s.nodes)},
        {"edges", std::to_string(s.edges)},
        {"average_degree", json_number(s.average_degree)},
        {"density", json_number(s.density)},
        {"connected_components", std::to_string(s.components)},
        {"largest_component_size", std::to_string(s.largest_component)},
        {"component_sizes", "[" + sizes + "]"},
        {"average_clustering", json_number(s.average_clustering)},
        {"pearson_degree_frequency", json_number(s.pearson_degree_frequency)},
    };
    out += c ? ",\n    {" : "\n    {";
    for (std::size_t f = 0; f < fields.size(); ++f)
      out += str(f ? "," : "", "\n      \"", fields[f].first, "\": ", fields[f].second);
    out += "\n    }";
  }
  return out + "\n  ]\n}\n";
}

Column analyse(const std::string& path) {
  Stopwatch clock;
  const graph::GraphFile file = graph::read_graph_file(path);
  const double read_seconds = clock.seconds();
  graph::GraphStatistics statistics(file.graph, file.nodes.frequency);
  statistics.run();
  const double statistics_seconds = clock.seconds() - read_seconds;
  graph::verify_node_data(file, graph::compute_node_data(statistics, file.nodes.frequency, file.nodes.topk_count));
  log::debug(path, ": read and validated in ", read_seconds * 1e3, " ms, statistics in ", statistics_seconds * 1e3,
             " ms, node data checked in ", (clock.seconds() - read_seconds - statistics_seconds) * 1e3, " ms");
  return {std::filesystem::path(path).stem().string(), path, statistics.summary()};
}

}  // namespace

int run_stats(const Invocation& invocation) {
  CommandLine cli("stats", "GRAPH.h5 [GRAPH.h5 ...] [--json] [--out FILE [--force]]",
                  "Prints the seed study's descriptive table for co-activation graph files, one column per\n"
                  "graph (headed by the file's stem): nodes, edges, average degree, density, connected\n"
                  "components, largest component size, unique component sizes, average clustering and\n"
                  "Pearson(degree, frequency). Every number is recomputed from the CSR with networkx's\n"
                  "definitions, and the file's stored node datasets are checked against the recomputation.");
  auto add = cli.options().add_options();
  add("graphs", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
      "graph files (also given as positional arguments)");
  add("json", po::bool_switch(), "print full-precision JSON instead of the Markdown table");
  cli.positional("graphs");
  cli.add_output_flags("write the table to this file (atomically) instead of standard output");
  if (!cli.parse(invocation)) return 0;
  if (!cli.has("graphs")) throw UsageError("no graph files given (see coact stats --help)");
  // The work is small and serial in the file: the root does it, other ranks have nothing to add.
  if (!invocation.mpi.is_root()) return 0;
  if (!cli.out().empty()) io::require_writable_output(cli.out(), cli.force());

  std::vector<Column> columns;
  for (const auto& path : cli.get<std::vector<std::string>>("graphs")) columns.push_back(analyse(path));
  const std::string text = cli.get<bool>("json") ? json_document(columns) : markdown_table(columns);

  if (cli.out().empty()) {
    std::cout << text << std::flush;
    return 0;
  }
  io::AtomicOutput output(cli.out(), cli.force());
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    stream << text;
    stream.close();
    if (!stream) throw IoError(str(cli.out(), ": writing failed"));
  }
  output.commit();
  log::info("wrote ", cli.out());
  return 0;
}

}  // namespace coact::app
