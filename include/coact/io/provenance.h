// Provenance attributes every coact file carries at its root, so any output can be traced to
// the producer, inputs and configuration that made it, and re-run (docs/method.md, Storage).
#pragma once

#include <map>
#include <string>

#include "coact/io/h5.h"

namespace coact::io {

struct Provenance {
  std::string kind;          // "activations", "sae", "graph", "compare", ...
  std::string command_line;  // how it was produced: "coact train --activations ..."
  std::string config;        // the resolved options as INI text (re-runnable with --config)
  std::map<std::string, std::string> inputs;  // role -> "path sha256:<hex>" or a description
};

// Writes coact_kind, producer ("coact <version>"), format_version, created (UTC, ISO 8601),
// command_line, config and input_<role> attributes on the file's root.
void write_provenance(File& file, const Provenance& provenance);

// Now as UTC ISO 8601 ("2026-11-24T08:15:00Z"), the form of the `created` attribute.
std::string utc_now();

// The coact_kind attribute, or "" for a file coact did not write.
std::string file_kind(const File& file);

// Throws InputError "<file>: is a <kind> file, expected a <wanted> file" (or "not a coact file").
void require_kind(const File& file, const std::string& wanted);

// Version of the on-disk layout; bumped when a reader could misread an older file.
inline constexpr std::int64_t kFormatVersion = 1;

}  // namespace coact::io
