// Finds added tokens (special tokens such as <|endoftext|>) in text the way Hugging Face's
// AddedVocabulary does: first every match, leftmost-longest and non-overlapping, in the raw
// text; then, match by match, lstrip widens a token over the whitespace before it (never back
// past the end of the previous token) and rstrip over the whitespace after it. A token's
// rstrip does not swallow a later match inside that whitespace: the later token is still
// emitted and the text after it is encoded again from its end, as Hugging Face does.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace coact::data {

struct AddedToken;

class AddedTokenMatcher {
 public:
  // A run of text (id -1) or an added token, in order.
  struct Piece {
    std::size_t begin = 0, end = 0;
    std::int32_t id = -1;
  };

  AddedTokenMatcher() = default;
  explicit AddedTokenMatcher(const std::vector<const AddedToken*>& tokens);

  bool empty() const { return tokens_.empty(); }
  std::size_t longest() const { return longest_; }  // bytes of the longest token

  // Cuts `text` into text pieces and tokens (replacing `pieces`). Empty text pieces are left
  // out.
  void split(std::string_view text, std::vector<Piece>& pieces) const;
  // Whether any token occurrence overlaps the bytes [begin, end) of `text` (the streaming
  // encoder never cuts text there).
  bool overlaps(std::string_view text, std::size_t begin, std::size_t end) const;

 private:
  struct Entry {
    std::string content;
    std::int32_t id;
    bool lstrip, rstrip;
  };
  // The index of the longest token at `at`, or -1.
  std::int64_t match_at(std::string_view text, std::size_t at) const;

  std::vector<Entry> tokens_;
  // Indices of the tokens by first byte, longest first.
  std::array<std::vector<std::uint32_t>, 256> by_first_byte_{};
  std::size_t longest_ = 0;
};

}  // namespace coact::data
