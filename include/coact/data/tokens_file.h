// tokens.h5, as `coact tokenize` writes it (docs/formats.md): with a sequence length, the inputs
// joined (the end-of-text token between documents) and cut into /tokens [sequences, seq_len],
// BOS first, optionally shuffled; without, one /documents/<index> id array per document. Its
// reader is data/token_source.h.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "coact/core/options.h"
#include "coact/data/tokenizer_inputs.h"

namespace coact::data {

struct TokenizeOptions {
  TokenizerFiles tokenizer;
  std::int64_t seq_len = 0;            // 0: one array per document
  bool bos = true;                     // put the BOS token first (in each sequence, or each document)
  std::int64_t bos_id = -1;            // -1: the tokenizer's
  bool separator = true;               // with seq_len: end-of-text between documents
  std::int64_t shuffle_seed = -1;      // with seq_len: -1 = no shuffle
  std::int64_t max_sequences = 0;      // with seq_len: 0 = all
};

// tokenizer, encoder, merges, seq-len, bos, bos-id, separator, shuffle-seed, max-sequences.
const options::Table<TokenizeOptions>& tokenize_table();

struct TokenizeResult {
  std::string summary;  // "1,024 sequences × 128 positions" / "3 documents, 4,096 tokens"
};

// Reads `inputs` (text with the tokenizer, or token files) and writes `out` atomically
// (refusing an existing file without `force`, before any work). Serial: call on one rank.
TokenizeResult write_tokens_file(const std::vector<std::string>& inputs, const std::string& out, bool force,
                                 const TokenizeOptions& options, const std::string& command_line);

}  // namespace coact::data
