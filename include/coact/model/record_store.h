// `coact record` as a function: loads the model and tokens (model/inputs.h), runs the model
// over them on every rank and writes the activation store. Used by the command and by a
// study's [record] stage.
#pragma once

#include <cstdint>
#include <string>

#include "coact/backend/backend.h"
#include "coact/core/options.h"
#include "coact/io/h5.h"
#include "coact/model/inputs.h"
#include "coact/model/record.h"

namespace coact::dist {
class MpiRuntime;
}

namespace coact::model {

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

// batch-sequences, dtype and shards (flags of coact record, [record] keys).
const options::Table<RecordStoreOptions>& record_store_table();

struct RecordedStore {
  std::string out;
  RecordReport report;
  std::string hook, model_name;
  std::int64_t width = 0, seq_len = 0;
  std::string summary() const;  // "acts.h5: 1,024 rows × 64 of blocks.0.mlp.hook_post (...) in 1.2s, ..."
};

// Collective over the world communicator.
RecordedStore record_store(dist::MpiRuntime& mpi, const ModelInputOptions& inputs, const RecordStoreOptions& options);

}  // namespace coact::model
