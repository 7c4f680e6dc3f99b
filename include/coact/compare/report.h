// report.md: the study's answers as Markdown tables (the seed's descriptive table, the matching,
// Q1, Q2, Q3, ground truth when known, the seeds × seeds summary) with the plots linked.
#pragma once

#include <string>
#include <vector>

#include "coact/compare/comparison.h"
#include "coact/compare/html_report.h"
#include "coact/core/options.h"

namespace coact::compare {

struct ReportOptions {
  std::string out;          // report.md
  std::string plots_dir;    // "" = <report dir>/plots
  bool plots = true;        // draw them (needs python3 with h5py and matplotlib)
  bool force = false;
  std::string python;       // interpreter ("" = COACT_PYTHON or the build's default)
  std::string tools_dir;    // where plot_graphs.py and plot_compare.py live ("" = COACT_TOOLS_DIR or the source tree)
  std::string extra_markdown;  // sections appended to the report (e.g. CE-loss recovered)
  // The interactive HTML folder (compare/html_report.h), written with the report.
  bool html = false;
  std::string html_dir;     // "" = <report dir>/html
  std::string tokenizer;    // tokenizer.json decoding the top-activating contexts ("" = token ids)
  std::int64_t html_tokens = 65536;  // store rows scanned for each SAE's top-activating contexts
  LogitEffectsSource logit_effects;  // the HTML pages' logit effects (set by a caller with a model)
};

// The options a user sets (coact report's flags, a study's [report] keys).
const options::Table<ReportOptions>& report_table();

// The Markdown text for a comparison; `plots` are paths relative to the report to link.
std::string report_markdown(const ComparisonFile& comparison, const std::vector<std::string>& plots,
                            const std::string& plot_note);

// The plot files a report of `comparison` draws (plot_graphs.py's four figures and
// plot_compare.py's two per pair), in the plots folder.
std::vector<std::string> plot_files(const ComparisonFile& comparison);

// Draws the plots (when asked and possible) and writes the report atomically: the plots are
// one io::DirectoryOutput with the report (refused without --force if any of plot_files()
// exists; drawn into a staging folder and moved into place only after the report is written),
// so a second report into the same folder never half-overwrites the first. The plots folder
// may be created; its parent must exist. Returns the plot files written (relative to the
// report).
std::vector<std::string> write_report(const ComparisonFile& comparison, const ReportOptions& options);

}  // namespace coact::compare
