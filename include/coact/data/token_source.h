// Token sources for recording and `coact tokenize`: token ids from HDF5 (coact's tokens.h5 or
// any file with a /tokens dataset), llm.c .bin shards, NumPy .npy arrays and raw text through a
// tokenizer; and the cutting of those ids into sequences [S, seq_len] (BOS first, optional
// shuffle) that a model runs on.
//
//   data::TokenReadOptions read;  read.tokenizer = &tokenizer;
//   data::SequenceOptions cut;    cut.seq_len = 128; cut.bos_id = *tokenizer.bos_id();
//   cut.vocab_size = tokenizer.vocab_size();  cut.shuffle_seed = 7;
//   data::TokenSequences seqs = data::load_token_sequences({"a.txt", "b.bin"}, read, cut);
//
// Every problem with a file is an InputError of one line naming the file (and the position and
// id for a bad id).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace coact {
class Progress;
}

namespace coact::data {

class Tokenizer;

enum class TokenFileFormat { Hdf5, LlmcBin, Npy, Text };
const char* to_string(TokenFileFormat format);  // "hdf5", "llm.c bin", "npy", "text"

// By name: .h5/.hdf5 -> Hdf5, .bin -> LlmcBin, .npy -> Npy; any other name by its first bytes
// (the HDF5 signature, the .npy magic, an llm.c magic number), else Text.
TokenFileFormat detect_token_format(const std::string& path);

// The ids of one file or document.
struct TokenArray {
  std::string where;  // "shard_000.bin", "tokens.h5:/documents/3"
  std::vector<std::int32_t> ids;
  // 0: one stream of ids (a document, a shard); > 0: rows of this many positions, i.e.
  // sequences that are already cut (HDF5 [sequences, positions], 2-D .npy).
  std::int64_t row_length = 0;
  std::int64_t rows() const { return row_length > 0 ? static_cast<std::int64_t>(ids.size()) / row_length : 0; }
};

// How much of a file to read (0: all): at least max_tokens ids of a stream, at most max_rows
// rows of a row array.
struct TokenLimits {
  std::int64_t max_tokens = 0;
  std::int64_t max_rows = 0;
};

struct TokenReadOptions {
  const Tokenizer* tokenizer = nullptr;  // required for text files
  TokenLimits limits;
  Progress* progress = nullptr;  // advanced by the bytes of text read
};

// Reads one file in the format detect_token_format() gives. Several arrays come back when a
// tokens.h5 holds /documents (one per document, in index order); one otherwise.
std::vector<TokenArray> read_token_file(const std::string& path, const TokenReadOptions& options);

// The readers behind read_token_file.
//  .bin: llm.c's shards, a header of 256 little-endian int32 (magic, version, token count)
//        then the tokens: magic 20240520 version 1 = uint16 (GPT-2), magic 20240801 version 7
//        = uint32 (Llama 3). The file size must match the count.
//  .npy: format 1.0-3.0, little-endian int8/16/32/64 or uint8/16/32/64, C order, 1-D (a
//        stream) or 2-D (rows); the header and the file size are checked.
//  HDF5: /tokens, 1-D or 2-D, any integer type; else every 1-D dataset under /documents.
//  text: well-formed UTF-8, encoded as one document in blocks (bounded memory).
TokenArray read_llmc_bin(const std::string& path, const TokenLimits& limits = {});
TokenArray read_npy_tokens(const std::string& path, const TokenLimits& limits = {});
std::vector<TokenArray> read_hdf5_tokens(const std::string& path, const TokenLimits& limits = {});
TokenArray read_text_tokens(const std::string& path, const Tokenizer& tokenizer, Progress* progress = nullptr,
                            const TokenLimits& limits = {});

// Throws InputError "<where>: token id <id> at position <p> (row r, position p for rows) is
// negative / is not below the vocabulary size <n>" for the first bad id; vocab_size <= 0
// checks only for negative ids.
void check_token_ids(const TokenArray& tokens, std::int64_t vocab_size);

struct SequenceOptions {
  std::int64_t seq_len = 128;
  bool prepend_bos = true;          // BOS at position 0, then seq_len - 1 ids of the stream
  std::int32_t bos_id = -1;         // required when prepend_bos
  std::int32_t separator_id = -1;   // put between consecutive streams (documents); -1: none
  std::optional<std::uint64_t> shuffle_seed;  // shuffle the sequences (counter-based RNG)
  std::int64_t vocab_size = 0;      // > 0: every id must be below it
  std::int64_t max_sequences = 0;   // keep the first this many sequences (before shuffling); 0: all
};

struct TokenSequences {
  std::vector<std::int32_t> ids;    // [sequences, seq_len], row-major
  std::int64_t sequences = 0;
  std::int64_t seq_len = 0;
  std::int64_t dropped_tokens = 0;  // stream ids at the end too few for a whole sequence
};

// Cuts the arrays, in order, into sequences. Streams are concatenated (with the separator
// between them) and cut into sequences of seq_len ids, or BOS + seq_len - 1 ids; what is left
// at the end of a run of streams is dropped. Row arrays are taken row by row as they are (no
// BOS is added: rows are sequences already), keeping the first seq_len positions of each
// row; a row shorter than seq_len is an error. Then the first max_sequences are kept and, with
// a seed, shuffled (Fisher-Yates on Philox draws: the same seed gives the same order on every
// machine).
TokenSequences make_sequences(const std::vector<TokenArray>& arrays, const SequenceOptions& options);

// read_token_file on each path, then make_sequences; reading stops once max_sequences are
// certain to be complete.
TokenSequences load_token_sequences(const std::vector<std::string>& paths, const TokenReadOptions& read,
                                    const SequenceOptions& options);

}  // namespace coact::data
