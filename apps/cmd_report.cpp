// coact report: report.md (tables and plots) from a comparison file.
#include <iostream>

#include "coact/compare/report.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "commands.h"

namespace coact::app {

int run_report(const Invocation& invocation) {
  CommandLine cli("report", "--compare compare.h5 --out report.md [--no-plots]",
                  "Writes the study's answers as Markdown: the seed's descriptive table (one column per seed), the\n"
                  "feature matching, Q1, Q2 and Q3 with chance levels, ground-truth recovery on synthetic data,\n"
                  "and the plots (tools/plot_graphs.py and tools/plot_compare.py, drawn with python3, h5py and\n"
                  "matplotlib) linked from it.");
  cli.add_output_flags("report to write (report.md); plots go to plots/ beside it");
  auto opt = cli.options().add_options();
  opt("compare", po::value<std::string>()->value_name("FILE"), "comparison written by coact compare");
  opt("plots-dir", po::value<std::string>()->value_name("DIR"), "where to draw the plots (default: plots/ beside the report)");
  opt("no-plots", po::bool_switch(), "write the tables only");
  if (!cli.parse(invocation)) return 0;
  const std::string input = cli.require("compare");
  compare::ReportOptions o;
  o.out = cli.require("out");
  o.force = cli.force();
  o.plots = !cli.get<bool>("no-plots");
  if (cli.has("plots-dir")) o.plots_dir = cli.get<std::string>("plots-dir");
  run_on_root(invocation, [&] {
    const auto plots = compare::write_report(compare::read_comparison(input), o);
    std::cout << "wrote " << o.out << " (" << plots.size() << " plots)" << std::endl;
  });
  return 0;
}

}  // namespace coact::app
