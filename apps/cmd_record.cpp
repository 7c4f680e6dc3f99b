// coact record: a transformer's activations at one hook over token sequences, into an
// activation store with /tokens and /positions (the input of coact train and coact graph).
#include <iostream>

#include "coact/backend/backend.h"
#include "coact/model/record_store.h"
#include "commands.h"

namespace coact::app {

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
  cli.add_table(model::model_input_table());
  cli.add_table(model::record_store_table());
  cli.positional("tokens");
  if (!cli.parse(invocation)) return 0;

  model::ModelInputOptions inputs;
  model::model_input_table().apply(cli.given(model::model_input_table()), inputs, options::flag_labels());
  model::RecordStoreOptions options;
  model::record_store_table().apply(cli.given(model::record_store_table()), options, options::flag_labels());
  options.out = cli.require("out");
  options.force = cli.force();
  options.device = backend::parse_device_request(cli.device());
  options.command_line = cli.command_line(invocation);
  options.config_text = model::model_input_table().ini(inputs, false) + model::record_store_table().ini(options, false);
  const model::RecordedStore recorded = model::record_store(invocation.mpi, inputs, options);
  if (invocation.mpi.is_root()) std::cout << recorded.summary() << "\n" << std::flush;
  return 0;
}

}  // namespace coact::app
