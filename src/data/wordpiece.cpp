// Greedy longest-match-first WordPiece (see wordpiece.h).
#include "coact/data/wordpiece.h"

#include "coact/data/unicode.h"

namespace coact::data {

WordPieceModel::WordPieceModel(std::unordered_map<std::string, std::int32_t> vocab, std::int32_t unknown_id, std::string prefix,
                               std::int64_t max_chars)
    : vocab_(std::move(vocab)), unknown_id_(unknown_id), prefix_(std::move(prefix)), max_chars_(max_chars) {}

void WordPieceModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  // Character boundaries, so pieces end on whole characters.
  std::vector<std::size_t> ends;
  for (std::size_t i = 0; i < word.size();) {
    const unicode::DecodedChar c = unicode::decode_utf8(word, i);
    i += c.length == 0 ? 1 : c.length;
    ends.push_back(i);
  }
  if (static_cast<std::int64_t>(ends.size()) > max_chars_) {
    out.push_back(unknown_id_);
    return;
  }
  const std::size_t first = out.size();
  std::string candidate;
  std::size_t start = 0;  // byte offset of the next piece
  std::size_t start_char = 0;
  while (start < word.size()) {
    // The longest piece [start, ends[k]) in the vocabulary, trying k from the last character down.
    bool found = false;
    for (std::size_t k = ends.size(); k-- > start_char;) {
      candidate.assign(start > 0 ? prefix_ : std::string());
      candidate.append(word.substr(start, ends[k] - start));
      if (const auto it = vocab_.find(candidate); it != vocab_.end()) {
        out.push_back(it->second);
        start = ends[k];
        start_char = k + 1;
        found = true;
        break;
      }
    }
    if (!found) {
      out.resize(first);
      out.push_back(unknown_id_);
      return;
    }
  }
}

}  // namespace coact::data
