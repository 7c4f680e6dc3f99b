// CE-loss recovered for a coact SAE: the model::HookEdit that replaces a hook's activations by
// the SAE's reconstruction x̂ = z·W_dec + b_dec (z from the SAE's own encoder: ReLU or TopK),
// undoing the input normalisation the SAE was trained with. Lives in apps because it joins the
// model module and the sae module, which does not depend on model.
//
//   sae::Checkpoint checkpoint = sae::read_checkpoint("sae_52.h5", false);
//   SaeReconstruction edit(backend, checkpoint, max_rows);
//   model::CeLossRecovered r = model::ce_loss_recovered(pass, hook, edit, ids, sequences, &comm);
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coact/io/activation_store.h"
#include "coact/model/ce_recovered.h"
#include "coact/model/transformer.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"
#include "coact/sae/sae.h"
#include "model_inputs.h"

namespace coact::app {

class SaeReconstruction final : public model::HookEdit {
 public:
  // Reads the normalisation statistics from the store the SAE was trained on when its
  // checkpoint records a normalisation (InputError when that store cannot be read).
  SaeReconstruction(backend::Backend& backend, const sae::Checkpoint& checkpoint, std::int64_t max_rows);
  void apply(backend::Backend& backend, float* activations, std::int64_t rows, std::int64_t width) override;

 private:
  sae::Sae sae_;
  sae::Encoder encoder_;
  io::Normalisation normalisation_ = io::Normalisation::None;
  float scale_ = 1.0f;             // sqrt(d) / mean norm
  backend::Buffer<float> mean_;    // [d], for center-scale
};

// CE-loss recovered of SAE checkpoints on a model: `coact evaluate`, and `coact train` and
// `coact report` when given --model.
struct SaeEvaluationOptions {
  ModelInputOptions inputs;  // model, config, hook, tokens (see model_inputs.h)
  std::int64_t batch_sequences = 16;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
};

struct SaeEvaluation {
  std::string sae;
  std::string model;  // the model's name
  std::string hook;
  model::CeLossRecovered result;
  double seconds = 0.0;
  std::string line() const;  // "<sae> at <hook> of <model> over N tokens: CE clean ..., ...; CE-loss recovered P%"
};

// Loads the model and tokens once and evaluates each SAE (its width must be the hook's).
// Collective over the world communicator; every rank returns the same results.
std::vector<SaeEvaluation> evaluate_saes(const Invocation& invocation, const SaeEvaluationOptions& options,
                                         const std::vector<std::string>& sae_paths);

// For commands that evaluate what they made or read: --model, --model-config, --hook,
// --eval-tokens, --eval-seq-len, --eval-sequences, --eval-batch-sequences.
void add_evaluation_flags(CommandLine& cli);
// nullopt without --model. Defaults come from `store` (an activation store recorded by coact
// record): its /tokens as the tokens, its hook and sequence length.
std::optional<SaeEvaluationOptions> evaluation_options(const CommandLine& cli, const std::string& store);
// A Markdown section of the evaluations, for report.md.
std::string evaluation_markdown(const std::vector<SaeEvaluation>& evaluations);

}  // namespace coact::app
