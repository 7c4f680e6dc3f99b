// The BPE model: the vocabulary as byte strings and the merges by rank, and the merge loop of
// GPT-2's encoder.py: start from one symbol per unit, then repeatedly take the adjacent pair
// with the lowest merge rank and merge every occurrence of it, left to right without overlap,
// until no adjacent pair has a merge. Units are bytes (byte-level BPE) or UTF-8 characters
// (SentencePiece-style BPE, whose vocabulary is UTF-8). As in Hugging Face's BPE, a unit
// without a token becomes its bytes' <0xNN> tokens with byte fallback, else the unknown token
// (consecutive ones fused into one when `fuse`), else an InputError.
#pragma once

#include <array>
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
  enum class Unit { Byte, Character };
  BpeModel(std::string name, const std::vector<std::pair<std::string, std::int32_t>>& byte_tokens,
           const std::vector<Merge>& merges, Unit unit = Unit::Byte);
  BpeModel() = default;

  // When set, a unit without a token (and without byte-fallback tokens for all its bytes)
  // becomes this id (consecutive ones fused into one when `fuse`); otherwise such a unit is an
  // InputError.
  void set_unknown(std::int32_t id, bool fuse) {
    unknown_id_ = id;
    fuse_unknown_ = fuse;
  }
  // Byte fallback: the ids of the tokens <0x00>..<0xFF> (-1 where the vocabulary lacks one).
  void set_byte_fallback(const std::array<std::int32_t, 256>& ids) {
    byte_fallback_ = true;
    fallback_ids_ = ids;
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
  // The initial symbols of `word` (HF's merge_word before merging).
  void initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const;

  std::string name_;  // the tokenizer file, for messages
  std::unordered_map<std::string, std::int32_t> token_ids_;
  std::int32_t byte_ids_[256] = {};  // -1: no single-byte token
  std::unordered_map<std::uint64_t, MergeResult> merges_;
  std::int32_t unknown_id_ = -1;
  bool fuse_unknown_ = false;
  bool ignore_merges_ = false;
  Unit unit_ = Unit::Byte;
  bool byte_fallback_ = false;
  std::array<std::int32_t, 256> fallback_ids_{};
};

}  // namespace coact::data
