// coact describe FILE: what a coact file is and what it holds; --check also scans and validates
// the data (compare/file_description.h).
#include <iostream>

#include "coact/compare/file_description.h"
#include "commands.h"

namespace coact::app {

int run_describe(const Invocation& invocation) {
  CommandLine cli("describe", "FILE [--check] [--json]",
                  "Says what a coact file is and what it holds: kind, shapes, dtypes, source, provenance and\n"
                  "statistics — activation stores (FILE may be a directory of shards or a glob), SAE files\n"
                  "(d_in, n, recipe, steps, last metrics), graph files (nodes, edges, node datasets) and compare\n"
                  "files (the SAEs and pairs). --check also scans the data and validates it: NaN/Inf reported\n"
                  "with their index, attributes that contradict the data, a CSR that is not symmetric.");
  cli.options().add_options()
      ("file", po::value<std::string>()->value_name("FILE"), "the file (or store) to describe")
      ("check", po::bool_switch(), "scan the data and validate it")
      ("json", po::bool_switch(), "print JSON instead of text");
  cli.positional("file", 1);
  if (!cli.parse(invocation)) return 0;
  const std::string spec = cli.require("file");
  std::string text;
  run_on_root(invocation, [&] {
    const compare::FileDescription d = compare::describe_file(spec, cli.get<bool>("check"));
    text = cli.get<bool>("json") ? d.json + "\n" : d.text();
  });
  if (invocation.mpi.is_root()) std::cout << text << std::flush;
  return 0;
}

}  // namespace coact::app
