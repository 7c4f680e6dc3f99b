#include "commands.h"

namespace coact::app {

const std::vector<CommandEntry>& commands() {
  static const std::vector<CommandEntry> table = {
      {"run", "a whole study from one INI file (--config), skipping finished stages; for batch jobs", run_run},
      {"plan", "what a study needs per rank on P ranks (memory, communication), before submitting it", run_plan},
      {"demo", "the whole study on synthetic data: synth, train two seeds, graphs, compare, report", run_demo},
      {"synth", "write ground-truth synthetic activations (the embedded default data set)", run_synth},
      {"train", "train SAEs for one or more seeds, data-parallel (nanda-1l, topk, batchtopk, jumprelu, matryoshka)", run_train},
      {"graph", "build an SAE's co-activation graph over an activation store (distributed)", run_graph},
      {"encode", "write an SAE's sparse codes over an activation store (codes.h5, CSR; distributed)", run_encode},
      {"compare", "match features between SAEs and answer Q1-Q3 on their graphs (compare.h5)", run_compare},
      {"report", "write report.md with the study's tables and plots from compare.h5", run_report},
      {"inspect", "a feature's card: statistics, neighbours, matches in other seeds, top tokens", run_inspect},
      {"describe", "say what a coact file holds; --check validates its data", run_describe},
      {"info", "print version, backends, libraries, devices, ranks and threads", run_info},
      {"stats", "descriptive statistics of graph files (the seed study's table)", run_stats},
      {"export", "write a graph as GraphML or an edge list, or an SAE as a SAELens directory", run_export},
      {"import", "read an SAE from SAELens, sparsify, dictionary_learning, OpenAI, Gemma Scope, Goodfire", run_import},
      {"path", "shortest path(s) between two features of a graph (hops or 1 - weight; Yen for k paths)", run_path},
      {"communities", "label propagation and Louvain communities, stored in the graph file and scored", run_communities},
      {"centrality", "k-core numbers, PageRank and betweenness of every feature, stored in the graph file", run_centrality},
      {"tokenize", "turn text into token ids (GPT-2 / Hugging Face byte-level BPE) in tokens.h5", run_tokenize},
      {"record", "run a GPT-2-family transformer over tokens and record a hook's activations", run_record},
      {"evaluate", "CE-loss recovered of an SAE at a hook: clean, SAE-replaced and zero-ablated losses", run_evaluate},
  };
  return table;
}

}  // namespace coact::app
