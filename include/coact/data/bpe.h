// The BPE model of a byte-level tokenizer: the vocabulary as byte strings and the merges by
// rank, and the merge loop of GPT-2's encoder.py: start from one symbol per byte, then
// repeatedly take the adjacent pair with the lowest merge rank and merge every occurrence of
// it, left to right without overlap, until no adjacent pair has a merge.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace coact::data {

class BpeModel {
 public:
  // Tokens are byte strings. `merges` are (left, right) token ids in rank order; both parts
  // and their concatenation must be tokens (the loaders check this and name the file). When a
  // pair appears twice the later rank wins, as in GPT-2's dict and Hugging Face's map.
  struct Merge {
    std::int32_t left, right;
  };
  BpeModel(std::string name, const std::vector<std::pair<std::string, std::int32_t>>& byte_tokens,
           const std::vector<Merge>& merges);
  BpeModel() = default;

  // When set, a byte without a single-byte token becomes this id (consecutive ones fused
  // into one when `fuse`); otherwise such a byte is an InputError.
  void set_unknown(std::int32_t id, bool fuse) {
    unknown_id_ = id;
    fuse_unknown_ = fuse;
  }
  // Hugging Face's ignore_merges: a word that is a token as a whole is not merged.
  void set_ignore_merges(bool ignore) { ignore_merges_ = ignore; }

  // Appends the ids of one word (a pre-token's bytes).
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

  // The id of a byte-string token, or nullopt.
  std::optional<std::int32_t> find(std::string_view bytes) const;

 private:
  struct MergeResult {
    std::int32_t rank, merged;
  };
  static std::uint64_t pair_key(std::int32_t left, std::int32_t right) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left)) << 32) | static_cast<std::uint32_t>(right);
  }
  const MergeResult* find_merge(std::int32_t left, std::int32_t right) const;
  void append_unknown(unsigned char byte, bool& last_was_unknown, std::vector<std::int32_t>& out) const;

  std::string name_;  // the tokenizer file, for messages
  std::unordered_map<std::string, std::int32_t> token_ids_;
  std::int32_t byte_ids_[256] = {};  // -1: no single-byte token
  std::unordered_map<std::uint64_t, MergeResult> merges_;
  std::int32_t unknown_id_ = -1;
  bool fuse_unknown_ = false;
  bool ignore_merges_ = false;
};

}  // namespace coact::data
