#include "coact/compare/report.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

#include "coact/compare/html_report.h"
#include "coact/compare/stability.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/markdown.h"
#include "coact/core/strings.h"
#include "coact/graph/summary_table.h"
#include "coact/io/atomic_output.h"
#include "coact/io/directory_output.h"
#include "coact/version.h"

#ifndef COACT_DEFAULT_PYTHON
#define COACT_DEFAULT_PYTHON "/usr/bin/python3"
#endif
#ifndef COACT_DEFAULT_TOOLS_DIR
#define COACT_DEFAULT_TOOLS_DIR ""
#endif

namespace coact::compare {

const options::Table<ReportOptions>& report_table() {
  static const options::Table<ReportOptions> table = [] {
    using namespace options;
    Table<ReportOptions> t;
    t.add(flag("plots", "draw the plots (python3 with h5py and matplotlib)"), &ReportOptions::plots);
    t.add(flag("html", "also write the interactive HTML report (a folder beside the report: html/)"), &ReportOptions::html);
    t.add(integer("html-tokens", "store rows scanned for each feature's top-activating contexts in the HTML report (0: none)")
              .at_least(0).at_most(1e12),
          &ReportOptions::html_tokens);
    t.add(text("tokenizer", "tokenizer.json decoding the HTML report's contexts").shown_as("FILE").derived_from("token ids"),
          [](const ReportOptions& o) { return o.tokenizer.empty() ? Value() : Value(o.tokenizer); },
          [](ReportOptions& o, const Value& v) { o.tokenizer = is_set(v) ? std::get<std::string>(v) : std::string(); });
    return t;
  }();
  return table;
}

namespace fs = std::filesystem;

namespace {

std::string pct(double x) { return std::isfinite(x) ? fixed_with_commas(100.0 * x, 1) + "%" : "n/a"; }
std::string num(double x, int decimals = 3) { return fixed_with_commas(x, decimals); }

// A number the file may not hold (activation matching, ground truth): NaN prints as n/a.
double optional(const std::optional<double>& x) { return x.value_or(std::nan("")); }

// A number of the pair by its name in compare.h5 (the seeds × seeds tables).
double value(const ComparedPair& p, const std::string& key) {
  const PairSummaryField* field = find_pair_summary_field(key);
  return field ? field->get(p.values).value_or(std::nan("")) : std::nan("");
}

std::string name_of(const ComparedSae& s) { return str("seed ", s.seed); }
std::string pair_name(const ComparisonFile& c, const ComparedPair& p) {
  return name_of(c.saes[static_cast<std::size_t>(p.first)]) + " vs " + name_of(c.saes[static_cast<std::size_t>(p.second)]);
}

// "0.412 (chance 0.001)"
std::string with_chance(double observed, double chance, bool percent) {
  return percent ? str(pct(observed), " (", pct(chance), ")") : str(num(observed), " (", num(chance), ")");
}

// Runs a program with arguments; returns its exit status (-1 if it could not start).
int run_program(const std::vector<std::string>& argv) {
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // The scripts list the files they drew, at their staging paths: not for the user.
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

std::string report_markdown(const ComparisonFile& c, const std::vector<std::string>& plots, const std::string& plot_note) {
  std::string out;
  out += "# coact report\n\n";
  out += str("Written by coact ", COACT_VERSION_STRING, " from `", c.path, "`: ", c.saes.size(),
             " SAEs, every pair compared. Features are matched by an exact minimum-cost assignment on decoder\n"
             "cosines; a matched pair is *shared* when its decoder cosine is at least ",
             num(c.threshold, 2), ". Chance levels are in parentheses.\n\n");

  out += "## Descriptive statistics of the co-activation graphs\n\n";
  {
    std::vector<std::string> names;
    std::vector<graph::GraphSummary> summaries;
    for (const auto& s : c.saes) {
      names.push_back(name_of(s));
      summaries.push_back(s.graph);
    }
    out += graph::seed_table_markdown(names, summaries) + "\n";
  }

  out += "## Feature matching\n\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs)
      rows.push_back({pair_name(c, p), p.method + (p.values.certified > 0 ? " (certified)" : ""),
                      str(with_commas(static_cast<std::int64_t>(p.values.shared_features)), " (", pct(p.values.shared_fraction), ")"),
                      num(p.values.mean_matched_cosine)});
    out += markdown_table({"Pair", "Matching", "Shared features", "Mean matched decoder cosine"}, rows) + "\n";
  }
  if (c.match == "activations") {
    out += "Matched on activations: the exact assignment on 1 − Pearson correlation of the two SAEs' feature\n"
           "activations over the same tokens; a pair is shared when its correlation reaches the threshold. For SAEs of\n"
           "one activation space, agreement is the share of features whose activation match is also their decoder\n"
           "match.\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs)
      rows.push_back({pair_name(c, p), with_commas(static_cast<std::int64_t>(optional(p.values.correlation_tokens))),
                      num(optional(p.values.mean_matched_correlation)), pct(optional(p.values.agreement_with_decoder)),
                      pct(optional(p.values.agreement_with_decoder_shared))});
    out += markdown_table({"Pair", "Tokens", "Mean matched correlation", "Agreement with decoder matching",
                           "Agreement (shared)"},
                          rows) +
           "\n";
  }

  out += "## Q1. Do SAEs with different seeds have similar co-activation graphs?\n\n";
  out += "Jensen–Shannon distance (natural log) between the graphs' degree and strength distributions, against\n"
         "the same distance from the first graph to an Erdős–Rényi G(n, m) graph of the second's size; edge\n"
         "Jaccard of the first graph's edges carried through the matching; Spearman correlations of node\n"
         "statistics across all matched pairs (shared pairs only in parentheses).\n\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs)
      rows.push_back({pair_name(c, p), str(num(p.values.js_degree), " (random ", num(p.values.js_degree_random), ")"),
                      str(num(p.values.js_strength), " (random ", num(p.values.js_strength_random), ")"),
                      num(p.values.edge_jaccard),
                      str(num(p.values.spearman_degree), " (", num(p.values.spearman_degree_shared), ")"),
                      str(num(p.values.spearman_strength), " (", num(p.values.spearman_strength_shared), ")"),
                      str(num(p.values.spearman_frequency), " (", num(p.values.spearman_frequency_shared), ")")});
    out += markdown_table({"Pair", "JS degree", "JS strength", "Edge Jaccard", "Spearman degree", "Spearman strength",
                           "Spearman frequency"},
                          rows) +
           "\n";
  }

