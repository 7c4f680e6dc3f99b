// What `coact record` and `coact evaluate` share: the model flags (weights, config, name, hook)
// and the token flags (files, tokenizer, sequence cutting), and their loading. The root loads
// and validates everything inside run_on_root, so a bad file ends every rank with the root's
// one line; the other ranks then read the (now validated) weights themselves and receive the
// token sequences by broadcast. record_store() is `coact record` as a function, for callers
// such as `coact run`'s [record] stage.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cli.h"
#include "coact/backend/backend.h"
#include "coact/io/h5.h"
#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/weights.h"

namespace coact::app {

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

struct ModelInputs {
  ModelInputOptions options;
  std::string config_path;
  std::string model_name;
  model::TransformerConfig config;
  model::TransformerWeights weights;
  model::HookPoint hook;
  std::vector<std::int32_t> ids;  // [sequences, seq_len]
  std::int64_t sequences = 0;
  std::int64_t bos_id = -1;       // the BOS used (-1 without --prepend-bos)
  std::map<std::string, std::string> provenance_inputs;  // role -> path
};

// The root's `text` on every rank of `comm`.
std::string broadcast_string(dist::Comm& comm, std::string text);

// --model --model-config --model-name --hook --tokens... --tokenizer | --encoder --merges
// --seq-len --prepend-bos --bos-id --no-separator --shuffle-seed --max-sequences. `tokens` is
// also the positional argument.
void add_model_flags(CommandLine& cli, const std::string& default_hook);
ModelInputOptions model_input_options(const CommandLine& cli);

// Loads and checks the inputs on every rank (see above). `root_check` runs on the root first
// (e.g. refusing an existing output before any work).
ModelInputs load_model_inputs(const Invocation& invocation, const ModelInputOptions& options,
                              const std::function<void()>& root_check);

struct RecordStoreOptions {
  std::string out;
  bool force = false;
  bool shards = false;
  io::ElementType dtype = io::ElementType::F32;
  std::int64_t batch_sequences = 32;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;  // provenance: how the store was made
  std::string config_text;   // provenance `config` attribute
};

// `coact record`: loads the inputs, runs the model over them and writes the store. Collective
// over the world communicator; prints the summary line on the root.
void record_store(const Invocation& invocation, const ModelInputOptions& inputs, const RecordStoreOptions& options);

}  // namespace coact::app
