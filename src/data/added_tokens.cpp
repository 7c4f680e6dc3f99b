// Leftmost-longest matching of added tokens (see added_tokens.h).
#include "added_tokens.h"

#include <algorithm>

#include "coact/data/tokenizer.h"
#include "coact/data/unicode.h"

namespace coact::data {

namespace {

// Start of the character that ends just before `end` (well-formed UTF-8 assumed).
std::size_t previous_char_start(std::string_view text, std::size_t end) {
  std::size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

AddedTokenMatcher::AddedTokenMatcher(const std::vector<const AddedToken*>& tokens) {
  for (const AddedToken* token : tokens) {
    if (token->content.empty()) continue;
    tokens_.push_back(Entry{token->content, token->id, token->lstrip, token->rstrip});
    longest_ = std::max(longest_, token->content.size());
  }
  for (std::uint32_t i = 0; i < tokens_.size(); ++i) {
    by_first_byte_[static_cast<unsigned char>(tokens_[i].content[0])].push_back(i);
  }
  for (auto& candidates : by_first_byte_) {
    std::stable_sort(candidates.begin(), candidates.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return tokens_[a].content.size() > tokens_[b].content.size(); });
  }
}

std::int64_t AddedTokenMatcher::match_at(std::string_view text, std::size_t at) const {
  for (const std::uint32_t index : by_first_byte_[static_cast<unsigned char>(text[at])]) {  // longest first
    if (text.compare(at, tokens_[index].content.size(), tokens_[index].content) == 0) return index;
  }
  return -1;
}

void AddedTokenMatcher::split(std::string_view text, std::vector<Piece>& pieces) const {
  pieces.clear();
  std::size_t offset = 0;  // where the next text piece starts: the end of the previous token
  const auto text_until = [&](std::size_t end) {
    if (end > offset) pieces.push_back({offset, end, -1});
  };
  for (std::size_t at = 0; at < text.size();) {
    const std::int64_t index = match_at(text, at);
    if (index < 0) {
      ++at;
      continue;
    }
    const Entry& token = tokens_[static_cast<std::size_t>(index)];
    const std::size_t match_end = at + token.content.size();
    std::size_t begin = at, end = match_end;
    if (token.lstrip) {
      while (begin > 0) {
        const std::size_t start = previous_char_start(text, begin);
        if (!unicode::is_whitespace(unicode::decode_utf8(text, start).code_point)) break;
        begin = start;
      }
      begin = std::max(begin, offset);
    }
    if (token.rstrip) {
      while (end < text.size()) {
        const unicode::DecodedChar c = unicode::decode_utf8(text, end);
        if (c.length == 0 || !unicode::is_whitespace(c.code_point)) break;
        end += c.length;
      }
    }
    text_until(begin);
    pieces.push_back({begin, end, token.id});
    offset = end;
    at = match_end;  // matches are found in the raw text, whatever the strips took
  }
  text_until(text.size());
}

bool AddedTokenMatcher::overlaps(std::string_view text, std::size_t begin, std::size_t end) const {
  const std::size_t first = begin >= longest_ ? begin - longest_ + 1 : 0;
  for (std::size_t i = first; i < end && i < text.size(); ++i) {
    for (const std::uint32_t index : by_first_byte_[static_cast<unsigned char>(text[i])]) {
      const std::string& content = tokens_[index].content;
      if (i + content.size() > begin && text.compare(i, content.size(), content) == 0) return true;
    }
  }
  return false;
}

}  // namespace coact::data
