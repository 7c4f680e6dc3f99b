// coact tokenize: text (or token files) -> tokens.h5, with a byte-level BPE tokenizer read from
// GPT-2's encoder.json + vocab.bpe or a Hugging Face tokenizer.json. With --seq-len it writes
// /tokens [sequences, positions] (BOS first, optional shuffle), ready for recording; without,
// one /documents/<index> id array per document. Runs on rank 0 only: tokenising is serial.
#include <algorithm>
#include <filesystem>
#include <optional>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/core/timer.h"
#include "coact/data/token_source.h"
#include "coact/data/tokenizer.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "commands.h"

namespace coact::app {
namespace {

std::optional<data::Tokenizer> load_tokenizer(const CommandLine& cli, io::Provenance& provenance) {
  const bool hf = cli.has("tokenizer"), encoder = cli.has("encoder"), merges = cli.has("merges");
  if (hf && (encoder || merges)) throw UsageError("give --tokenizer, or --encoder with --merges, not both");
  if (encoder != merges) throw UsageError("--encoder (encoder.json) and --merges (vocab.bpe) go together");
  if (hf) {
    provenance.inputs["tokenizer"] = cli.get<std::string>("tokenizer");
    return data::Tokenizer::from_hf_json(cli.get<std::string>("tokenizer"));
  }
  if (encoder) {
    provenance.inputs["encoder"] = cli.get<std::string>("encoder");
    provenance.inputs["merges"] = cli.get<std::string>("merges");
    return data::Tokenizer::from_gpt2_files(cli.get<std::string>("encoder"), cli.get<std::string>("merges"));
  }
  return std::nullopt;  // token files only: a text input then asks for a tokenizer
}

// Bytes of the text inputs, the total of the progress line.
std::int64_t text_bytes(const std::vector<std::string>& inputs) {
  std::int64_t total = 0;
  for (const std::string& path : inputs) {
    if (data::detect_token_format(path) != data::TokenFileFormat::Text) continue;
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (!error) total += static_cast<std::int64_t>(size);
  }
  return total;
}

io::DatasetOptions row_chunks(std::int64_t rows, std::int64_t row_length) {
  io::DatasetOptions options;
  if (rows == 0 || row_length == 0) return options;
  // About 1 MiB per chunk: readers take sequences in blocks of rows.
  const std::int64_t chunk_rows = std::clamp<std::int64_t>((std::int64_t{1} << 18) / row_length, 1, rows);
  options.chunk = {chunk_rows, row_length};
  return options;
}

}  // namespace

int run_tokenize(const Invocation& invocation) {
  CommandLine cli("tokenize",
                  "(--tokenizer tokenizer.json | --encoder encoder.json --merges vocab.bpe) --input FILE... --out tokens.h5 [options]",
                  "Turns text into token ids with a byte-level BPE tokenizer (GPT-2's encoder.json + vocab.bpe, or a\n"
                  "Hugging Face tokenizer.json: BPE model, ByteLevel/Digits pre-tokenizers, NFC) and writes tokens.h5.\n"
                  "With --seq-len the inputs are joined (the end-of-text token between documents) and cut into\n"
                  "/tokens [sequences, seq-len], BOS first; without it each document is /documents/<index>.\n"
                  "Inputs may also be token files (.bin llm.c shards, .npy, HDF5), which need no tokenizer.");
  cli.add_output_flags("token file to write (tokens.h5)");
  cli.options().add_options()
      ("tokenizer", po::value<std::string>()->value_name("FILE"), "Hugging Face tokenizer.json")
      ("encoder", po::value<std::string>()->value_name("FILE"), "GPT-2 encoder.json (with --merges)")
      ("merges", po::value<std::string>()->value_name("FILE"), "GPT-2 vocab.bpe (with --encoder)")
      ("input", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
       "text files (UTF-8), one document each; or token files")
      ("seq-len", po::value<std::int64_t>()->default_value(0), "cut into sequences of this many positions (0: one array per document)")
      ("no-bos", po::bool_switch(), "do not put the BOS token first (in each sequence, or each document)")
      ("bos-id", po::value<std::int64_t>(), "BOS token id (default: the tokenizer's, e.g. <|endoftext|>)")
      ("no-separator", po::bool_switch(), "with --seq-len: no end-of-text token between documents")
      ("shuffle-seed", po::value<std::int64_t>(), "with --seq-len: shuffle the sequences with this seed")
      ("max-sequences", po::value<std::int64_t>()->default_value(0), "with --seq-len: keep the first this many sequences (0: all)");
  cli.positional("input");
  if (!cli.parse(invocation)) return 0;
  if (!invocation.mpi.is_root()) return 0;

  io::Provenance provenance{"tokens", cli.command_line(invocation), cli.resolved_config(), {}};
  const std::vector<std::string> inputs = cli.has("input") ? cli.get<std::vector<std::string>>("input") : std::vector<std::string>();
  if (inputs.empty()) throw UsageError("no --input files");
  const std::string out = cli.require("out");
  const std::int64_t seq_len = cli.get<std::int64_t>("seq-len");
  if (seq_len < 0) throw UsageError("--seq-len must be positive (or 0 for one array per document)");
  if (seq_len == 0 && (cli.has("shuffle-seed") || cli.get<std::int64_t>("max-sequences") != 0)) {
    throw UsageError("--shuffle-seed and --max-sequences need --seq-len");
  }
  if (cli.has("shuffle-seed") && cli.get<std::int64_t>("shuffle-seed") < 0) throw UsageError("--shuffle-seed must be >= 0");
  if (cli.get<std::int64_t>("max-sequences") < 0) throw UsageError("--max-sequences must be >= 0");
  io::require_writable_output(out, cli.force());  // before any work

  const std::optional<data::Tokenizer> tokenizer = load_tokenizer(cli, provenance);
  std::string input_list;
  for (const std::string& path : inputs) input_list += (input_list.empty() ? "" : "\n") + path;
  provenance.inputs["files"] = input_list;

  const bool prepend_bos = !cli.get<bool>("no-bos");
  std::int64_t bos = -1;
  if (cli.has("bos-id")) bos = cli.get<std::int64_t>("bos-id");
  else if (tokenizer && tokenizer->bos_id()) bos = *tokenizer->bos_id();
  const std::int64_t vocab_size = tokenizer ? tokenizer->vocab_size() : 0;
  if (prepend_bos && bos < 0) throw UsageError("the tokenizer names no BOS token: pass --bos-id N or --no-bos");
  if (bos >= 0 && (bos > INT32_MAX || (vocab_size > 0 && bos >= vocab_size))) {
    throw UsageError(str("--bos-id ", bos, " is not below the vocabulary size ", vocab_size));
  }

  Stopwatch clock;
  const std::int64_t total_text = text_bytes(inputs);
  Progress::Options progress_options;
  progress_options.enabled = total_text > 0;  // token files are read too fast to report on
  Progress progress("tokenize", total_text, "bytes", progress_options);
  data::TokenReadOptions read;
  read.tokenizer = tokenizer ? &*tokenizer : nullptr;
  read.progress = &progress;

  io::AtomicOutput output(out, cli.force());
  io::File file = io::File::create(output.temporary_path());
  auto attrs = file.attributes();
  attrs.set("tokenizer", tokenizer ? tokenizer->name() : std::string());
  attrs.set("vocab_size", vocab_size);
  attrs.set("bos_id", prepend_bos ? bos : std::int64_t{-1});
  attrs.set("prepend_bos", std::int64_t{prepend_bos ? 1 : 0});
  attrs.set("sequence_length", seq_len);
  std::string summary;

  if (seq_len > 0) {
    data::SequenceOptions cut;
    cut.seq_len = seq_len;
    cut.prepend_bos = prepend_bos;
    cut.bos_id = static_cast<std::int32_t>(bos);
    if (!cli.get<bool>("no-separator") && tokenizer && tokenizer->eos_id()) cut.separator_id = *tokenizer->eos_id();
    if (cli.has("shuffle-seed")) cut.shuffle_seed = static_cast<std::uint64_t>(cli.get<std::int64_t>("shuffle-seed"));
    cut.vocab_size = vocab_size;
    cut.max_sequences = cli.get<std::int64_t>("max-sequences");
    const data::TokenSequences sequences = data::load_token_sequences(inputs, read, cut);
    if (sequences.sequences == 0) {
      throw InputError(str("the inputs hold ", sequences.dropped_tokens, " tokens, fewer than one sequence of ", seq_len,
                           " positions", prepend_bos ? " (BOS included)" : ""));
    }
    file.write_dataset<std::int32_t>("/tokens", sequences.ids, {sequences.sequences, seq_len},
                                     row_chunks(sequences.sequences, seq_len));
    attrs.set("sequences", sequences.sequences);
    attrs.set("dropped_tokens", sequences.dropped_tokens);
    attrs.set("separator_id", std::int64_t{cut.separator_id});
    attrs.set("shuffle_seed", cut.shuffle_seed ? static_cast<std::int64_t>(*cut.shuffle_seed) : std::int64_t{-1});
    summary = str(with_commas(sequences.sequences), " sequences × ", seq_len, " positions");
  } else {
    file.create_group("/documents");
    std::int64_t documents = 0, tokens = 0;
    for (const std::string& path : inputs) {
      for (data::TokenArray& document : data::read_token_file(path, read)) {
        if (document.row_length > 0) {
          throw UsageError(str(document.where, ": holds sequences [rows, positions]; pass --seq-len to re-cut them"));
        }
        data::check_token_ids(document, vocab_size);
        if (prepend_bos) document.ids.insert(document.ids.begin(), static_cast<std::int32_t>(bos));
        io::Dataset dataset = file.write_dataset<std::int32_t>(str("/documents/", documents), document.ids,
                                                              {static_cast<std::int64_t>(document.ids.size())});
        dataset.attributes().set("path", path);
        if (document.where != path) dataset.attributes().set("source", document.where);
        tokens += static_cast<std::int64_t>(document.ids.size());
        ++documents;
      }
    }
    attrs.set("documents", documents);
    summary = str(with_commas(documents), " documents, ", with_commas(tokens), " tokens");
  }
  progress.finish();
  io::write_provenance(file, provenance);
  file.close();
  output.commit();
  log::info("wrote ", out, ": ", summary, " in ", human_duration(clock.seconds()));
  return 0;
}

}  // namespace coact::app
