// The WordPiece model of BERT's tokenizer: a word is cut, from its start, into the longest
// vocabulary entries; every piece after the first is looked up with the continuing-subword
// prefix ("##"). A word with a part no entry covers, or longer than max_chars characters,
// becomes the one unknown token ([UNK]), as in Hugging Face's WordPiece and BERT's
// WordpieceTokenizer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace coact::data {

class WordPieceModel {
 public:
  WordPieceModel() = default;
  // `vocab` maps token spellings to ids; `unknown_id` must be one of them.
  WordPieceModel(std::unordered_map<std::string, std::int32_t> vocab, std::int32_t unknown_id, std::string prefix,
                 std::int64_t max_chars);

  // Appends the ids of one word (well-formed UTF-8).
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

 private:
  std::unordered_map<std::string, std::int32_t> vocab_;
  std::int32_t unknown_id_ = -1;
  std::string prefix_;
  std::int64_t max_chars_ = 100;
};

}  // namespace coact::data
