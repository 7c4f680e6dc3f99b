#include "commands.h"

namespace coact::app {

const std::vector<CommandEntry>& commands() {
  static const std::vector<CommandEntry> table = {
      {"synth", "write ground-truth synthetic activations (the embedded default data set)", run_synth},
      {"describe", "say what a coact file holds; --check validates its data", run_describe},
      {"info", "print version, backends, libraries, devices, ranks and threads", run_info},
      {"stats", "descriptive statistics of graph files (the seed study's table)", run_stats},
      {"export", "write a graph file as GraphML or a weighted edge list", run_export},
      {"tokenize", "turn text into token ids (GPT-2 / Hugging Face byte-level BPE) in tokens.h5", run_tokenize},
  };
  return table;
}

}  // namespace coact::app
