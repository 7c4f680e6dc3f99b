// The GPT-2 pattern as a scanner (see pre_tokenizer.h) and the Digits pre-tokenizer.
#include "coact/data/pre_tokenizer.h"

#include "coact/data/unicode.h"

namespace coact::data {

namespace {

using unicode::CharClass;

// Length of a contraction ('s 't 're 've 'm 'll 'd, lower case only, as in the pattern) at
// `at`, where text[at] == '\'', or 0.
std::size_t contraction_length(std::string_view text, std::size_t at) {
  const std::string_view rest = text.substr(at + 1);
  if (rest.empty()) return 0;
  switch (rest[0]) {
    case 's': case 't': case 'm': case 'd':
      return 2;
    case 'r': case 'v':
      return rest.size() >= 2 && rest[1] == 'e' ? 3 : 0;
    case 'l':
      return rest.size() >= 2 && rest[1] == 'l' ? 3 : 0;
    default:
      return 0;
  }
}

// The classes a run of ` ?X+` can consist of; whitespace is never one of them.
bool is_run_class(CharClass c) { return c != CharClass::Whitespace; }

// End of the run of characters of class `run` starting at `from`.
std::size_t run_end(std::string_view text, std::size_t from, CharClass run) {
  std::size_t i = from;
  while (i < text.size()) {
    const unicode::DecodedChar c = unicode::decode_utf8(text, i);
    if (c.length == 0 || unicode::char_class(c.code_point) != run) break;
    i += c.length;
  }
  return i;
}

}  // namespace

void split_gpt2_pattern(std::string_view text, std::vector<std::string_view>& words) {
  std::size_t i = 0;
  while (i < text.size()) {
    const unicode::DecodedChar first = unicode::decode_utf8(text, i);
    if (first.length == 0) {  // not well-formed: keep the byte as a word so the scan ends
      words.push_back(text.substr(i, 1));
      ++i;
      continue;
    }
    // 's|'t|'re|'ve|'m|'ll|'d
    if (first.code_point == '\'') {
      if (const std::size_t length = contraction_length(text, i); length > 0) {
        words.push_back(text.substr(i, length));
        i += length;
        continue;
      }
    }
    const CharClass first_class = unicode::char_class(first.code_point);
    // ` ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+`: an optional plain space, then a run of one class.
    // The classes are disjoint, so the alternative that matches is fixed by the first
    // character of the run.
    if (first.code_point == ' ' && i + 1 < text.size()) {
      const unicode::DecodedChar next = unicode::decode_utf8(text, i + 1);
      if (next.length > 0 && is_run_class(unicode::char_class(next.code_point))) {
        const std::size_t end = run_end(text, i + 1, unicode::char_class(next.code_point));
        words.push_back(text.substr(i, end - i));
        i = end;
        continue;
      }
    }
    if (is_run_class(first_class)) {
      const std::size_t end = run_end(text, i, first_class);
      words.push_back(text.substr(i, end - i));
      i = end;
      continue;
    }
    // `\s+(?!\S)|\s+`: the whole whitespace run when it ends the text; otherwise the run
    // without its last character (the lookahead then sees that whitespace character), or,
    // when the run is a single character, that character alone (the second alternative).
    std::size_t end = i, last_start = i;
    while (end < text.size()) {
      const unicode::DecodedChar c = unicode::decode_utf8(text, end);
      if (c.length == 0 || unicode::char_class(c.code_point) != CharClass::Whitespace) break;
      last_start = end;
      end += c.length;
    }
    if (end < text.size() && last_start > i) end = last_start;
    words.push_back(text.substr(i, end - i));
    i = end;
  }
}

void split_digits(std::string_view text, bool individual_digits, std::vector<std::string_view>& pieces) {
  std::size_t piece_start = 0;
  bool in_digits = false;
  for (std::size_t i = 0; i < text.size();) {
    const unicode::DecodedChar c = unicode::decode_utf8(text, i);
    const std::size_t length = c.length == 0 ? 1 : c.length;
    const bool digit = c.length > 0 && unicode::is_number(c.code_point);
    // A piece ends where digits start or stop, and between two digits when each stands alone.
    if (i > piece_start && (digit != in_digits || (digit && individual_digits))) {
      pieces.push_back(text.substr(piece_start, i - piece_start));
      piece_start = i;
    }
    in_digits = digit;
    i += length;
  }
  if (piece_start < text.size()) pieces.push_back(text.substr(piece_start));
}

void split_bert(std::string_view text, std::vector<std::string_view>& words) {
  std::size_t word_start = 0;
  const auto end_word = [&](std::size_t at) {
    if (at > word_start) words.push_back(text.substr(word_start, at - word_start));
  };
  for (std::size_t i = 0; i < text.size();) {
    const unicode::DecodedChar c = unicode::decode_utf8(text, i);
    const std::size_t length = c.length == 0 ? 1 : c.length;
    const bool ascii_punctuation = c.code_point < 0x80 && ((c.code_point >= '!' && c.code_point <= '/') ||
                                                           (c.code_point >= ':' && c.code_point <= '@') ||
                                                           (c.code_point >= '[' && c.code_point <= '`') ||
                                                           (c.code_point >= '{' && c.code_point <= '~'));
    if (c.length > 0 && unicode::is_whitespace(c.code_point)) {
      end_word(i);
      word_start = i + length;
    } else if (c.length > 0 && (ascii_punctuation || unicode::is_punctuation(c.code_point))) {
      end_word(i);
      words.push_back(text.substr(i, length));
      word_start = i + length;
    }
    i += length;
  }
  end_word(text.size());
}

void split_before_marker(std::string_view text, std::string_view marker, std::vector<std::string_view>& words) {
  if (marker.empty()) {
    if (!text.empty()) words.push_back(text);
    return;
  }
  std::size_t word_start = 0;
  for (std::size_t at = text.find(marker); at != std::string_view::npos; at = text.find(marker, at + marker.size())) {
    // A marker followed by another marker stands alone; otherwise it starts the next word.
    if (at > word_start) words.push_back(text.substr(word_start, at - word_start));
    word_start = at;
    if (text.compare(at + marker.size(), marker.size(), marker) == 0) {
      words.push_back(text.substr(at, marker.size()));
      word_start = at + marker.size();
    }
  }
  if (word_start < text.size()) words.push_back(text.substr(word_start));
}

}  // namespace coact::data
