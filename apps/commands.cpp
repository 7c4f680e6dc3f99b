#include "commands.h"

namespace coact::app {

const std::vector<CommandEntry>& commands() {
  static const std::vector<CommandEntry> table = {
      {"synth", "write ground-truth synthetic activations (the embedded default data set)", run_synth},
      {"describe", "say what a coact file holds; --check validates its data", run_describe},
      {"info", "print version, backends, libraries, devices, ranks and threads", run_info},
  };
  return table;
}

}  // namespace coact::app
