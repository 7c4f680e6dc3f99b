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
                  "Runs a transformer (GPT-2, Llama/Mistral/Qwen2/SmolLM, GPT-NeoX/Pythia, Gemma/Gemma-2, or BERT;\n"
                  "Hugging Face safetensors, TransformerLens names, PyTorch .pt or GGUF) over token sequences and\n"
                  "records the activations at one hook (TransformerLens names: blocks.L.mlp.hook_post, ...; coact\n"
                  "record --list-hooks --model M lists them) into an activation store with /tokens and /positions. Ranks take fixed blocks of --batch-sequences\n"
                  "sequences and write one file collectively (or one shard each): the store is identical for any\n"
                  "number of ranks. Text inputs are tokenised with --tokenizer or --encoder/--merges.");
  cli.add_output_flags("activation store to write (a file; a directory with --shards)");
  cli.add_compute_flags();
  cli.add_table(model::model_input_table());
  cli.add_table(model::record_store_table());
  cli.options().add_options()("list-hooks", po::bool_switch(), "list the model's hooks (name and width) and exit");
  cli.positional("tokens");
  if (!cli.parse(invocation)) return 0;
  if (cli.get<bool>("list-hooks")) {
    if (!cli.has("model")) throw UsageError("--list-hooks: give --model (and --model-config unless beside it or a GGUF)");
    const std::string config = cli.has("model-config") ? cli.get<std::string>("model-config") : "";
    run_on_root(invocation, [&] { std::cout << model::hook_listing(cli.get<std::string>("model"), config) << std::flush; });
    return 0;
  }

  model::ModelInputOptions inputs;
  model::model_input_table().apply(cli.given(model::model_input_table()), inputs, options::flag_labels());
  model::RecordStoreOptions options;
  model::record_store_table().apply(cli.given(model::record_store_table()), options, options::flag_labels());
  options.out = cli.require("out");
  options.force = cli.force();
  options.device = backend::parse_device_request(cli.device());
  options.command_line = cli.command_line(invocation);
  options.config_text = model::model_input_table().ini(inputs, false) + model::record_store_table().ini(options, false);
  std::vector<io::LabelledPath> read{{"--model", inputs.weights}};
  if (!inputs.config.empty()) read.push_back({"--model-config", inputs.config});
  for (const auto& tokens : inputs.tokens) read.push_back({"--tokens", tokens});
  for (const auto& [flag, path] : {std::pair{"--tokenizer", inputs.tokenizer}, {"--encoder", inputs.encoder}, {"--merges", inputs.merges}})
    if (!path.empty()) read.push_back({flag, path});
  const auto guard = cli.protect(invocation, read,
                                 {options.shards ? io::OutputSpec::folder("--out", options.out, shard_files(invocation.mpi.size()))
                                                 : io::OutputSpec::file("--out", options.out)});
  const model::RecordedStore recorded = model::record_store(invocation.mpi, inputs, options);
  if (invocation.mpi.is_root()) std::cout << recorded.summary() << "\n" << std::flush;
  return 0;
}

}  // namespace coact::app
