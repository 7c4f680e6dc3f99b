// Unicode queries over the generated tables, strict UTF-8, and NFC (UAX #15).
#include "coact/data/unicode.h"

#include <algorithm>
#include <vector>

#include "unicode_tables.h"

namespace coact::data::unicode {

namespace {

// Hangul syllable arithmetic (The Unicode Standard, section 3.12).
constexpr char32_t kHangulBase = 0xAC00, kLeadBase = 0x1100, kVowelBase = 0x1161, kTrailBase = 0x11A7;
constexpr char32_t kLeadCount = 19, kVowelCount = 21, kTrailCount = 28;
constexpr char32_t kSyllableCount = kLeadCount * kVowelCount * kTrailCount;

bool is_hangul_syllable(char32_t c) { return c >= kHangulBase && c < kHangulBase + kSyllableCount; }

void decompose(char32_t c, std::vector<char32_t>& out) {
  if (is_hangul_syllable(c)) {
    const char32_t index = c - kHangulBase;
    out.push_back(kLeadBase + index / (kVowelCount * kTrailCount));
    out.push_back(kVowelBase + (index % (kVowelCount * kTrailCount)) / kTrailCount);
    if (index % kTrailCount != 0) out.push_back(kTrailBase + index % kTrailCount);
    return;
  }
  const auto* begin = tables::kDecompositions;
  const auto* end = begin + tables::kDecompositionsCount;
  const auto* found = std::lower_bound(begin, end, c, [](const tables::Decomposition& d, char32_t v) { return d.code_point < v; });
  if (found == end || found->code_point != c) {
    out.push_back(c);
    return;
  }
  // The table holds one level; the full decomposition applies it recursively (depth <= 4).
  decompose(found->first, out);
  if (found->second != 0) decompose(found->second, out);
}

// The primary composite of (first, second), or 0 when there is none.
char32_t compose(char32_t first, char32_t second) {
  if (first >= kLeadBase && first < kLeadBase + kLeadCount && second >= kVowelBase && second < kVowelBase + kVowelCount) {
    return kHangulBase + ((first - kLeadBase) * kVowelCount + (second - kVowelBase)) * kTrailCount;
  }
  if (is_hangul_syllable(first) && (first - kHangulBase) % kTrailCount == 0 && second > kTrailBase &&
      second < kTrailBase + kTrailCount) {
    return first + (second - kTrailBase);
  }
  const auto* begin = tables::kCompositions;
  const auto* end = begin + tables::kCompositionsCount;
  const auto* found = std::lower_bound(begin, end, std::pair{first, second}, [](const tables::Composition& c, const auto& key) {
    return c.first < key.first || (c.first == key.first && c.second < key.second);
  });
  return (found != end && found->first == first && found->second == second) ? found->composite : 0;
}

}  // namespace

const char* unicode_version() { return tables::kUnicodeVersion; }

CharClass char_class_slow(char32_t code_point) {
  const auto* begin = tables::kClassRanges;
  const auto* end = begin + tables::kClassRangesCount;
  // The first range ending at or after the code point; it holds it when it starts at or before.
  const auto* found = std::lower_bound(begin, end, code_point, [](const tables::ClassRange& r, char32_t v) { return r.last < v; });
  if (found == end || found->first > code_point) return CharClass::Other;
  return static_cast<CharClass>(found->char_class);
}

std::uint8_t combining_class(char32_t code_point) {
  if (code_point < 0x300) return 0;
  const auto* begin = tables::kCombiningRanges;
  const auto* end = begin + tables::kCombiningRangesCount;
  const auto* found =
      std::lower_bound(begin, end, code_point, [](const tables::CombiningRange& r, char32_t v) { return r.last < v; });
  if (found == end || found->first > code_point) return 0;
  return found->combining_class;
}

DecodedChar decode_utf8_slow(std::string_view text, std::size_t offset) {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[offset + i]); };
  const unsigned char lead = byte(0);
  std::uint32_t length;
  char32_t value, minimum;
  if (lead < 0x80) return {lead, 1};
  if (lead >= 0xC2 && lead <= 0xDF) length = 2, value = lead & 0x1F, minimum = 0x80;
  else if (lead >= 0xE0 && lead <= 0xEF) length = 3, value = lead & 0x0F, minimum = 0x800;
  else if (lead >= 0xF0 && lead <= 0xF4) length = 4, value = lead & 0x07, minimum = 0x10000;
  else return {};  // a continuation byte, C0/C1 (always overlong) or F5..FF
  if (text.size() - offset < length) return {};
  for (std::uint32_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {};
    value = (value << 6) | (byte(i) & 0x3F);
  }
  if (value < minimum || value > 0x10FFFF || (value >= 0xD800 && value <= 0xDFFF)) return {};
  return {value, length};
}

std::size_t find_invalid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    const DecodedChar c = decode_utf8_slow(text, i);
    if (c.length == 0) return i;
    i += c.length;
  }
  return std::string_view::npos;
}

