// Which tokenizer a command was given: a Hugging Face tokenizer.json, or GPT-2's encoder.json
// with vocab.bpe, or none (token files need none). One place reads the choice for tokenize,
// record and evaluate.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "coact/data/tokenizer.h"

namespace coact::data {

struct TokenizerFiles {
  std::string tokenizer;  // tokenizer.json
  std::string encoder;    // encoder.json (with merges)
  std::string merges;     // vocab.bpe (with encoder)
};

// nullopt when no tokenizer was given; UsageError for a contradictory choice (tokenizer and
// encoder, or encoder without merges). Adds the files read to `provenance_inputs` (role -> path).
std::optional<Tokenizer> load_tokenizer(const TokenizerFiles& files, std::map<std::string, std::string>& provenance_inputs);

}  // namespace coact::data
