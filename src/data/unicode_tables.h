// The generated Unicode data (src/data/unicode_tables.cpp, written by
// tools/gen_unicode_tables.py), private to the data module: unicode.cpp answers every query.
#pragma once

#include <cstddef>
#include <cstdint>

namespace coact::data::unicode::tables {

// Classes of GPT-2's pre-tokenizer pattern; kOther is every code point not in a range.
enum : std::uint8_t { kOther = 0, kLetter = 1, kNumber = 2, kWhitespace = 3 };

struct ClassRange {
  char32_t first, last;
  std::uint8_t char_class;
};
struct CombiningRange {
  char32_t first, last;
  std::uint8_t combining_class;
};
struct Decomposition {
  char32_t code_point, first, second;  // second == 0: a singleton decomposition
};
struct Composition {
  char32_t first, second, composite;
};
// General-category groups of BERT's normaliser and pre-tokenizer; code points in no range: none.
enum : std::uint8_t { kControlFormatPrivate = 1, kNonspacingMark = 2, kPunctuation = 3 };
struct CategoryRange {
  char32_t first, last;
  std::uint8_t group;
};
struct Lowercase {
  char32_t code_point, first, second;  // second == 0: the lowercase is one code point
};

extern const char kUnicodeVersion[];
extern const ClassRange kClassRanges[];
extern const std::size_t kClassRangesCount;
extern const CombiningRange kCombiningRanges[];
extern const std::size_t kCombiningRangesCount;
extern const Decomposition kDecompositions[];
extern const std::size_t kDecompositionsCount;
extern const Composition kCompositions[];
extern const std::size_t kCompositionsCount;
extern const CategoryRange kCategoryRanges[];
extern const std::size_t kCategoryRangesCount;
extern const Lowercase kLowercases[];
extern const std::size_t kLowercasesCount;

}  // namespace coact::data::unicode::tables
