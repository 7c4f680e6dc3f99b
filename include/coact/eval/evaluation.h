// CE-loss recovered for a coact SAE: the model::HookEdit that replaces a hook's activations by
// the SAE's reconstruction x̂ = z·W_dec + b_dec (z from the SAE's own encoder: ReLU or TopK),
// undoing the input normalisation the SAE was trained with; and the evaluation of SAEs on a
// model, with its options table (flags of coact evaluate, train and report).
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
#include "coact/core/options.h"
#include "coact/model/inputs.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::eval {

class SaeReconstruction final : public model::HookEdit {
 public:
  // The SAE's own input normalisation (sae_<seed>.h5) is applied before encoding and undone on
  // the reconstruction.
  SaeReconstruction(backend::Backend& backend, const sae::Checkpoint& checkpoint, std::int64_t max_rows);
  void apply(backend::Backend& backend, float* activations, std::int64_t rows, std::int64_t width) override;

 private:
  sae::Sae sae_;
  sae::Encoder encoder_;
};

// CE-loss recovered of SAE checkpoints on a model: `coact evaluate`, and `coact train` and
// `coact report` when given a model.
struct SaeEvaluationOptions {
  model::ModelInputOptions inputs;  // model, config, hook, tokens (see model/inputs.h)
  std::int64_t batch_sequences = 16;
  // KL divergences of the next-token distributions (each block keeps 2 · rows · vocab floats of
  // logits on the device).
  bool kl = true;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
};

struct SaeEvaluation {
  std::string sae;
  std::string model;  // the model's name
  std::string hook;
  bool encoder = false;  // an encoder model (BERT): no next-token loss, reconstruction metrics only
  model::CeLossRecovered result;
  model::ReconstructionMetrics reconstruction;  // encoders
  double seconds = 0.0;
  // "<sae> at <hook> of <model> over N tokens: CE clean ..., ...; CE-loss recovered P%, KL ..."
  // (an encoder: "... FVU ..., cosine ...; no next-token loss: <model> is an encoder").
  std::string line() const;
};

// batch-sequences and kl (flags of coact evaluate).
const options::Table<SaeEvaluationOptions>& sae_evaluation_table();

// Loads the model and tokens once and evaluates each SAE (its width must be the hook's).
// Collective over the world communicator; every rank returns the same results.
std::vector<SaeEvaluation> evaluate_saes(dist::MpiRuntime& mpi, const SaeEvaluationOptions& options,
                                         const std::vector<std::string>& sae_paths);

// An evaluation a command makes of the SAEs it made or read, when given a model: the model, and
// what to take from the SAEs' activation store unless given (its hook, tokens, sequence length).
struct EvaluationRequest {
  std::string model;          // "" = no evaluation
  std::string model_config;   // "" = config.json beside the model
  std::string hook;           // "" = the store's
  std::vector<std::string> tokens;  // empty = the store's /tokens
  std::int64_t seq_len = 0;   // 0 = the store's sequence length
  std::int64_t sequences = 256;        // 0: all
  std::int64_t batch_sequences = 16;
  bool kl = true;
};
// model, model-config, hook, eval-tokens, eval-seq-len, eval-sequences, eval-batch-sequences, kl.
const options::Table<EvaluationRequest>& evaluation_table();

// nullopt without a model. Fills what the request leaves out from `store` (an activation store
// recorded by coact record); UsageError when the store cannot say.
std::optional<SaeEvaluationOptions> evaluation_options(const EvaluationRequest& request, const std::string& store,
                                                       backend::DeviceRequest device);
// A Markdown section of the evaluations, for report.md.
std::string evaluation_markdown(const std::vector<SaeEvaluation>& evaluations);

}  // namespace coact::eval
