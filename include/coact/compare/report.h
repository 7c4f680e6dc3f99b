// report.md: the study's answers as Markdown tables (the seed's descriptive table, the matching,
// Q1, Q2, Q3, ground truth when known, the seeds × seeds summary) with the plots linked.
#pragma once

#include <string>
#include <vector>

#include "coact/compare/comparison.h"
#include "coact/core/options.h"

namespace coact::compare {

struct ReportOptions {
  std::string out;          // report.md
  std::string plots_dir;    // "" = <report dir>/plots
  bool plots = true;        // draw them (needs python3 with h5py and matplotlib)
  bool force = false;
  std::string python;       // interpreter ("" = COACT_PYTHON or the build's default)
  std::string tools_dir;    // where plot_graphs.py and plot_compare.py live ("" = COACT_TOOLS_DIR or the source tree)
};

// The options a user sets (coact report's flags, a study's [report] keys).
const options::Table<ReportOptions>& report_table();

// The Markdown text for a comparison; `plots` are paths relative to the report to link.
std::string report_markdown(const ComparisonFile& comparison, const std::vector<std::string>& plots,
                            const std::string& plot_note);

// Draws the plots (when asked and possible) and writes the report atomically. Returns the
// plot files written.
std::vector<std::string> write_report(const ComparisonFile& comparison, const ReportOptions& options);

}  // namespace coact::compare
