// The [record] stage of `coact run`: model + tokens -> an activation store, through
// `coact record`'s own function (record_store in model_inputs.h, issue 7). This file is the one
// place that connects the two: the [record] keys become record_store's options.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli.h"
#include "coact/backend/backend.h"

namespace coact::app::run {

// What `coact record` needs, as the [record] section gives it.
struct RecordRequest {
  std::string model;         // weights: safetensors or PyTorch .pt
  std::string model_config;  // architecture JSON ("" = config.json beside the weights)
  std::vector<std::string> tokens;  // token files (comma-separated in the key)
  std::string hook = "blocks.0.mlp.hook_post";
  std::int64_t seq_len = 128;
  bool prepend_bos = false;
  std::int64_t max_sequences = 0;    // 0: every sequence of the token files
  std::int64_t batch_sequences = 32;
  std::string dtype = "float32";
  std::string out;           // the activation store to write
  bool force = false;
  backend::DeviceRequest device = backend::DeviceRequest::Auto;
  std::string command_line;  // provenance of the store
  std::string config_text;   // its `config` attribute: how `coact run` recognises a finished store
};

// Records `request.out`, collectively over the world communicator (coact record's code path).
void record_activations(const Invocation& invocation, const RecordRequest& request);

}  // namespace coact::app::run
