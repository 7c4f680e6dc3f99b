// coact evaluate: CE-loss recovered of SAEs at their hook.
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/eval/evaluation.h"
#include "commands.h"

namespace coact::app {

int run_evaluate(const Invocation& invocation) {
  CommandLine cli("evaluate", "--model weights.safetensors|.pt [--model-config config.json] --sae sae_52.h5... --tokens FILE... [options]",
                  "Measures how much of the model's next-token loss an SAE keeps at its hook: the mean cross-entropy\n"
                  "of the clean model, with the hook's activations replaced by the SAE's reconstruction, and with\n"
                  "them zero-ablated; CE-loss recovered = (CE_zero - CE_sae) / (CE_zero - CE_clean), and the KL\n"
                  "divergences of the next-token distributions from the clean model's (--no-kl skips them); for an\n"
                  "encoder (BERT) the reconstruction's FVU and cosine, as it has no next-token loss. Ranks take\n"
                  "blocks of --batch-sequences sequences; the result does not depend on their number. SAEs from\n"
                  "SAELens or .pt files: coact import first.");
  cli.add_compute_flags();
  cli.add_table(model::model_input_table());
  cli.positional("tokens");
  cli.options().add_options()("sae", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
                              "SAE checkpoints (sae_<seed>.h5)");
  cli.add_table(eval::sae_evaluation_table());
  if (!cli.parse(invocation)) return 0;
  if (!cli.has("sae")) throw UsageError("missing required option --sae (see coact evaluate --help)");
  eval::SaeEvaluationOptions options;
  model::model_input_table().apply(cli.given(model::model_input_table()), options.inputs, options::flag_labels());
  eval::sae_evaluation_table().apply(cli.given(eval::sae_evaluation_table()), options, options::flag_labels());
  options.device = backend::parse_device_request(cli.device());
  const auto results = eval::evaluate_saes(invocation.mpi, options, cli.get<std::vector<std::string>>("sae"));
  if (invocation.mpi.is_root()) {
    std::ostringstream out;
    for (const eval::SaeEvaluation& e : results) out << e.line() << "\n";
    std::cout << out.str() << std::flush;
  }
  return 0;
}

}  // namespace coact::app
