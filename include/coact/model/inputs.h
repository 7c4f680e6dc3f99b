// What recording and evaluating share: the model (weights, config, name, hook) and the token
// inputs (files, tokenizer, sequence cutting), with their options table, and their loading.
// The root loads and validates everything first, so a bad file ends every rank with the
// root's one line; the other ranks then read the (now validated) weights themselves and
// receive the token sequences by broadcast.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/weights.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::model {

struct ModelInputOptions {
  std::string weights;       // --model
  std::string config;        // --model-config ("" = config.json beside the weights)
  std::string model_name;    // --model-name ("" = the config's name, else the weights' stem)
  std::string hook = "blocks.0.mlp.hook_post";
  std::vector<std::string> tokens;
  std::string tokenizer, encoder, merges;  // for text inputs
  std::int64_t seq_len = 128;
  bool prepend_bos = false;
  std::int64_t bos_id = -1;       // -1: the tokenizer's, else the config's bos_token_id
  bool separator = true;          // end-of-text between text documents (when the tokenizer has one)
  std::int64_t shuffle_seed = -1; // -1: no shuffle
  std::int64_t max_sequences = 0; // 0: all
};

// ModelInputOptions' fields (flags of coact record and evaluate; [record] keys of a study).
const options::Table<ModelInputOptions>& model_input_table();

struct ModelInputs {
  ModelInputOptions options;
  std::string config_path;
  std::string model_name;
  TransformerConfig config;
  TransformerWeights weights;
  HookPoint hook;
  std::vector<std::int32_t> ids;  // [sequences, seq_len]
  std::int64_t sequences = 0;
  std::int64_t bos_id = -1;       // the BOS used (-1 without prepend-bos)
  std::map<std::string, std::string> provenance_inputs;  // role -> path
};

// Loads and checks the inputs on every rank of `world` (see above). `root_check` runs on the
// root first (e.g. refusing an existing output before any work). Collective.
ModelInputs load_model_inputs(dist::MpiComm& world, const ModelInputOptions& options,
                              const std::function<void()>& root_check);

// What recording these inputs will write, from the config and the tokens alone (the weights
// are not read): sequences × seq_len rows, each `width` = the hook's width wide. Text inputs are
// tokenised as the recording tokenises them. Throws as load_model_inputs would.
struct PlannedRecording {
  std::int64_t sequences = 0, seq_len = 0, width = 0;
};
PlannedRecording plan_recording(const ModelInputOptions& options);

}  // namespace coact::model
