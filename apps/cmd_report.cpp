// coact report: report.md (tables and plots) from a comparison file.
#include <filesystem>
#include <iostream>
#include <optional>
#include <sstream>

#include "coact/compare/comparison.h"
#include "coact/compare/report.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "commands.h"
#include "coact/dist/root.h"
#include "coact/data/tokenizer.h"
#include "coact/eval/evaluation.h"
#include "coact/eval/feature_effects.h"

namespace coact::app {

int run_report(const Invocation& invocation) {
  CommandLine cli("report", "--compare compare.h5 --out report.md [--no-plots] [--html [--tokenizer tokenizer.json]]",
                  "Writes the study's answers as Markdown: the seed's descriptive table (one column per seed), the\n"
                  "feature matching, Q1, Q2 and Q3 with chance levels, ground-truth recovery on synthetic data,\n"
                  "and the plots (tools/plot_graphs.py and tools/plot_compare.py, drawn with python3, h5py and\n"
                  "matplotlib) linked from it. With --model (the transformer the SAEs' store was recorded from),\n"
                  "a section gives each SAE's CE-loss recovered (see coact evaluate). With --html, also an interactive\n"
                  "report (html/index.html, opened from disk): the tables, live charts and a page per feature.");
  cli.add_output_flags("report to write (report.md); plots go to plots/ beside it");
  auto opt = cli.options().add_options();
  opt("compare", po::value<std::string>()->value_name("FILE"), "comparison written by coact compare");
  opt("plots-dir", po::value<std::string>()->value_name("DIR"), "where to draw the plots (default: plots/ beside the report)");
  opt("html-dir", po::value<std::string>()->value_name("DIR"), "where to write the HTML report with --html (default: html/ beside the report)");
  cli.add_table(compare::report_table());
  cli.add_compute_flags();
  cli.add_table(eval::evaluation_table(), "", "Evaluation (with --model)");
  if (!cli.parse(invocation)) return 0;
  const std::string input = cli.require("compare");
  compare::ReportOptions o;
  compare::report_table().apply(cli.given(compare::report_table()), o, options::flag_labels());
  o.out = cli.require("out");
  o.force = cli.force();
  if (cli.has("plots-dir")) o.plots_dir = cli.get<std::string>("plots-dir");
  if (cli.has("html-dir")) o.html_dir = cli.get<std::string>("html-dir");
  eval::EvaluationRequest request;
  eval::evaluation_table().apply(cli.given(eval::evaluation_table()), request, options::flag_labels());
  std::vector<io::LabelledPath> inputs{{"--compare", input}};
  if (!request.model.empty()) inputs.push_back({"--model", request.model});
  for (const auto& tokens : request.tokens) inputs.push_back({"--eval-tokens", tokens});
  const auto guard = cli.protect(invocation, inputs, {io::OutputSpec::file("--out", o.out)});
  // With --model: every rank evaluates the compared SAEs first (collective), on the store of the first.
  std::vector<eval::SaeEvaluation> evaluations;
  if (!request.model.empty()) {
    compare::ComparisonFile comparison;
    run_on_root(invocation, [&] { comparison = compare::read_comparison(input); });
    std::vector<std::string> paths;
    std::string lines;
    if (invocation.mpi.is_root())
      for (const auto& sae : comparison.saes) lines += sae.path + "\n";
    for (const std::string& path : split(dist::broadcast_string(invocation.mpi.world(), lines), '\n'))
      if (!path.empty()) paths.push_back(path);
    std::string store;
    run_on_root(invocation, [&] {
      if (paths.empty()) throw InputError(str(input, ": no SAEs to evaluate"));
      store = sae::read_checkpoint_record(paths.front()).data.activations;
    });
    const auto evaluation = eval::evaluation_options(request, dist::broadcast_string(invocation.mpi.world(), store),
                                                     backend::parse_device_request(cli.device()));
    evaluations = eval::evaluate_saes(invocation.mpi, *evaluation, paths);
  }
  // The evaluation is a section of the report, written with it in one atomic write.
  if (!evaluations.empty()) o.extra_markdown = eval::evaluation_markdown(evaluations);
  if (!request.model.empty() && o.html) {
    // The HTML pages' logit effects: every feature's, through the model's unembedding.
    o.logit_effects = [&](const std::string& sae) {
      std::optional<data::Tokenizer> tokenizer;
      if (!o.tokenizer.empty()) tokenizer.emplace(data::Tokenizer::from_file(o.tokenizer));
      compare::LogitEffectsTable table;
      for (const auto& e : eval::all_feature_effects(sae, 10, request.model, request.model_config, request.hook)) {
        table.hook = e.hook;
        compare::FeatureLogitEffects f;
        for (const auto& [list, out] : {std::pair{&e.positive, &f.promoted}, std::pair{&e.negative, &f.suppressed}})
          for (const auto& [id, value] : *list) {
            const std::int32_t ids[] = {id};
            out->push_back({id, tokenizer ? tokenizer->decode(ids) : str("#", id), value});
          }
        table.features.push_back(std::move(f));
      }
      return table;
    };
  }
  run_on_root(invocation, [&] {
    const auto plots = compare::write_report(compare::read_comparison(input), o);
    std::cout << "wrote " << o.out << " (" << plots.size() << " plots)" << std::endl;
    if (o.html)
      std::cout << "wrote " << (o.html_dir.empty() ? (std::filesystem::path(o.out).parent_path() / "html").string() : o.html_dir)
                << "/index.html" << std::endl;
  });
  return 0;
}

}  // namespace coact::app
