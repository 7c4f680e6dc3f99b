// coact tokenize: text (or token files) -> tokens.h5 (data/tokens_file.h). Runs on rank 0 only:
// tokenising is serial.
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/tokens_file.h"
#include "commands.h"

namespace coact::app {

int run_tokenize(const Invocation& invocation) {
  CommandLine cli("tokenize",
                  "(--tokenizer tokenizer.json | --encoder encoder.json --merges vocab.bpe) --input FILE... --out tokens.h5 [options]",
                  "Turns text into token ids with a byte-level BPE tokenizer (GPT-2's encoder.json + vocab.bpe, or a\n"
                  "Hugging Face tokenizer.json: BPE model, ByteLevel/Digits pre-tokenizers, NFC) and writes tokens.h5.\n"
                  "With --seq-len the inputs are joined (the end-of-text token between documents) and cut into\n"
                  "/tokens [sequences, seq-len], BOS first; without it each document is /documents/<index>.\n"
                  "Inputs may also be token files (.bin llm.c shards, .npy, HDF5), which need no tokenizer.");
  cli.add_output_flags("token file to write (tokens.h5)");
  cli.options().add_options()("input", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
                              "text files (UTF-8), one document each; or token files");
  cli.add_table(data::tokenize_table());
  cli.positional("input");
  if (!cli.parse(invocation)) return 0;
  if (!invocation.mpi.is_root()) return 0;
  data::TokenizeOptions o;
  data::tokenize_table().apply(cli.given(data::tokenize_table()), o, options::flag_labels());
  const std::string out = cli.require("out");
  Stopwatch clock;
  const auto result = data::write_tokens_file(cli.has("input") ? cli.get<std::vector<std::string>>("input") : std::vector<std::string>(),
                                              out, cli.force(), o, cli.command_line(invocation));
  log::info("wrote ", out, ": ", result.summary, " in ", human_duration(clock.seconds()));
  return 0;
}

}  // namespace coact::app