std::size_t complete_utf8_prefix(std::string_view text) {
  // Look back over at most 3 continuation bytes for a lead byte whose sequence is cut off.
  const std::size_t size = text.size();
  for (std::size_t back = 1; back <= 4 && back <= size; ++back) {
    const auto b = static_cast<unsigned char>(text[size - back]);
    if ((b & 0xC0) == 0x80) continue;  // continuation: keep looking for its lead byte
    const std::size_t needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
    return needed > back ? size - back : size;
  }
  return size;  // no lead byte nearby: ill-formed, which the decoder reports
}

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

namespace {

// The canonical decomposition of well-formed UTF-8, canonically ordered (NFD as code points).
std::vector<char32_t> canonical_decomposition(std::string_view text) {
  std::vector<char32_t> chars;
  chars.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const DecodedChar c = decode_utf8(text, i);
    if (c.length == 0) {  // callers validate first; keep going rather than loop forever
      ++i;
      continue;
    }
    decompose(c.code_point, chars);
    i += c.length;
  }

  // Canonical ordering: each run of non-starters sorted stably by combining class.
  for (std::size_t i = 0; i < chars.size();) {
    if (combining_class(chars[i]) == 0) {
      ++i;
      continue;
    }
    std::size_t run_end = i;
    while (run_end < chars.size() && combining_class(chars[run_end]) != 0) ++run_end;
    std::stable_sort(chars.begin() + static_cast<std::ptrdiff_t>(i), chars.begin() + static_cast<std::ptrdiff_t>(run_end),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = run_end;
  }

  return chars;
}

}  // namespace

std::string to_nfc(std::string_view text) {
  // U+0300 encodes as CC 80: any lead byte >= 0xCC starts a code point >= U+0300.
  const bool below_0300 = std::none_of(text.begin(), text.end(), [](char b) { return static_cast<unsigned char>(b) >= 0xCC; });
  if (below_0300) return std::string(text);
  const std::vector<char32_t> chars = canonical_decomposition(text);

  // Canonical composition: a character joins the last starter unless blocked, i.e. unless
  // something between them has combining class 0 or >= its own. After ordering, the last
  // character kept is the one to compare with.
  std::vector<char32_t> composed;
  composed.reserve(chars.size());
  std::ptrdiff_t starter = -1;
  for (const char32_t c : chars) {
    const std::uint8_t ccc = combining_class(c);
    if (starter >= 0) {
      const bool adjacent = static_cast<std::ptrdiff_t>(composed.size()) == starter + 1;
      const std::uint8_t previous = combining_class(composed.back());
      if (adjacent || (previous != 0 && previous < ccc)) {
        if (const char32_t composite = compose(composed[static_cast<std::size_t>(starter)], c); composite != 0) {
          composed[static_cast<std::size_t>(starter)] = composite;
          continue;
        }
      }
    }
    if (ccc == 0) starter = static_cast<std::ptrdiff_t>(composed.size());
    composed.push_back(c);
  }

  std::string out;
  out.reserve(text.size());
  for (const char32_t c : composed) append_utf8(out, c);
  return out;
}

std::string to_nfd(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char b) { return static_cast<unsigned char>(b) < 0x80; })) return std::string(text);
  std::string out;
  out.reserve(text.size());
  for (const char32_t c : canonical_decomposition(text)) append_utf8(out, c);
  return out;
}

namespace {
std::uint8_t category_group(char32_t code_point) {
  const auto* begin = tables::kCategoryRanges;
  const auto* end = begin + tables::kCategoryRangesCount;
  const auto* found =
      std::lower_bound(begin, end, code_point, [](const tables::CategoryRange& r, char32_t v) { return r.last < v; });
  if (found == end || found->first > code_point) return 0;
  return found->group;
}
}  // namespace

bool is_control_format_private(char32_t code_point) { return category_group(code_point) == tables::kControlFormatPrivate; }
bool is_nonspacing_mark(char32_t code_point) { return category_group(code_point) == tables::kNonspacingMark; }
bool is_punctuation(char32_t code_point) { return category_group(code_point) == tables::kPunctuation; }

void append_lowercase(std::string& out, char32_t code_point) {
  if (code_point < 0x80) {
    out += static_cast<char>(code_point >= 'A' && code_point <= 'Z' ? code_point + 32 : code_point);
    return;
  }
  const auto* begin = tables::kLowercases;
  const auto* end = begin + tables::kLowercasesCount;
  const auto* found = std::lower_bound(begin, end, code_point, [](const tables::Lowercase& l, char32_t v) { return l.code_point < v; });
  if (found == end || found->code_point != code_point) {
    append_utf8(out, code_point);
    return;
  }
  append_utf8(out, found->first);
  if (found->second != 0) append_utf8(out, found->second);
}

}  // namespace coact::data::unicode
