// coact record: a transformer's activations at one hook over token sequences, into an
// activation store with /tokens and /positions (the input of coact train and coact graph).
#include <iostream>
#include <sstream>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/io/activation_writer.h"
#include "coact/io/atomic_output.h"
#include "coact/model/record.h"
#include "coact/model/transformer.h"
#include "commands.h"
#include "model_inputs.h"

namespace coact::app {

void record_store(const Invocation& invocation, const ModelInputOptions& inputs, const RecordStoreOptions& options) {
  if (options.out.empty()) throw UsageError("no --out store given");
  if (options.batch_sequences < 1) throw UsageError("--batch-sequences must be at least 1");
  // Refuse an existing output before loading anything (sharded outputs are checked when written).
  ModelInputs in = load_model_inputs(invocation, inputs, [&] {
    if (!options.shards) io::require_writable_output(options.out, options.force);
  });

  dist::MpiRuntime& mpi = invocation.mpi;
  std::unique_ptr<backend::Backend> compute = backend::make_backend(options.device, mpi.local_rank());
  const model::Transformer transformer(*compute, in.config, in.weights);
  in.weights = {};  // the device holds them now
  const std::string hook = in.hook.name();
  const std::int64_t width = in.hook.width(in.config), seq_len = inputs.seq_len;
  log::info(in.model_name, ": ", in.config.summary(), "; ", compute->description());
  log::info("recording ", hook, " (width ", width, ") over ", with_commas(in.sequences), " sequences × ", seq_len,
            " tokens on ", mpi.size(), mpi.size() == 1 ? " rank" : " ranks");

  model::RecordOptions record;
  record.out = options.out;
  record.force = options.force;
  record.shards = options.shards;
  record.dtype = options.dtype;
  record.batch_sequences = options.batch_sequences;
  record.source = in.model_name + " " + hook;
  record.provenance = {"activations", options.command_line, options.config_text, in.provenance_inputs};
  record.string_attributes = {{"model", in.model_name}, {"hook", hook}, {"model_format", in.config.format}};
  record.int_attributes = {{"sequences", in.sequences},
                           {"prepend_bos", inputs.prepend_bos ? 1 : 0},
                           {"bos_id", in.bos_id},
                           {"shuffle_seed", inputs.shuffle_seed},
                           {"batch_sequences", options.batch_sequences},
                           {"n_layers", in.config.n_layers},
                           {"d_model", in.config.d_model}};
  const model::RecordReport report =
      model::record_activations(transformer, in.hook, in.ids, in.sequences, seq_len, mpi.world(), record);

  if (mpi.is_root()) {
    std::ostringstream out;
    out << options.out << ": " << with_commas(report.rows) << " rows × " << width << " of " << hook << " ("
        << with_commas(report.sequences) << " sequences × " << seq_len << ") in " << human_duration(report.seconds)
        << ", " << with_commas(static_cast<std::int64_t>(report.tokens_per_second())) << " tokens/s; forward "
        << fixed_with_commas(100.0 * report.forward_seconds / report.seconds, 1) << "%, writing "
        << fixed_with_commas(100.0 * report.write_share(), 1) << "% of the time (rank 0)\n";
    std::cout << out.str() << std::flush;
  }
}

int run_record(const Invocation& invocation) {
  CommandLine cli("record",
                  "--model weights.safetensors|.pt [--model-config config.json] --tokens FILE... --hook NAME --out acts.h5 [options]",
                  "Runs a GPT-2-family transformer (learned positions, pre-LayerNorm blocks, GELU MLP; Hugging Face\n"
                  "GPT-2 or TransformerLens weights) over token sequences and records the activations at one hook\n"
                  "(blocks.L.mlp.hook_post, blocks.L.mlp.hook_pre, blocks.L.hook_resid_pre/mid/post, or logits)\n"
                  "into an activation store with /tokens and /positions. Ranks take fixed blocks of --batch-sequences\n"
                  "sequences and write one file collectively (or one shard each): the store is identical for any\n"
                  "number of ranks. Text inputs are tokenised with --tokenizer or --encoder/--merges.");
  cli.add_output_flags("activation store to write (a file; a directory with --shards)");
  cli.add_compute_flags();
  add_model_flags(cli, "blocks.0.mlp.hook_post");
  cli.options().add_options()
      ("batch-sequences", po::value<std::int64_t>()->default_value(32), "sequences per forward pass (and per write)")
      ("dtype", po::value<std::string>()->default_value("float32"), "stored dtype: float32 or float16")
      ("shards", po::bool_switch(), "write one shard file per rank into the --out directory");
  if (!cli.parse(invocation)) return 0;

  RecordStoreOptions options;
  options.out = cli.require("out");
  options.force = cli.force();
  options.shards = cli.get<bool>("shards");
  options.batch_sequences = cli.get<std::int64_t>("batch-sequences");
  const std::string dtype = cli.get<std::string>("dtype");
  const auto type = io::store_dtype(dtype);
  if (!type) throw UsageError(str("--dtype: '", dtype, "' is not float32 or float16"));
  options.dtype = *type;
  options.device = backend::parse_device_request(cli.device());
  options.command_line = cli.command_line(invocation);
  options.config_text = cli.resolved_config();
  record_store(invocation, model_input_options(cli), options);
  return 0;
}

}  // namespace coact::app
