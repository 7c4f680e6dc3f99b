// `coact describe` as one library call: what a coact file is and what it holds — activation
// stores (a file, a folder of shards or a glob), SAE, graph and compare files — with the
// provenance and dataset listing every coact file has; with `check`, the whole file is scanned
// and validated by the reader that owns its format (an InputError names the first bad object).
#pragma once

#include <string>
#include <vector>

namespace coact::compare {

struct FileDescription {
  struct Row {
    std::string name, value;
  };
  std::string spec;
  std::string kind;  // "activations", "sae", "graph", "compare", or "" for a foreign file
  std::vector<Row> rows;
  std::string json;  // the same as one JSON object

  std::string text() const;  // "spec\n  name   value\n..."
};

FileDescription describe_file(const std::string& spec, bool check);

}  // namespace coact::compare
