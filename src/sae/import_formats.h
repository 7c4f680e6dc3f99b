// The SAE formats coact imports (private to src/sae): one reader per format, each turning the
// files of one SAE into the encoder and tensors coact stores (interchange.h lists the formats).
// A reader refuses, by file and key, every value it cannot represent; it takes every tensor of
// its files or names the one it does not know; what the source does not say and the reader
// assumes goes to `assumptions`, exact conversions (a folded factor, a transposed matrix the
// format stores the other way round does not count) to `conversions`.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "coact/core/json_value.h"
#include "coact/io/tensors.h"
#include "coact/sae/encoder_spec.h"
#include "coact/sae/interchange.h"
#include "coact/sae/sae.h"

namespace coact::sae::detail {

struct ImportedSae {
  std::string name;                      // a sparsify run's hookpoint ("" for one SAE)
  std::int64_t seed = -1;                // what the source says (-1: nothing)
  EncoderSpec encoder;
  SaeTensors params;
  std::string model, hook;               // what the source says it reads ("" when it does not)
  std::string source;                    // the files read
  std::vector<std::string> assumptions;  // defaults assumed where the source is silent
  std::vector<std::string> conversions;  // exact changes of representation
  // Training hyper-parameters the source records, by config_table name ("l1-coeff", "lr", ...).
  std::vector<std::pair<std::string, double>> training;
};

// A tensor file read strictly: a reader takes the tensors it knows (or skips the ones it
// knowingly leaves out), and finish() refuses whatever is left.
class TensorSource {
 public:
  explicit TensorSource(const std::string& path);
  const std::string& path() const { return path_; }
  io::TensorFile& file() { return *file_; }
  bool has(const std::string& name) const { return file_->find(name) != nullptr; }
  // InputError "<file>: no tensor "x" (...)" when absent.
  const io::TensorInfo& info(const std::string& name) const { return file_->info(name); }
  // The values of `name` (shape checked: InputError naming the file, tensor, expected and
  // found shapes), as float32, all finite (InputError naming the element otherwise).
  std::vector<float> take(const std::string& name, const io::Shape& shape);
  // A [rows, cols] tensor as its transpose, [cols, rows] row-major.
  std::vector<float> take_transposed(const std::string& name, std::int64_t rows, std::int64_t cols);
  // A tensor of one element (any shape of numel 1).
  double take_scalar(const std::string& name);
  std::vector<std::int64_t> take_integers(const std::string& name);
  void skip(const std::string& name);
  // InputError naming the first tensor no reader took.
  void finish(const std::string& format) const;

 private:
  std::string path_;
  std::unique_ptr<io::TensorFile> file_;
  std::set<std::string> used_;
};

// SAELens: cfg.json (every version's keys) and sae_weights.safetensors.
ImportedSae read_saelens(const std::string& weights, const std::string& cfg, const ImportOptions& options);
// A state dict with W_enc, b_enc, W_dec, b_dec (Neel Nanda's .pt), with his cfg JSON or none.
ImportedSae read_state_dict(const std::string& weights, const std::string& cfg);
// EleutherAI sparsify: a folder with cfg.json and sae.safetensors.
ImportedSae read_sparsify(const std::string& folder);
// A sparsify run: every hookpoint folder (and seedN folder below it) that holds an SAE, named
// by hookpoint, seed from the folder or the run's config.json. Refuses a run whose SAEs differ
// in width (d_in or num_latents), naming the file and key.
std::vector<std::string> sparsify_run_folders(const std::string& root);
// A run folder's SAE: its hookpoint and seed (cheap: no tensors read), then the SAE itself.
struct RunMember {
  std::string hookpoint;
  std::int64_t seed = 0;
  std::string assumption;  // non-empty when the seed was assumed
  std::string file_name() const;  // "<hookpoint>_sae_<seed>.h5"
};
RunMember sparsify_run_member(const std::string& root, const std::string& folder);
ImportedSae read_sparsify_run_member(const std::string& root, const std::string& folder);
// dictionary_learning: ae.pt and config.json (the trainer's dict_class), or ae.pt alone.
ImportedSae read_dictionary_learning(const std::string& ae_pt, const std::string& config);
// openai/sparse_autoencoder state dicts.
ImportedSae read_openai(const std::string& path);
// Gemma Scope: params.npz, or params.safetensors with config.json.
ImportedSae read_gemma_scope(const std::string& params, const std::string& config);
// Goodfire state dicts.
ImportedSae read_goodfire(const std::string& path);

// SAELens keeps TopK pre-activations scaled by the decoder rows' norms when
// rescale_acts_by_decoder_norm is set; folding the norms into W_enc, b_enc (and a threshold)
// and dividing them out of W_dec gives the same codes with unit decoder rows.
void fold_decoder_norms(SaeTensors& t, std::vector<std::string>& conversions, const std::string& why);

// Checks that every tensor the encoder needs is present with its shape, thresholds are >= 0,
// and the spec fits n; InputError naming `where` otherwise.
void check_imported(const ImportedSae& sae, const std::string& where);

}  // namespace coact::sae::detail
