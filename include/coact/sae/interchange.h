// SAEs in and out of coact.
//
// Import (auto-detected from the files, or by format):
//   saelens              a SAELens folder (cfg.json + sae_weights.safetensors), or the weights
//                        file with its cfg.json beside it: standard, topk, jumprelu, gated, and the
//                        batchtopk and matryoshka_batchtopk training saves; apply_b_dec_to_input,
//                        normalize_activations, rescale_acts_by_decoder_norm, scaling_factor
//   sparsify             EleutherAI sparsify: a folder with cfg.json + sae.safetensors, or a run
//                        folder of <hookpoint>[/seedN] folders (one coact file per SAE)
//   dictionary-learning  ae.pt + config.json (AutoEncoder, AutoEncoderNew, AutoEncoderTopK,
//                        BatchTopKSAE, MatryoshkaBatchTopKSAE, JumpReluAutoEncoder, GatedAutoEncoder)
//   openai               openai/sparse_autoencoder state dicts (ReLU, or TopK with its LN)
//   gemma-scope          params.npz, or params.safetensors (+ config.json)
//   goodfire             Goodfire's state dicts (encoder_linear, decoder_linear)
//   state-dict           W_enc, b_enc, W_dec, b_dec in a .pt or .safetensors (Neel Nanda's), with
//                        his cfg JSON or none
// A value the encoder cannot represent is refused by file and key; whatever the source does not
// say and coact assumes is logged and stored (import_assumptions), and exact conversions too
// (import_conversions). .pt files go through the restricted unpickler, .npz through the zip and
// .npy readers.
//
// Export: a SAELens folder for every kind (batchtopk and matryoshka as the jumprelu SAEs SAELens
// saves them; scale and center-scale normalisations folded into the weights, so SAELens' own
// encode on raw activations gives coact's codes).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/sae/encoder_spec.h"

namespace coact::sae {

struct ExportOptions {
  std::string format = "saelens";
  std::string model_name;   // SAELens cfg: the model the SAE reads ("" = from the store's source)
  std::string hook_name;    // e.g. blocks.0.mlp.hook_post ("" = from the store's source)
  bool force = false;
};

// Writes <dir>/sae_weights.safetensors and <dir>/cfg.json from a coact SAE file as one
// io::DirectoryOutput: refused without --force if either exists, both moved into place only
// once both are complete. The folder may be created; its parent must exist (UsageError).
void export_saelens(const std::string& sae_file, const std::string& dir, const ExportOptions& options);

const std::vector<std::string>& import_format_names();  // "auto", "saelens", "sparsify", ...

struct ImportOptions {
  std::string format = "auto";
  std::string config;          // a config JSON (SAELens cfg.json, Nanda's cfg, dictionary_learning
                               // config.json); "" = the one beside the weights
  std::int64_t seed = -1;      // -1: from the source (a cfg's seed, a seedN folder), else 0
  double scaling_factor = 0;   // SAELens expected_average_only_in: the factor (0: not given)
};

// Every user field of ImportOptions (coact import's flags).
const options::Table<ImportOptions>& import_table();

struct ImportedFile {
  std::string path;                      // the coact file written
  std::string source;                    // the files read
  EncoderSpec encoder;
  std::int64_t d_in = 0, n_features = 0, seed = 0;
  std::vector<std::string> assumptions;  // as stored in the file
  std::vector<std::string> conversions;
};

// What import_sae(source, out, ...) will write, known before reading any tensor: one file
// (`folder` false), or the files of a sparsify run folder in the folder `out`.
struct ImportPlan {
  bool folder = false;
  std::vector<std::string> files;  // in the folder
};
ImportPlan plan_import(const std::string& source, const ImportOptions& options);

// Reads the SAE at `source` and writes a coact file `out` (parameters, encoder, configuration;
// no optimiser state; marked complete) — or, for a sparsify run folder, the folder `out` with
// one <hookpoint>_sae_<seed>.h5 per SAE, all written or none. Bad input is an InputError
// naming the file and key, before any output exists.
std::vector<ImportedFile> import_sae(const std::string& source, const std::string& out, const ImportOptions& options,
                                     const std::string& command_line, bool force);

}  // namespace coact::sae
