#include "run_record.h"

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/activation_writer.h"
#include "model_inputs.h"

namespace coact::app::run {

void record_activations(const Invocation& invocation, const RecordRequest& request) {
  ModelInputOptions inputs;
  inputs.weights = request.model;
  inputs.config = request.model_config;
  inputs.hook = request.hook;
  inputs.tokens = request.tokens;
  inputs.seq_len = request.seq_len;
  inputs.prepend_bos = request.prepend_bos;
  inputs.max_sequences = request.max_sequences;

  RecordStoreOptions options;
  options.out = request.out;
  options.force = request.force;
  options.batch_sequences = request.batch_sequences;
  const auto type = io::store_dtype(request.dtype);
  if (!type) throw ConfigError(str("record.dtype: '", request.dtype, "' is not float32 or float16"));
  options.dtype = *type;
  options.device = request.device;
  options.command_line = request.command_line;
  // The store carries the data stage's fingerprint: a re-submitted run recognises it and skips it.
  options.config_text = request.config_text;
  record_store(invocation, inputs, options);
}

}  // namespace coact::app::run
