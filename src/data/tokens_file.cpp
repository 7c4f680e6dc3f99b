#include "coact/data/tokens_file.h"

#include <algorithm>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/core/strings.h"
#include "coact/data/token_source.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"
#include "coact/io/provenance.h"

namespace coact::data {

using options::Value;

namespace {

// Bytes of the text inputs, the total of the progress line.
std::int64_t text_bytes(const std::vector<std::string>& inputs) {
  std::int64_t total = 0;
  for (const std::string& path : inputs) {
    if (detect_token_format(path) != TokenFileFormat::Text) continue;
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

// An optional text member as a field value ("" = not set).
std::function<Value(const TokenizeOptions&)> optional_get(std::string TokenizerFiles::*member) {
  return [member](const TokenizeOptions& o) { return (o.tokenizer.*member).empty() ? Value() : Value(o.tokenizer.*member); };
}
std::function<void(TokenizeOptions&, const Value&)> optional_set(std::string TokenizerFiles::*member) {
  return [member](TokenizeOptions& o, const Value& v) { o.tokenizer.*member = options::is_set(v) ? std::get<std::string>(v) : ""; };
}

}  // namespace

const options::Table<TokenizeOptions>& tokenize_table() {
  static const options::Table<TokenizeOptions> table = [] {
    using namespace options;
    using O = TokenizeOptions;
    Table<O> t;
    t.add(text("tokenizer", "tokenizer: tokenizer.json, a .gguf, or BERT's vocab.txt").shown_as("FILE").derived_from("none"),
          optional_get(&TokenizerFiles::tokenizer), optional_set(&TokenizerFiles::tokenizer));
    t.add(text("encoder", "GPT-2 encoder.json (with --merges)").shown_as("FILE").derived_from("none"),
          optional_get(&TokenizerFiles::encoder), optional_set(&TokenizerFiles::encoder));
    t.add(text("merges", "GPT-2 vocab.bpe (with --encoder)").shown_as("FILE").derived_from("none"),
          optional_get(&TokenizerFiles::merges), optional_set(&TokenizerFiles::merges));
    t.add(integer("seq-len", "cut into sequences of this many positions (0: one array per document)").at_least(0)
              .at_most(1048576),
          &O::seq_len);
    t.add(flag("bos", "put the BOS token first (in each sequence, or each document)"), &O::bos);
    t.add(integer("bos-id", "BOS token id").at_least(0).below(2147483648.0, "token ids are int32")
              .derived_from("the tokenizer's, e.g. <|endoftext|>"),
          [](const O& o) { return o.bos_id < 0 ? Value() : Value(o.bos_id); },
          [](O& o, const Value& v) { o.bos_id = options::is_set(v) ? std::get<std::int64_t>(v) : -1; });
    t.add(flag("separator", "with --seq-len: an end-of-text token between documents"), &O::separator);
    t.add(integer("shuffle-seed", "with --seq-len: shuffle the sequences with this seed").at_least(0).derived_from("no shuffle"),
          [](const O& o) { return o.shuffle_seed < 0 ? Value() : Value(o.shuffle_seed); },
          [](O& o, const Value& v) { o.shuffle_seed = options::is_set(v) ? std::get<std::int64_t>(v) : -1; });
    t.add(integer("max-sequences", "with --seq-len: keep the first this many sequences (0: all)").at_least(0), &O::max_sequences);
    return t;
  }();
  return table;
}

TokenizeResult write_tokens_file(const std::vector<std::string>& inputs, const std::string& out, bool force,
                                 const TokenizeOptions& o, const std::string& command_line) {
  tokenize_table().check(o, options::flag_labels());
  if (inputs.empty()) throw UsageError("no --input files");
  if (out.empty()) throw UsageError("no --out file given");
  const std::int64_t seq_len = o.seq_len;
  if (seq_len == 0 && (o.shuffle_seed >= 0 || o.max_sequences != 0))
    throw UsageError("--shuffle-seed and --max-sequences need --seq-len");
  io::require_writable_output(out, force);  // before any work

  io::Provenance provenance{"tokens", command_line, tokenize_table().ini(o, false), {}};
  const std::optional<Tokenizer> tokenizer = load_tokenizer(o.tokenizer, provenance.inputs);
  std::string input_list;
  for (const std::string& path : inputs) input_list += (input_list.empty() ? "" : "\n") + path;
  provenance.inputs["files"] = input_list;

  const bool prepend_bos = o.bos;
  std::int64_t bos = o.bos_id;
  if (bos < 0 && tokenizer && tokenizer->bos_id()) bos = *tokenizer->bos_id();
  const std::int64_t vocab_size = tokenizer ? tokenizer->vocab_size() : 0;
  if (prepend_bos && bos < 0) throw UsageError("the tokenizer names no BOS token: pass --bos-id N or --no-bos");
  if (bos >= 0 && vocab_size > 0 && bos >= vocab_size)
    throw UsageError(str("--bos-id ", bos, " is not below the vocabulary size ", vocab_size));

  const std::int64_t total_text = text_bytes(inputs);
  Progress::Options progress_options;
  progress_options.enabled = total_text > 0;  // token files are read too fast to report on
  Progress progress("tokenize", total_text, "bytes", progress_options);
  TokenReadOptions read;
  read.tokenizer = tokenizer ? &*tokenizer : nullptr;
  read.progress = &progress;

  io::AtomicOutput output(out, force);
  io::File file = io::File::create(output.temporary_path());
  auto attrs = file.attributes();
  attrs.set("tokenizer", tokenizer ? tokenizer->name() : std::string());
  attrs.set("vocab_size", vocab_size);
  attrs.set("bos_id", prepend_bos ? bos : std::int64_t{-1});
  attrs.set("prepend_bos", std::int64_t{prepend_bos ? 1 : 0});
  attrs.set("sequence_length", seq_len);
  TokenizeResult result;

  if (seq_len > 0) {
    SequenceOptions cut;
    cut.seq_len = seq_len;
    cut.prepend_bos = prepend_bos;
    cut.bos_id = static_cast<std::int32_t>(bos);
    if (o.separator && tokenizer && tokenizer->eos_id()) cut.separator_id = *tokenizer->eos_id();
    if (o.shuffle_seed >= 0) cut.shuffle_seed = static_cast<std::uint64_t>(o.shuffle_seed);
    cut.vocab_size = vocab_size;
    cut.max_sequences = o.max_sequences;
    const TokenSequences sequences = load_token_sequences(inputs, read, cut);
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
    result.summary = str(with_commas(sequences.sequences), " sequences × ", seq_len, " positions");
  } else {
    file.create_group("/documents");
    std::int64_t documents = 0, tokens = 0;
    for (const std::string& path : inputs) {
      for (TokenArray& document : read_token_file(path, read)) {
        if (document.row_length > 0) {
          throw UsageError(str(document.where, ": holds sequences [rows, positions]; pass --seq-len to re-cut them"));
        }
        check_token_ids(document, vocab_size);
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
    result.summary = str(with_commas(documents), " documents, ", with_commas(tokens), " tokens");
  }
  progress.finish();
  io::write_provenance(file, provenance);
  file.close();
  output.commit();
  return result;
}

}  // namespace coact::data
