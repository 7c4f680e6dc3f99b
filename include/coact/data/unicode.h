// The Unicode the tokenizers need: strict UTF-8 decoding, the character classes of GPT-2's
// pre-tokenizer pattern (\p{L}, \p{N}, \s), NFC and NFD normalisation, and the general-category
// tests and lowercase mapping of BERT's normaliser. The data comes
// from tables generated from Python's unicodedata (tools/gen_unicode_tables.py; Unicode
// version: unicode_version()), so no ICU is needed and results do not depend on the platform.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace coact::data::unicode {

// The classes GPT-2's pattern distinguishes. Letter = general category L* (\p{L}); Number =
// N* (\p{N}: Nd, Nl, No); Whitespace = the White_Space property (\s in the Python `regex`
// module, Oniguruma and Rust); everything else, unassigned code points included, is Other.
enum class CharClass : std::uint8_t { Other = 0, Letter = 1, Number = 2, Whitespace = 3 };

// The Unicode version of the tables, e.g. "14.0.0".
const char* unicode_version();

CharClass char_class_slow(char32_t code_point);  // table lookup (binary search)

namespace detail {
// ASCII classes, so the common case costs one load.
inline constexpr std::array<CharClass, 128> kAsciiClass = [] {
  std::array<CharClass, 128> classes{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) classes[c] = CharClass::Letter;
    else if (c >= '0' && c <= '9') classes[c] = CharClass::Number;
    else if (c == ' ' || (c >= '\t' && c <= '\r')) classes[c] = CharClass::Whitespace;
  }
  return classes;
}();
}  // namespace detail

inline CharClass char_class(char32_t code_point) {
  return code_point < 128 ? detail::kAsciiClass[code_point] : char_class_slow(code_point);
}
inline bool is_whitespace(char32_t code_point) { return char_class(code_point) == CharClass::Whitespace; }
inline bool is_number(char32_t code_point) { return char_class(code_point) == CharClass::Number; }

// Canonical combining class (0 for starters).
std::uint8_t combining_class(char32_t code_point);

// ---- UTF-8 ------------------------------------------------------------------------------

// One decoded character: `length` bytes (1-4), or length 0 when the bytes at the offset are
// not a complete, well-formed UTF-8 sequence (overlong forms, surrogates, values above
// U+10FFFF, stray continuation bytes and truncated sequences are all rejected).
struct DecodedChar {
  char32_t code_point = 0;
  std::uint32_t length = 0;
};

DecodedChar decode_utf8_slow(std::string_view text, std::size_t offset);

// Decodes the character at `offset` (< text.size()).
inline DecodedChar decode_utf8(std::string_view text, std::size_t offset) {
  const auto lead = static_cast<unsigned char>(text[offset]);
  if (lead < 0x80) return {lead, 1};
  return decode_utf8_slow(text, offset);
}

// Byte offset of the first ill-formed sequence, or std::string_view::npos when `text` is
// well-formed UTF-8.
std::size_t find_invalid_utf8(std::string_view text);

// The length of the longest prefix that does not end inside a multi-byte sequence: a reader
// that gets text in pieces keeps the rest (at most 3 bytes) for the next piece.
std::size_t complete_utf8_prefix(std::string_view text);

// Appends the UTF-8 encoding of a Unicode scalar value.
void append_utf8(std::string& out, char32_t code_point);

// ---- normalisation ----------------------------------------------------------------------

// Unicode Normalization Form C (UAX #15) of well-formed UTF-8: canonical decomposition
// (Hangul algorithmically), canonical ordering of combining marks, canonical composition.
// Text whose code points are all below U+0300 is already NFC (none of them is a combining
// mark or changes under NFC) and is returned as is, without decoding.
std::string to_nfc(std::string_view text);

// Unicode Normalization Form D: the canonical decomposition, canonically ordered.
std::string to_nfd(std::string_view text);

// ---- what BERT's normaliser and pre-tokenizer test ------------------------------------------

// General category Cc, Cf or Co (what Hugging Face's BertNormalizer calls control characters;
// unassigned code points are not among them).
bool is_control_format_private(char32_t code_point);
// General category Mn (what strip_accents removes after NFD).
bool is_nonspacing_mark(char32_t code_point);
// General category P* (Pc Pd Pe Pf Pi Po Ps).
bool is_punctuation(char32_t code_point);
// Appends the full lowercase of one code point (Rust's char::to_lowercase, Python's str.lower()
// of one character): U+0130 gives "i" + U+0307, every other mapping one code point.
void append_lowercase(std::string& out, char32_t code_point);

}  // namespace coact::data::unicode
