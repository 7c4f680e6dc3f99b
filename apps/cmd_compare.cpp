// coact compare: match the features of every pair of SAEs and answer Q1–Q3 on their graphs.
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/compare/activation_correlation.h"
#include "coact/compare/comparison.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/sae/checkpoint.h"
#include "commands.h"

namespace coact::app {

int run_compare(const Invocation& invocation) {
  CommandLine cli("compare", "--sae A.h5 B.h5 [...] --graphs GA.h5 GB.h5 [...] --out compare.h5 [options]",
                  "Compares every pair of SAEs: an exact minimum-cost matching of their features on decoder cosines\n"
                  "(the shared fraction at --threshold), then on their co-activation graphs Q1 (distribution\n"
                  "distances against a random baseline, edge Jaccard, rank correlations), Q2 (node-statistic\n"
                  "search) and Q3 (neighbourhood transfer), with chance levels. On synthetic data it also scores\n"
                  "recovery of the true features. Writes compare.h5; `coact report` turns it into report.md.\n"
                  "--match activations matches on the Pearson correlation of the features' activations over the\n"
                  "same tokens instead (SAEs of different models or layers recorded on one token stream): ranks\n"
                  "split the token batches, every SAE encodes them, the sufficient statistics are summed, and the\n"
                  "exact assignment runs on 1 - correlation; for same-model SAEs it also reports how often the\n"
                  "decoder matching agrees.");
  cli.add_output_flags("comparison file to write (compare.h5)");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("sae", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."), "SAE checkpoints (two or more)");
  opt("graphs", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."), "their graphs, same order");
  opt("activations", po::value<std::vector<std::string>>()->multitoken()->value_name("STORE..."),
      "--match activations: one store for all SAEs or one per SAE, same tokens (default: each SAE's training store)");
  cli.add_table(compare::comparison_table());
  cli.add_table(compare::correlation_table());
  if (!cli.parse(invocation)) return 0;

  compare::ComparisonOptions o;
  if (!cli.has("sae")) throw UsageError("missing required option --sae (see coact compare --help)");
  if (!cli.has("graphs")) throw UsageError("missing required option --graphs (see coact compare --help)");
  o.saes = cli.get<std::vector<std::string>>("sae");
  o.graphs = cli.get<std::vector<std::string>>("graphs");
  o.out = cli.require("out");
  o.force = cli.force();
  compare::comparison_table().apply(cli.given(compare::comparison_table()), o, options::flag_labels());
  o.command_line = cli.command_line(invocation);
  compare::ActivationCorrelationOptions c;
  compare::correlation_table().apply(cli.given(compare::correlation_table()), c, options::flag_labels());
  o.config_text = compare::comparison_table().ini(o, false) + compare::correlation_table().ini(c, false);
  if (o.saes.size() < 2) throw UsageError(str("a comparison needs at least two SAEs (got ", o.saes.size(), "): give --sae A.h5 B.h5"));
  std::vector<io::LabelledPath> inputs;
  for (const auto& path : o.saes) inputs.push_back({"--sae", path});
  for (const auto& path : o.graphs) inputs.push_back({"--graphs", path});
  if (cli.has("activations"))
    for (const auto& store : cli.get<std::vector<std::string>>("activations"))
      for (auto& file : io::store_inputs("--activations", store)) inputs.push_back(file);
  if (!o.truth_store.empty())
    for (auto& file : io::store_inputs("--truth", o.truth_store)) inputs.push_back(file);
  const auto guard = cli.protect(invocation, inputs, {io::OutputSpec::file("--out", o.out)});

  Stopwatch clock;
  if (o.pair.match_activations) {
    // Collective: every rank encodes its share of the token batches.
    c.saes = o.saes;
    c.stores = cli.has("activations") ? cli.get<std::vector<std::string>>("activations") : std::vector<std::string>{};
    if (c.stores.empty())
      for (const auto& path : o.saes) c.stores.push_back(sae::read_checkpoint_record(path).data.activations);
    else if (c.stores.size() == 1)
      c.stores.assign(o.saes.size(), c.stores.front());
    if (c.stores.size() != o.saes.size())
      throw UsageError(str("--activations: give one store or one per SAE (", o.saes.size(), " SAEs, ", c.stores.size(), " stores)"));
    c.device = backend::parse_device_request(cli.device());
    o.correlations = compare::activation_correlations(invocation.mpi, c);
  }
  // Collective: every rank takes part in the matching (cost tiles by GEMM over the ranks);
  // the root writes compare.h5 and gets the result.
  const auto compute = backend::make_backend(backend::parse_device_request(cli.device()), invocation.mpi.local_rank());
  const compare::ComparisonFile result = compare::run_comparison(*compute, invocation.mpi.world(), o);
  if (!invocation.mpi.is_root()) return 0;
  std::ostringstream out;
  for (const auto& p : result.pairs) {
    const auto& a = result.saes[static_cast<std::size_t>(p.first)];
    const auto& b = result.saes[static_cast<std::size_t>(p.second)];
    out << "seed " << a.seed << " vs seed " << b.seed << ": shared " << fixed_with_commas(100 * p.values.shared_fraction, 1)
        << "%, JS degree " << fixed_with_commas(p.values.js_degree, 3) << " (random "
        << fixed_with_commas(p.values.js_degree_random, 3) << "), edge Jaccard " << fixed_with_commas(p.values.edge_jaccard, 3)
        << ", Q2 hit@10 " << fixed_with_commas(100 * p.values.q2.hit_at_10, 1) << "% (with centralities "
        << fixed_with_commas(100 * p.values.q2x.hit_at_10, 1) << "%)";
    if (p.values.mean_matched_correlation)
      out << "; activation matching over " << with_commas(static_cast<std::int64_t>(*p.values.correlation_tokens))
          << " tokens, mean matched correlation " << fixed_with_commas(*p.values.mean_matched_correlation, 3);
    if (p.values.agreement_with_decoder)
      out << ", agrees with the decoder matching on " << fixed_with_commas(100 * *p.values.agreement_with_decoder, 1) << "%";
    out << "\n";
  }
  out << "wrote " << o.out << " in " << human_duration(clock.seconds()) << "\n";
  std::cout << out.str() << std::flush;
  return 0;
}

}  // namespace coact::app