  out += "## Q2. Can node statistics in one graph find a feature's counterpart in the other?\n\n";
  out += "Each shared feature's standardised statistics (log degree, strength, log frequency, clustering, log\n"
         "component size, mean neighbour degree) rank every node of the other graph; where does its match land?\n\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs)
      rows.push_back({pair_name(c, p), with_commas(static_cast<std::int64_t>(static_cast<double>(p.values.q2.queries))),
                      with_chance(p.values.q2.hit_at_1, p.values.q2.chance_hit_at_1, true),
                      with_chance(p.values.q2.hit_at_10, p.values.q2.chance_hit_at_10, true),
                      with_chance(p.values.q2.hit_at_100, p.values.q2.chance_hit_at_100, true),
                      with_chance(p.values.q2.mrr, p.values.q2.chance_mrr, false),
                      str(num(p.values.q2.median_rank, 0), " (", num(p.values.q2.chance_median_rank, 0), ")")});
    out += markdown_table({"Pair", "Queries", "hit@1", "hit@10", "hit@100", "MRR", "Median rank"}, rows) + "\n";
  }
  if (!c.pairs.empty() && c.pairs.front().values.q2x.queries > 0) {
    out += "With centralities: the same search with log(1 + k-core number), log(n · PageRank) and log(1 + n ·\n"
           "betweenness) added to the statistic vectors. Do they help?\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs) {
      const double before = p.values.q2.hit_at_10, after = p.values.q2x.hit_at_10;
      rows.push_back({pair_name(c, p), str(pct(p.values.q2.hit_at_1), " -> ", pct(p.values.q2x.hit_at_1)),
                      str(pct(before), " -> ", pct(after)),
                      str(pct(p.values.q2.hit_at_100), " -> ", pct(p.values.q2x.hit_at_100)),
                      str(num(p.values.q2.mrr), " -> ", num(p.values.q2x.mrr)),
                      after > before ? "yes" : after < before ? "no (worse)" : "no change"});
    }
    out += markdown_table({"Pair", "hit@1", "hit@10", "hit@100", "MRR", "hit@10 improved"}, rows) + "\n";
  }

  out += "## Q3. How does one feature help identify related features?\n\n";
  out += "For shared pairs (f, f′): the share of f's neighbours whose match is a neighbour of f′, and the search for\n"
         "each neighbour's match inside f′'s neighbourhood only, against the same neighbours searched globally.\n\n";
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs)
      rows.push_back({pair_name(c, p), with_commas(static_cast<std::int64_t>(p.values.q3_pairs)),
                      with_chance(p.values.q3_neighbour_overlap, p.values.q3_chance_overlap, true),
                      with_chance(p.values.q3_restricted.hit_at_1, p.values.q3_restricted.chance_hit_at_1, true),
                      with_chance(p.values.q3_restricted.hit_at_10, p.values.q3_restricted.chance_hit_at_10, true),
                      with_chance(p.values.q3_global.hit_at_1, p.values.q3_global.chance_hit_at_1, true),
                      with_chance(p.values.q3_global.hit_at_10, p.values.q3_global.chance_hit_at_10, true)});
    out += markdown_table({"Pair", "Shared pairs", "Neighbours transferred", "Neighbourhood hit@1", "Neighbourhood hit@10",
                           "Global hit@1", "Global hit@10"},
                          rows) +
           "\n";
  }

  {
    // Communities stored in the graph files by `coact communities` (absent: no section).
    std::vector<std::vector<std::string>> rows;
    for (const auto& sae : c.saes)
      for (const auto& stored : sae.communities) {
        if (!std::isfinite(stored.modularity)) continue;
        rows.push_back({name_of(sae), stored.method == "louvain" ? "Louvain" : "label propagation",
                        with_commas(static_cast<std::int64_t>(stored.communities)), num(stored.modularity),
                        std::isfinite(stored.truth_adjusted_rand) ? num(stored.truth_adjusted_rand) : "–",
                        std::isfinite(stored.truth_nmi) ? num(stored.truth_nmi) : "–"});
      }
    if (!rows.empty()) {
      out += "## Communities\n\n";
      out += "Communities stored in the graph files by `coact communities`; on synthetic data scored against the\n"
             "planted groups of true features (adjusted Rand index, NMI; – when not scored).\n\n";
      out += markdown_table({"SAE", "Method", "Communities", "Modularity", "Adjusted Rand", "NMI"}, rows) + "\n";
    }
  }

  if (c.has_truth && !c.pairs.empty()) {
    out += "## Ground truth (synthetic data)\n\n";
    out += "A true feature is recovered when some SAE feature's decoder row has cosine >= 0.9 with it; matched pairs\n"
           "agree when both features hit the same true feature.\n\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& p : c.pairs) {
      const double total = optional(p.values.truth_features);
      rows.push_back({pair_name(c, p),
                      str(with_commas(static_cast<std::int64_t>(optional(p.values.truth_recovered_first))), " / ", with_commas(static_cast<std::int64_t>(total)),
                          " (MMCS ", num(optional(p.values.truth_mmcs_first)), ")"),
                      str(with_commas(static_cast<std::int64_t>(optional(p.values.truth_recovered_second))), " / ", with_commas(static_cast<std::int64_t>(total)),
                          " (MMCS ", num(optional(p.values.truth_mmcs_second)), ")"),
                      with_commas(static_cast<std::int64_t>(optional(p.values.truth_both_hit))),
                      str(with_commas(static_cast<std::int64_t>(optional(p.values.truth_same))), " (",
                          pct(optional(p.values.truth_both_hit) > 0 ? optional(p.values.truth_same) / optional(p.values.truth_both_hit) : std::nan("")), ")")});
    }
    out += markdown_table({"Pair", "Recovered by first", "Recovered by second", "Matched pairs hitting truth",
                           "Same true feature"},
                          rows) +
           "\n";
  }

  if (c.saes.size() > 2) {
    out += "## Seeds × seeds\n\n";
    for (const auto& [key, title] : std::vector<std::pair<std::string, std::string>>{
             {"shared_fraction", "Shared fraction"}, {"js_degree", "JS distance of degree distributions"},
             {"edge_jaccard", "Edge Jaccard"}, {"q2_hit_at_10", "Q2 hit@10"}}) {
      out += "**" + title + "**\n\n";
      std::vector<std::string> header{""};
      for (const auto& s : c.saes) header.push_back(name_of(s));
      std::vector<std::vector<std::string>> rows;
      for (std::size_t i = 0; i < c.saes.size(); ++i) {
        std::vector<std::string> row{name_of(c.saes[i])};
        for (std::size_t j = 0; j < c.saes.size(); ++j) {
          std::string cell = "–";
          for (const auto& p : c.pairs)
            if ((static_cast<std::size_t>(p.first) == i && static_cast<std::size_t>(p.second) == j) ||
                (static_cast<std::size_t>(p.first) == j && static_cast<std::size_t>(p.second) == i))
              cell = key == "shared_fraction" || key == "q2_hit_at_10" ? pct(value(p, key)) : num(value(p, key));
          row.push_back(cell);
        }
        rows.push_back(std::move(row));
      }
      out += markdown_table(header, rows) + "\n";
    }
  }

  {
    // Feature stability across seeds, when the comparison stored it.
    std::error_code ec;
    if (fs::exists(c.path, ec))
      if (const auto stability = read_stability(c.path)) {
        std::vector<std::int64_t> seeds;
        for (const auto& s : c.saes) seeds.push_back(s.seed);
        out += stability_markdown(*stability, seeds);
      }
  }

  out += "## Plots\n\n";
  if (plots.empty()) out += plot_note.empty() ? "No plots were drawn.\n" : plot_note + "\n";
  for (const auto& plot : plots) out += str("![", fs::path(plot).stem().string(), "](", plot, ")\n\n");
  return out;
}

