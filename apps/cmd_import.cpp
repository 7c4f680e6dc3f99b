// coact import: an SAE trained elsewhere (SAELens, sparsify, dictionary_learning, OpenAI, Gemma
// Scope, Goodfire, a state dict) as a coact SAE file.
#include <iostream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/sae/interchange.h"
#include "commands.h"

namespace coact::app {

int run_import(const Invocation& invocation) {
  CommandLine cli("import", "--from PATH [--format F] [--cfg FILE] --out sae_<seed>.h5 | --out DIR",
                  "Converts an SAE into a coact sae file (parameters, encoder kind and input normalisation,\n"
                  "marked complete; no optimiser state), so graphs and comparisons can use SAEs trained elsewhere.\n"
                  "The format is recognised from the files (or --format):\n"
                  "  saelens              cfg.json + sae_weights.safetensors (standard, topk, jumprelu, gated,\n"
                  "                       batchtopk, matryoshka_batchtopk)\n"
                  "  sparsify             cfg.json + sae.safetensors; a run folder of <hookpoint>[/seedN] folders\n"
                  "                       becomes --out DIR with one <hookpoint>_sae_<seed>.h5 per SAE\n"
                  "  dictionary-learning  ae.pt + config.json\n"
                  "  openai               openai/sparse_autoencoder state dicts (.pt)\n"
                  "  gemma-scope          params.npz, or params.safetensors + config.json\n"
                  "  goodfire             encoder_linear / decoder_linear state dicts\n"
                  "  state-dict           W_enc, b_enc, W_dec, b_dec (.pt or .safetensors; Neel Nanda's cfg JSON)\n"
                  "A value coact cannot represent is refused by file and key; what the source leaves unsaid is\n"
                  "logged and stored with the SAE (import_assumptions). .pt files are read by a restricted\n"
                  "unpickler that only rebuilds tensors and never runs code.");
  auto add = cli.options().add_options();
  add("from", po::value<std::string>()->value_name("PATH"), "the SAE's folder or file");
  cli.add_table(sae::import_table());
  cli.add_output_flags("coact SAE file to write (a folder for a sparsify run)");
  if (!cli.parse(invocation)) return 0;
  const std::string from = cli.require("from"), out = cli.require("out");
  sae::ImportOptions o;
  sae::import_table().apply(cli.given(sae::import_table()), o, options::flag_labels());
  std::vector<io::LabelledPath> inputs = {{"--from", from}};
  if (!o.config.empty()) inputs.push_back({"--cfg", o.config});
  const sae::ImportPlan plan = sae::plan_import(from, o);
  const auto guard = cli.protect(invocation, inputs,
                                 {plan.folder ? io::OutputSpec::folder("--out", out, plan.files) : io::OutputSpec::file("--out", out)});
  run_on_root(invocation, [&] {
    for (const auto& f : sae::import_sae(from, out, o, cli.command_line(invocation), cli.force()))
      std::cout << f.path << ": " << sae::to_string(f.encoder.kind) << " SAE, d_in " << f.d_in << ", " << f.n_features
                << " features, seed " << f.seed << (f.assumptions.empty() ? "" : " (with assumptions, see the log)")
                << " from " << f.source << "\n";
  });
  return 0;
}

}  // namespace coact::app
