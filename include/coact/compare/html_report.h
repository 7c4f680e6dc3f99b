// The interactive HTML report (`coact report --html`, `[report] html = true`): one folder whose
// index.html opens from the file system with no server and no network — the study's tables,
// its figures as interactive charts, and a feature explorer over every SAE (search by id or
// top token; a page per feature with its statistics, strongest neighbours, matches in the
// other seeds, nearest nodes by statistics, top-activating contexts and a neighbourhood graph).
//
// Browsers refuse fetch()/XHR of local files, so the data are JavaScript files that register
// themselves when a <script> tag loads them (docs/formats.md, "report html folder"). Features
// are split into blocks of `block_features` (one file each, loaded when a page needs them),
// so a 131,072-feature SAE stays usable and no file is more than a few MB. The scripts and
// the style sheet (share/report/) are compiled into coact; nothing is fetched at run time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/compare/comparison.h"

namespace coact::compare {

// A feature's direct logit effects (eval/feature_effects.h): the tokens its decoder row promotes
// and suppresses most through the model's unembedding.
struct TokenEffect {
  std::int32_t token = 0;
  std::string text;  // decoded, or "#id" without a tokenizer
  double effect = 0;
};
struct FeatureLogitEffects {
  std::vector<TokenEffect> promoted, suppressed;
};
struct LogitEffectsTable {
  std::string hook;
  std::vector<FeatureLogitEffects> features;  // one per feature
};
// Computes every feature's effects for the SAE file given. The eval module owns the model and
// sits above this one, so a caller that has a model passes this in.
using LogitEffectsSource = std::function<LogitEffectsTable(const std::string& sae_path)>;

struct HtmlReportOptions {
  std::string directory;                 // the folder to write (index.html and its data files)
  std::string flag = "--html-dir";       // names the folder in messages
  bool force = false;
  std::string tokenizer;                 // tokenizer.json to decode the stores' tokens ("" = ids)
  std::int64_t scan_tokens = 65536;      // store rows scanned for top-activating contexts (0 = none)
  int contexts = 5;                      // contexts kept per feature
  int context_tokens = 8;                // tokens before the activating one
  int neighbours = 12;                   // strongest neighbours per feature (also the graph view)
  std::int64_t block_features = 1024;    // features per data file
  LogitEffectsSource logit_effects;      // empty: the pages show no logit effects
};

// The files the folder holds for `comparison` (flat names; index.html last).
std::vector<std::string> html_report_files(const ComparisonFile& comparison, const HtmlReportOptions& options);

// Writes the folder as one io::DirectoryOutput (refused without --force when any file exists;
// nothing replaced unless all are written). `markdown` is report.md's text (the tables shown
// on the study page). Returns the files written.
std::vector<std::string> write_html_report(backend::Backend& compute, const ComparisonFile& comparison,
                                           const std::string& markdown, const HtmlReportOptions& options);

// Base64 (RFC 4648, with padding) of raw bytes: typed arrays for the report's scripts.
std::string base64(const void* data, std::size_t bytes);

// The static assets compiled in from share/report/ (name, contents).
const std::vector<std::pair<std::string, std::string>>& html_report_assets();

}  // namespace coact::compare