std::vector<std::string> plot_files(const ComparisonFile& c) {
  // tools/plot_graphs.py's four figures, then tools/plot_compare.py's two per pair, named by
  // the pair's seeds ("seed52_seed55"; "sae0_sae1" when two SAEs share a seed), and its two
  // stability figures (drawn when the comparison stored /stability).
  std::vector<std::string> names{"degree_dist.png", "log_deg_dist.png", "freq_dist.png", "feat_deg_vs_frq.png"};
  bool distinct = true;
  for (std::size_t i = 0; i < c.saes.size(); ++i)
    for (std::size_t j = i + 1; j < c.saes.size(); ++j) distinct = distinct && c.saes[i].seed != c.saes[j].seed;
  for (const auto& p : c.pairs) {
    const std::string label = distinct ? str("seed", c.saes[static_cast<std::size_t>(p.first)].seed, "_seed",
                                             c.saes[static_cast<std::size_t>(p.second)].seed)
                                       : str("sae", p.first, "_sae", p.second);
    names.push_back(str("matched_degree_", label, ".png"));
    names.push_back(str("decoder_cosine_", label, ".png"));
  }
  names.push_back("stability_shared_fraction.png");
  names.push_back("stability_counts.png");
  return names;
}

std::vector<std::string> write_report(const ComparisonFile& c, const ReportOptions& o) {
  io::require_writable_output(o.out, o.force);
  const fs::path report_dir = fs::path(o.out).parent_path();
  if (o.html && !o.force) {  // refused before any plot is drawn
    const fs::path html_dir = o.html_dir.empty() ? report_dir / "html" : fs::path(o.html_dir);
    std::error_code ec;
    for (const auto& name : html_report_files(c, {}))
      if (fs::exists(html_dir / name, ec))
        throw OutputExistsError(str(o.html_dir.empty() ? "--out's html folder" : "--html-dir", " ", html_dir.string(), ": ", name,
                                    " exists; pass --force to overwrite the files in this folder"));
  }
  const fs::path plots_dir = o.plots_dir.empty() ? report_dir / "plots" : fs::path(o.plots_dir);
  // The plots are one output with the report: drawn into a staging folder, moved into place
  // only once the report is written too, and refused without --force when any exists.
  std::optional<io::DirectoryOutput> plot_output;
  std::vector<std::string> plots;
  std::string note;
  if (o.plots) {
    plot_output.emplace(o.plots_dir.empty() ? "--out's plots folder" : "--plots-dir", plots_dir.string(),
                        plot_files(c), o.force);
    const std::string staging = plot_output->staging_directory();
    const char* env_python = std::getenv("COACT_PYTHON");
    const char* env_tools = std::getenv("COACT_TOOLS_DIR");
    const std::string python = !o.python.empty() ? o.python : env_python ? env_python : COACT_DEFAULT_PYTHON;
    const std::string tools = !o.tools_dir.empty() ? o.tools_dir : env_tools ? env_tools : COACT_DEFAULT_TOOLS_DIR;
    std::error_code ec;
    std::vector<std::string> graphs;
    for (const auto& s : c.saes) graphs.push_back(s.graph_path);
    std::vector<std::string> graph_args{python, (fs::path(tools) / "plot_graphs.py").string(), "--out", staging};
    graph_args.insert(graph_args.end(), graphs.begin(), graphs.end());
    const std::vector<std::string> compare_args{python, (fs::path(tools) / "plot_compare.py").string(), "--out", staging,
                                                c.path};
    if (!fs::exists(python, ec) || !fs::exists(graph_args[1], ec)) {
      note = str("Plots were not drawn: ", python, " or ", graph_args[1], " was not found (set COACT_PYTHON / COACT_TOOLS_DIR).");
    } else if (run_program(graph_args) != 0 || run_program(compare_args) != 0) {
      note = "Plots were not drawn: the plotting scripts failed (they need h5py and matplotlib).";
    } else {
      for (const auto& name : plot_output->files())
        if (fs::exists(fs::path(staging) / name, ec))
          plots.push_back(fs::relative(plots_dir / name, report_dir.empty() ? "." : report_dir, ec).string());
      std::sort(plots.begin(), plots.end());
    }
    if (!note.empty()) log::warn(note);
  }
  io::AtomicOutput output(o.out, o.force);
  const std::string markdown = report_markdown(c, plots, note);
  {
    std::ofstream stream(output.temporary_path(), std::ios::binary);
    stream << markdown << o.extra_markdown;
    stream.close();
    if (!stream) throw IoError(str(o.out, ": writing failed"));
  }
  if (o.html) {
    HtmlReportOptions h;
    h.directory = o.html_dir.empty() ? (report_dir / "html").string() : o.html_dir;
    h.flag = o.html_dir.empty() ? "--out's html folder" : "--html-dir";
    h.force = o.force;
    h.tokenizer = o.tokenizer;
    h.scan_tokens = o.html_tokens;
    h.logit_effects = o.logit_effects;
    const auto compute = backend::make_backend(backend::DeviceRequest::Auto, 0);
    write_html_report(*compute, c, markdown, h);
  }
  // The HTML folder and the plots first, then the report that links them.
  if (plot_output && !plots.empty()) plot_output->commit_written();
  output.commit();
  return plots;
}

}  // namespace coact::compare
