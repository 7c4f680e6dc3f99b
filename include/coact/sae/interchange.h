// SAEs in and out of coact: SAELens-style directories (sae_weights.safetensors with W_enc
// [d, n], W_dec [n, d], b_enc, b_dec, plus cfg.json) and PyTorch state-dict checkpoints (.pt zip,
// as Neel Nanda's released gelu-1l SAEs are), read through the restricted unpickler.
#pragma once

#include <string>

namespace coact::sae {

struct ExportOptions {
  std::string model_name;   // SAELens cfg: the model the SAE reads ("" = from the store's source)
  std::string hook_name;    // e.g. blocks.0.mlp.hook_post ("" = from the store's source)
  bool force = false;
};

// Writes <dir>/sae_weights.safetensors and <dir>/cfg.json from a coact SAE file as one
// io::DirectoryOutput: refused without --force if either exists, both moved into place only
// once both are complete. The folder may be created; its parent must exist (UsageError).
void export_saelens(const std::string& sae_file, const std::string& dir, const ExportOptions& options);

struct ImportOptions {
  std::string config;          // cfg.json (SAELens) or Nanda's cfg JSON; "" = <dir>/cfg.json if present
  std::int64_t seed = -1;      // -1: from the config ("seed"), else 0
  std::string recipe;          // "" = from the config (topk when it says so), else nanda-1l
  std::string command_line;
  bool force = false;
};

// Reads an SAE from a SAELens directory, a .safetensors file or a .pt state dict and writes a
// coact sae_<seed>.h5 (parameters and configuration; no optimiser state, marked complete).
// Missing tensors and wrong shapes are InputErrors naming the tensor, expected and found.
void import_sae(const std::string& source, const std::string& out, const ImportOptions& options);

}  // namespace coact::sae
