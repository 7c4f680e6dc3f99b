// Byte-level BPE: Unicode tables and UTF-8, the byte alphabet, GPT-2's pre-tokenizer pattern,
// BPE merges, both file formats, and round trips. Every expected id is derived by hand from
// the tiny fixture below (no downloads, no peer library).
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/data/byte_level.h"
#include "coact/data/pre_tokenizer.h"
#include "coact/data/tokenizer.h"
#include "coact/data/unicode.h"
#include "support/temp_dir.h"

namespace coact::data {
namespace {

using Ids = std::vector<std::int32_t>;

// ---- the fixture ----------------------------------------------------------------------------
// Ids 0..255 are the single bytes (id = byte value). The merges in rank order, with their ids:
//    0 "Ġ t"->256 "Ġt"     1 "h e"->257 "he"     2 "Ġt he"->258 "Ġthe"   3 "' s"->259 "'s"
//    4 "l l"->260 "ll"     5 "e ll"->261 "ell"   6 "h ell"->262 "hell"   7 "hell o"->263 "hello"
//    8 "1 2"->264 "12"     9 "Ġ Ġ"->265 "ĠĠ"     10 "Ċ Ċ"->266 "ĊĊ"      11 "! !"->267 "!!"
//   12 "Ã ©"->268 (é)     13 "c a"->269 "ca"    14 "ca f"->270 "caf"    15 "caf Ã©"->271 (café)
//   16 "ab a"->273 "aba"  17 "a b"->274 "ab"
// and 272 is <|endoftext|>. "Ã©" is how the byte alphabet spells é's UTF-8 bytes C3 A9.

const std::vector<std::pair<std::string, std::string>> kMerges = {
    {"Ġ", "t"}, {"h", "e"}, {"Ġt", "he"}, {"'", "s"}, {"l", "l"}, {"e", "ll"}, {"h", "ell"}, {"hell", "o"},
    {"1", "2"}, {"Ġ", "Ġ"}, {"Ċ", "Ċ"}, {"!", "!"}, {"Ã", "©"}, {"c", "a"}, {"ca", "f"}, {"caf", "Ã©"},
    {"ab", "a"}, {"a", "b"}};

std::vector<std::pair<std::string, std::int32_t>> fixture_vocab() {
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  for (int b = 0; b < 256; ++b) vocab.emplace_back(byte_level::bytes_to_symbols(std::string(1, static_cast<char>(b))), b);
  std::int32_t id = 256;
  for (const char* token : {"Ġt", "he", "Ġthe", "'s", "ll", "ell", "hell", "hello", "12", "ĠĠ", "ĊĊ", "!!", "Ã©", "ca", "caf",
                            "cafÃ©"}) {
    vocab.emplace_back(token, id++);
  }
  vocab.emplace_back("<|endoftext|>", 272);
  vocab.emplace_back("aba", 273);
  vocab.emplace_back("ab", 274);
  return vocab;
}

std::string vocab_json(const std::vector<std::pair<std::string, std::int32_t>>& vocab) {
  JsonWriter json;
  json.begin_object();
  for (const auto& [token, id] : vocab) json.field(token, id);
  json.end_object();
  return json.str();
}

void write_text(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string merges_bpe(const std::vector<std::pair<std::string, std::string>>& merges) {
  std::string lines = "#version: 0.2\n";
  for (const auto& [left, right] : merges) lines += left + " " + right + "\n";
  return lines;
}

constexpr const char* kEndOfText = R"([{"id": 272, "content": "<|endoftext|>", "special": true, "normalized": false}])";
constexpr const char* kByteLevelPrefix = R"({"type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true})";
constexpr const char* kByteLevelPlain = R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true})";
constexpr const char* kDigitsThenByteLevel =
    R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, )"
    R"({"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": true}]})";

// A tokenizer.json on the fixture vocabulary; the arguments are JSON text.
std::string hf_json(const std::string& pre_tokenizer, const std::string& normalizer = "null",
                    const std::string& added = kEndOfText, const std::string& post_processor = "null",
                    bool pair_merges = false) {
  std::string merges = "[";
  for (const auto& [left, right] : kMerges) {
    if (merges.size() > 1) merges += ", ";
    merges += pair_merges ? "[" + json_quote(left) + ", " + json_quote(right) + "]" : json_quote(left + " " + right);
  }
  merges += "]";
  return R"({"version": "1.0", "truncation": null, "padding": null, "added_tokens": )" + added + R"(, "normalizer": )" +
         normalizer + R"(, "pre_tokenizer": )" + pre_tokenizer + R"(, "post_processor": )" + post_processor +
         R"(, "decoder": {"type": "ByteLevel"}, "model": {"type": "BPE", "dropout": null, "unk_token": null, )" +
         R"("fuse_unk": false, "byte_fallback": false, "vocab": )" + vocab_json(fixture_vocab()) +
         R"(, "merges": )" + merges + "}}";
}

class TokenizerFiles : public ::testing::Test {
 protected:
  Tokenizer gpt2() {
    write_text(dir.file("encoder.json"), vocab_json(fixture_vocab()));
    write_text(dir.file("vocab.bpe"), merges_bpe(kMerges));
    return Tokenizer::from_gpt2_files(dir.file("encoder.json"), dir.file("vocab.bpe"));
  }
  Tokenizer hf(const std::string& json) {
    write_text(dir.file("tokenizer.json"), json);
    return Tokenizer::from_hf_json(dir.file("tokenizer.json"));
  }
  // The message of the InputError that loading `json` as tokenizer.json throws.
  std::string hf_error(const std::string& json) {
    try {
      hf(json);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  testing::TempDir dir;
};

std::string utf8(std::initializer_list<char32_t> code_points) {
  std::string out;
  for (const char32_t c : code_points) unicode::append_utf8(out, c);
  return out;
}

std::uint32_t symbol(int byte) { return byte_level::byte_to_symbol(static_cast<std::uint8_t>(byte)); }

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string_view> views;
  split_gpt2_pattern(text, views);
  return {views.begin(), views.end()};
}

// ---- Unicode ----------------------------------------------------------------------------------

TEST(Unicode, ClassesOfThePattern) {
  using unicode::CharClass;
  EXPECT_EQ(unicode::char_class('a'), CharClass::Letter);
  EXPECT_EQ(unicode::char_class('7'), CharClass::Number);
  EXPECT_EQ(unicode::char_class('\''), CharClass::Other);
  EXPECT_EQ(unicode::char_class(U'é'), CharClass::Letter);
  EXPECT_EQ(unicode::char_class(U'日'), CharClass::Letter);
  EXPECT_EQ(unicode::char_class(0x0663), CharClass::Number);   // ARABIC-INDIC DIGIT THREE (Nd)
  EXPECT_EQ(unicode::char_class(0x00BD), CharClass::Number);   // ½ (No)
  EXPECT_EQ(unicode::char_class(0x2167), CharClass::Number);   // ROMAN NUMERAL EIGHT (Nl)
  EXPECT_EQ(unicode::char_class(0x0301), CharClass::Other);    // a combining accent is not \p{L}
  EXPECT_EQ(unicode::char_class(0x1F600), CharClass::Other);   // 😀
  // \s is White_Space: NEL, NBSP, ideographic space yes; the information separators no.
  for (const char32_t c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F,
                           0x3000}) {
    EXPECT_TRUE(unicode::is_whitespace(c)) << std::hex << static_cast<unsigned>(c);
  }
  for (const char32_t c : {0x1C, 0x1D, 0x1E, 0x1F, 0x200B, 0x180E}) {
    EXPECT_FALSE(unicode::is_whitespace(c)) << std::hex << static_cast<unsigned>(c);
  }
  EXPECT_EQ(unicode::char_class(0xE000), CharClass::Other);     // private use
  EXPECT_EQ(unicode::char_class(0x10FFFF), CharClass::Other);   // noncharacter
  EXPECT_STREQ(unicode::unicode_version(), "14.0.0");
}

TEST(Unicode, StrictUtf8) {
  EXPECT_EQ(unicode::find_invalid_utf8("plain ascii"), std::string_view::npos);
  EXPECT_EQ(unicode::find_invalid_utf8(utf8({U'é', U'日', 0x1F600, 0x10FFFF})), std::string_view::npos);
  EXPECT_EQ(unicode::find_invalid_utf8("ab\xC0\x80"), 2u);          // overlong NUL
  EXPECT_EQ(unicode::find_invalid_utf8("\xE0\x80\xAF"), 0u);        // overlong '/'
  EXPECT_EQ(unicode::find_invalid_utf8("x\xED\xA0\x80"), 1u);       // a surrogate
  EXPECT_EQ(unicode::find_invalid_utf8("\xF4\x90\x80\x80"), 0u);    // above U+10FFFF
  EXPECT_EQ(unicode::find_invalid_utf8("abc\x80"), 3u);             // stray continuation
  EXPECT_EQ(unicode::find_invalid_utf8("abc\xE6\x97"), 3u);         // cut off
  EXPECT_EQ(unicode::find_invalid_utf8("\xFF"), 0u);
  // A reader keeps a cut-off sequence for the next block.
  EXPECT_EQ(unicode::complete_utf8_prefix("abc\xE6\x97"), 3u);
  EXPECT_EQ(unicode::complete_utf8_prefix("abc\xF0"), 3u);
  EXPECT_EQ(unicode::complete_utf8_prefix("abc\xE6\x97\xA5"), 6u);
  EXPECT_EQ(unicode::complete_utf8_prefix("abc"), 3u);
  const unicode::DecodedChar c = unicode::decode_utf8("\xF0\x9F\x98\x80", 0);
  EXPECT_EQ(static_cast<std::uint32_t>(c.code_point), 0x1F600u);
  EXPECT_EQ(c.length, 4u);
}

TEST(Unicode, NfcByHand) {
  EXPECT_EQ(unicode::to_nfc("plain"), "plain");
  EXPECT_EQ(unicode::to_nfc(utf8({'e', 0x0301})), utf8({0x00E9}));                    // e + acute -> é
  EXPECT_EQ(unicode::to_nfc(utf8({0x00E9})), utf8({0x00E9}));                         // already composed
  EXPECT_EQ(unicode::to_nfc(utf8({'a', 0x0302, 0x0323})), utf8({0x1EAD}));             // marks reordered (220 < 230), then ạ + ̂ -> ậ
  EXPECT_EQ(unicode::to_nfc(utf8({0x212B})), utf8({0x00C5}));                         // ANGSTROM SIGN -> Å (singleton)
  EXPECT_EQ(unicode::to_nfc(utf8({0x0958})), utf8({0x0915, 0x093C}));                 // excluded from composition
  EXPECT_EQ(unicode::to_nfc(utf8({0x1100, 0x1161, 0x11A8})), utf8({0xAC01}));         // Hangul L V T -> 각
  EXPECT_EQ(unicode::to_nfc(utf8({0xAC00, 0x11A8})), utf8({0xAC01}));                 // LV + T
  EXPECT_EQ(unicode::to_nfc(utf8({'e', 0x0301, 0x0301})), utf8({0x00E9, 0x0301}));     // the second acute is blocked
  EXPECT_EQ(unicode::to_nfc(utf8({0x0301, 'e'})), utf8({0x0301, 'e'}));               // nothing before the mark
}

// ---- the byte alphabet ------------------------------------------------------------------------

TEST(ByteLevel, Gpt2Alphabet) {
  EXPECT_EQ(symbol('A'), static_cast<std::uint32_t>(U'A'));
  EXPECT_EQ(symbol('!'), static_cast<std::uint32_t>(U'!'));
  EXPECT_EQ(symbol(0), static_cast<std::uint32_t>(0x100u));
  EXPECT_EQ(symbol('\n'), static_cast<std::uint32_t>(0x10Au));  // Ċ
  EXPECT_EQ(symbol(' '), static_cast<std::uint32_t>(0x120u));   // Ġ
  EXPECT_EQ(symbol(0x7F), static_cast<std::uint32_t>(0x121u));  // DEL follows the 33 controls and space
  EXPECT_EQ(symbol(0xA0), static_cast<std::uint32_t>(0x142u));
  EXPECT_EQ(symbol(0xA1), static_cast<std::uint32_t>(0xA1u));
  EXPECT_EQ(symbol(0xAD), static_cast<std::uint32_t>(0x143u));  // soft hyphen: the last one, Ń
  EXPECT_EQ(symbol(0xFF), static_cast<std::uint32_t>(0xFFu));
  std::string all;
  for (int b = 0; b < 256; ++b) {
    EXPECT_EQ(byte_level::symbol_to_byte(byte_level::byte_to_symbol(static_cast<std::uint8_t>(b))), b);
    all += static_cast<char>(b);
  }
  EXPECT_EQ(byte_level::symbols_to_bytes(byte_level::bytes_to_symbols(all)), all);
  EXPECT_EQ(byte_level::symbols_to_bytes("ĠtheĊ"), " the\n");
  EXPECT_FALSE(byte_level::symbols_to_bytes("a b").has_value());  // a raw space is no symbol
  EXPECT_EQ(byte_level::symbol_to_byte(0x144), -1);
}

// ---- pre-tokenizers ---------------------------------------------------------------------------

TEST(PreTokenizer, ContractionsAndLeadingSpaces) {
  using V = std::vector<std::string>;
  EXPECT_EQ(words("Hello world"), (V{"Hello", " world"}));
  EXPECT_EQ(words("I'm don't we'll they've you're she'd it's"),
            (V{"I", "'m", " don", "'t", " we", "'ll", " they", "'ve", " you", "'re", " she", "'d", " it", "'s"}));
  EXPECT_EQ(words("IT'S"), (V{"IT", "'", "S"}));  // the contractions are lower case only
  EXPECT_EQ(words("?'s"), (V{"?'", "s"}));        // a symbol run takes the apostrophe first
  EXPECT_EQ(words(" 's"), (V{" '", "s"}));
  EXPECT_EQ(words("'"), (V{"'"}));
  EXPECT_EQ(words("abc123 456x"), (V{"abc", "123", " 456", "x"}));
  EXPECT_EQ(words("!!! ?? ..."), (V{"!!!", " ??", " ..."}));
}

TEST(PreTokenizer, WhitespaceRunsGiveUpTheirLastCharacter) {
  using V = std::vector<std::string>;
  EXPECT_EQ(words("a  b"), (V{"a", " ", " b"}));
  EXPECT_EQ(words("a   \n\nb"), (V{"a", "   \n", "\n", "b"}));  // the run keeps all but its last "\n"
  EXPECT_EQ(words("x\n\n\ny"), (V{"x", "\n\n", "\n", "y"}));
  EXPECT_EQ(words("a\nb"), (V{"a", "\n", "b"}));               // a single character: \s+ alone
  EXPECT_EQ(words("a  "), (V{"a", "  "}));                      // at the end: the whole run
  EXPECT_EQ(words(" \t x"), (V{" \t", " x"}));
  EXPECT_EQ(words("\t\tx"), (V{"\t", "\t", "x"}));              // a tab does not join the word
  EXPECT_EQ(words(" "), (V{" "}));
  EXPECT_EQ(words(" 7"), (V{" 7"}));
  EXPECT_EQ(words(""), (V{}));
}

TEST(PreTokenizer, UnicodeClasses) {
  using V = std::vector<std::string>;
  EXPECT_EQ(words("naïve café 日本語 ١٢٣"), (V{"naïve", " café", " 日本語", " ١٢٣"}));
  EXPECT_EQ(words("hi 😀😀!"), (V{"hi", " 😀😀!"}));
  EXPECT_EQ(words("a\u00A0b"), (V{"a", "\u00A0", "b"}));                  // NBSP is \s but not ' '
  EXPECT_EQ(words("a\u3000\u3000b"), (V{"a", "\u3000", "\u3000", "b"}));
  EXPECT_EQ(words(utf8({'e', 0x0301, 'x'})), (V{"e", utf8({0x0301}), "x"}));  // marks are not letters
  EXPECT_EQ(words(utf8({'a', 0x1C, 'b'})), (V{"a", utf8({0x1C}), "b"}));      // U+001C is not \s
  EXPECT_EQ(words("x½y"), (V{"x", "½", "y"}));
}

TEST(PreTokenizer, Digits) {
  using V = std::vector<std::string_view>;
  V pieces;
  split_digits("abc1234 de5", false, pieces);
  EXPECT_EQ(pieces, (V{"abc", "1234", " de", "5"}));
  pieces.clear();
  split_digits("abc1234 de5", true, pieces);
  EXPECT_EQ(pieces, (V{"abc", "1", "2", "3", "4", " de", "5"}));
  pieces.clear();
  split_digits("x½٣٤", false, pieces);
  EXPECT_EQ(pieces, (V{"x", "½٣٤"}));
}

// ---- GPT-2 files ------------------------------------------------------------------------------

TEST_F(TokenizerFiles, Gpt2IdsByHand) {
  const Tokenizer t = gpt2();
  EXPECT_EQ(t.vocab_size(), 275);
  EXPECT_EQ(t.bos_id(), 272);
  EXPECT_EQ(t.eos_id(), 272);
  EXPECT_EQ(t.encode("hello"), (Ids{257, 260, 111}));  // "he" (rank 1) before "ll" (4); "hell" never forms
  EXPECT_EQ(t.encode(" the"), (Ids{258}));             // Ġ t -> Ġt, h e -> he, Ġt he -> Ġthe
  EXPECT_EQ(t.encode("the"), (Ids{116, 257}));
  EXPECT_EQ(t.encode("it's"), (Ids{105, 116, 259}));
  EXPECT_EQ(t.encode("1234"), (Ids{264, 51, 52}));
  EXPECT_EQ(t.encode(" 12"), (Ids{32, 264}));
  EXPECT_EQ(t.encode("a   b"), (Ids{97, 265, 32, 98}));  // "a", "  ", " b"
  EXPECT_EQ(t.encode("x\n\n\ny"), (Ids{120, 266, 10, 121}));
  EXPECT_EQ(t.encode("!!!"), (Ids{267, 33}));          // left to right, no overlap
  EXPECT_EQ(t.encode("café"), (Ids{271}));             // Ã© (rank 12) first, then c a, ca f, caf é
  EXPECT_EQ(t.encode(" café"), (Ids{32, 271}));
  EXPECT_EQ(t.encode("😀"), (Ids{240, 159, 152, 128}));  // no merges: the four bytes
  EXPECT_EQ(t.encode("a<|endoftext|>b"), (Ids{97, 272, 98}));
  EXPECT_EQ(t.encode("hello the world's 1234!!!"),
            (Ids{257, 260, 111, 258, 32, 119, 111, 114, 108, 100, 259, 32, 264, 51, 52, 267, 33}));
  EXPECT_EQ(t.encode(""), (Ids{}));
}

TEST_F(TokenizerFiles, EveryOccurrenceOfTheBestPairMergesBeforeTheNextPair) {
  // encoder.py merges all "a b" in "abab" before looking at "ab a" again, although "ab a" has
  // the lower rank: a heap that merged "ab a" as soon as it appeared would give [aba, b].
  const Tokenizer t = gpt2();
  EXPECT_EQ(t.encode("abab"), (Ids{274, 274}));
  EXPECT_EQ(t.encode("aba"), (Ids{273}));  // a b -> ab, then ab a -> aba
}

TEST_F(TokenizerFiles, DecodeGivesTheBytesBack) {
  const Tokenizer t = gpt2();
  EXPECT_EQ(t.decode(Ids{257, 260, 111, 272, 32, 271}), "hello<|endoftext|> café");
  EXPECT_EQ(t.token_bytes(265), "  ");
  EXPECT_EQ(t.token_id("Ġthe"), 258);
  EXPECT_THROW(t.decode(Ids{275}), InputError);
  EXPECT_THROW(t.decode(Ids{-1}), InputError);
}

TEST_F(TokenizerFiles, InvalidUtf8IsRefused) {
  const Tokenizer t = gpt2();
  try {
    t.encode("ok \xC3(");
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("byte 3"), std::string::npos) << e.what();
  }
}

// ---- tokenizer.json ---------------------------------------------------------------------------

TEST_F(TokenizerFiles, ByteLevelWithPrefixSpace) {
  const Tokenizer t = hf(hf_json(kByteLevelPrefix));
  EXPECT_TRUE(t.pipeline().add_prefix_space);
  EXPECT_EQ(t.encode("hello the"), (Ids{32, 257, 260, 111, 258}));  // " hello" " the"
  EXPECT_EQ(t.encode(" the"), (Ids{258}));                          // a space is there already
  EXPECT_EQ(t.encode("the<|endoftext|>the"), (Ids{258, 272, 258}));  // each split gets its space
  EXPECT_EQ(t.encode("x1234 12"), (Ids{32, 120, 264, 51, 52, 32, 264}));
  EXPECT_EQ(t.encode("cafe\u0301"), (Ids{32, 270, 101, 204, 129}));  // no normaliser: " cafe" + U+0301
  EXPECT_EQ(t.bos_id(), 272);  // no post-processor template: <|endoftext|>
}

TEST_F(TokenizerFiles, DigitsThenByteLevelWithPairMerges) {
  const Tokenizer t = hf(hf_json(kDigitsThenByteLevel, "null", kEndOfText, "null", /*pair_merges=*/true));
  ASSERT_EQ(t.pipeline().steps.size(), 1u);
  EXPECT_EQ(t.encode("x1234 12"), (Ids{120, 49, 50, 51, 52, 32, 49, 50}));  // "12" never merges
  EXPECT_EQ(t.encode("hello the"), (Ids{257, 260, 111, 258}));
}

TEST_F(TokenizerFiles, DigitsThenByteLevelWithPrefixSpaceSpacesEveryPiece) {
  const std::string pre = R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": false}, )"
                          R"({"type": "ByteLevel", "add_prefix_space": true, "use_regex": true}]})";
  const Tokenizer t = hf(hf_json(pre));
  // Pieces "the", "12", "!": each split gets a space, as Hugging Face's ByteLevel does.
  EXPECT_EQ(t.encode("the12!"), (Ids{258, 32, 264, 32, 33}));
}

TEST_F(TokenizerFiles, NfcAddedTokensAndTemplateBos) {
  const std::string added = R"([{"id": 272, "content": "<|endoftext|>", "special": true, "normalized": false},
      {"id": 275, "content": "<X>", "lstrip": true, "special": true, "normalized": false},
      {"id": 276, "content": "<Y>", "rstrip": true, "special": true, "normalized": false},
      {"id": 277, "content": "<s>", "special": true, "normalized": false}])";
  const std::string post = R"({"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [{"Sequence": {"id": "A", "type_id": 0}}],
      "special_tokens": {"<s>": {"id": "<s>", "ids": [277], "tokens": ["<s>"]}}})";
  const Tokenizer t = hf(hf_json(kByteLevelPlain, R"({"type": "NFC"})", added, post));
  ASSERT_EQ(t.pipeline().normalizers.size(), 1u);
  EXPECT_EQ(t.pipeline().normalizers[0].kind, TokenizerPipeline::Normalization::Kind::Nfc);
  EXPECT_EQ(t.vocab_size(), 278);
  EXPECT_EQ(t.bos_id(), 277);
  EXPECT_EQ(t.encode("cafe\u0301"), (Ids{271}));           // NFC first: "café"
  EXPECT_EQ(t.encode("a  <X>b"), (Ids{97, 275, 98}));       // lstrip takes the spaces before
  EXPECT_EQ(t.encode("a<Y> \n b"), (Ids{97, 276, 98}));     // rstrip the whitespace after
  EXPECT_EQ(t.encode("a <s> b"), (Ids{97, 32, 277, 32, 98}));
  EXPECT_EQ(t.decode(Ids{97, 275, 98}), "a<X>b");
}

TEST_F(TokenizerFiles, NormalizedAddedTokensAreMatchedAfterTheRawOnes) {
  // "xy" (raw) is cut out before the normalised pass could see "<N>x".
  const std::string added = R"([{"id": 275, "content": "xy", "special": false, "normalized": false},
      {"id": 276, "content": "<N>x", "special": false, "normalized": true}])";
  const Tokenizer t = hf(hf_json(kByteLevelPlain, "null", added));
  EXPECT_EQ(t.encode("<N>xyz"), (Ids{60, 78, 62, 275, 122}));
  EXPECT_EQ(t.encode("<N>xz"), (Ids{276, 122}));
}

TEST_F(TokenizerFiles, StrippedWhitespaceDoesNotHideLaterTokens) {
  // Hugging Face finds every match in the raw text first; a token's rstrip then covers the
  // whitespace after it, but a token matched inside that whitespace is still emitted and the
  // text after it encoded; lstrip never reaches back past the previous token.
  const std::string added = R"([{"id": 275, "content": "<X>", "lstrip": true, "rstrip": true, "special": true, "normalized": false},
      {"id": 276, "content": "  ", "special": false, "normalized": false}])";
  const Tokenizer t = hf(hf_json(kByteLevelPlain, "null", added));
  EXPECT_EQ(t.encode("<X> x"), (Ids{275, 120}));                // the space is stripped
  EXPECT_EQ(t.encode("<X>   x"), (Ids{275, 276, 32, 120}));     // "  " matched, then " x"
  EXPECT_EQ(t.encode("<X>    x"), (Ids{275, 276, 276, 120}));
  EXPECT_EQ(t.encode("a   <X>"), (Ids{97, 276, 275}));          // lstrip takes the third space only
  EXPECT_EQ(t.encode(" <X> <X>   b"), (Ids{275, 275, 276, 32, 98}));
}

TEST_F(TokenizerFiles, UnknownBytes) {
  // A vocabulary of ASCII bytes only: without an unknown token a byte above 0x7F is an error;
  // with one it becomes that token (fused when fuse_unk).
  TokenizerModel model;
  for (int b = 0; b < 128; ++b) model.vocab.emplace_back(byte_level::bytes_to_symbols(std::string(1, static_cast<char>(b))), b);
  model.vocab.emplace_back("<unk>", 128);
  TokenizerPipeline pipeline;
  const Tokenizer strict("ascii", model, {}, pipeline, std::nullopt);
  EXPECT_THROW(strict.encode("a😀"), InputError);
  pipeline.unknown_id = 128;
  const Tokenizer lenient("ascii", model, {}, pipeline, std::nullopt);
  EXPECT_EQ(lenient.encode("a😀b"), (Ids{97, 128, 128, 128, 128, 98}));
  pipeline.fuse_unknown = true;
  const Tokenizer fused("ascii", model, {}, pipeline, std::nullopt);
  EXPECT_EQ(fused.encode("a😀b"), (Ids{97, 128, 98}));
}

TEST_F(TokenizerFiles, IgnoreMergesTakesWholeWords) {
  TokenizerModel model;
  for (int b = 0; b < 256; ++b) model.vocab.emplace_back(byte_level::bytes_to_symbols(std::string(1, static_cast<char>(b))), b);
  model.vocab.emplace_back("he", 256);
  model.vocab.emplace_back("hello", 257);
  model.merges = {{"h", "e"}};
  TokenizerPipeline pipeline;
  EXPECT_EQ(Tokenizer("merges", model, {}, pipeline, std::nullopt).encode("hello"), (Ids{256, 108, 108, 111}));
  pipeline.ignore_merges = true;
  EXPECT_EQ(Tokenizer("whole", model, {}, pipeline, std::nullopt).encode("hello"), (Ids{257}));
}

TEST_F(TokenizerFiles, MalformedGpt2Files) {
  const auto error = [&](const std::string& encoder, const std::string& merges) -> std::string {
    write_text(dir.file("bad_encoder.json"), encoder);
    write_text(dir.file("bad.bpe"), merges);
    try {
      Tokenizer::from_gpt2_files(dir.file("bad_encoder.json"), dir.file("bad.bpe"));
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  };
  const std::string good_vocab = vocab_json(fixture_vocab());
  const std::string good_merges = merges_bpe(kMerges);
  EXPECT_NE(error("{\"a\": 1", good_merges).find("bad_encoder.json"), std::string::npos);
  EXPECT_NE(error("[1, 2]", good_merges).find("expected an object"), std::string::npos);
  EXPECT_NE(error(R"({"a": "x"})", good_merges).find("bad_encoder.json"), std::string::npos);
  EXPECT_NE(error(R"({"a": -3})", good_merges).find("out of range"), std::string::npos);
  const std::string three_parts = error(good_vocab, "#version: 0.2\nh e\nh e l\n");
  EXPECT_NE(three_parts.find("bad.bpe line 3"), std::string::npos) << three_parts;
  const std::string unknown = error(good_vocab, "#version: 0.2\nzz z\n");
  EXPECT_NE(unknown.find("bad.bpe line 2"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("\"zz\" is not in the vocabulary"), std::string::npos) << unknown;
  const std::string result = error(good_vocab, "#version: 0.2\nz z\n");
  EXPECT_NE(result.find("the merged token \"zz\""), std::string::npos) << result;
  EXPECT_NE(error(good_vocab, "#version: 0.2\n").find("no merges"), std::string::npos);
  EXPECT_NE(error(R"({"a": 1, "b": 1})", "a b\n").find("the same id 1"), std::string::npos);
  EXPECT_THROW(Tokenizer::from_gpt2_files(dir.file("missing.json"), dir.file("bad.bpe")), InputError);
}

TEST_F(TokenizerFiles, MalformedTokenizerJson) {
  const auto expect_error = [&](const std::string& json, const std::string& fragment) {
    const std::string message = hf_error(json);
    EXPECT_NE(message.find("tokenizer.json"), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  const std::string good = hf_json(kByteLevelPlain);
  expect_error(good.substr(0, good.size() - 2), "");  // cut off: bad JSON
  expect_error(R"({"version": "1.0"})", "\"model\"");
  std::string word_piece = good;
  word_piece.replace(word_piece.find(R"("type": "BPE")"), 13, R"("type": "WordPiece")");
  expect_error(word_piece, "WordPiece");
  expect_error(hf_json(R"({"type": "Whitespace"})"), "\"Whitespace\" is not supported");
  expect_error(hf_json(kByteLevelPlain, R"({"type": "NFKC"})"), "\"NFKC\" is not supported");
  expect_error(hf_json(kByteLevelPlain, R"({"type": "Precompiled", "precompiled_charsmap": ""})"), "Precompiled");
  expect_error(hf_json(kByteLevelPlain, R"({"type": "Replace", "pattern": {"Regex": " +"}, "content": "_"})"), "String pattern");
  expect_error(hf_json(R"({"type": "Digits", "individual_digits": true})"), "\"Digits\" is not supported with a BPE model");
  expect_error(hf_json(R"({"type": "Sequence", "pretokenizers": [)" + std::string(kByteLevelPlain) +
                       R"(, {"type": "Digits", "individual_digits": true}]})"),
               "after ByteLevel");
  expect_error(hf_json(R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "\\s+"},
                          "behavior": "Isolated", "invert": false}, )" + std::string(kByteLevelPlain) + "]}"),
               "GPT-2's pattern");
  expect_error(hf_json(kByteLevelPlain, "null", R"([{"id": 275, "content": "<X>", "single_word": true}])"), "single_word");
  expect_error(hf_json(kByteLevelPlain, "null", R"([{"id": 3, "content": "<X>"}])"), "which the vocabulary gives to");
  expect_error(hf_json(kByteLevelPlain, "null", R"([{"id": 275, "content": "he"}])"), "the vocabulary gives it the id 257");
  std::string bad_merge = good;
  bad_merge.replace(bad_merge.find(R"("h e")"), 5, R"("h q9")");
  expect_error(bad_merge, "model.merges[1]");
  std::string no_space = good;
  no_space.replace(no_space.find(R"("h e")"), 5, R"("he")");
  expect_error(no_space, "two tokens separated by one space");
  std::string fallback = good;
  fallback.replace(fallback.find(R"("byte_fallback": false)"), 22, R"("byte_fallback": true)");
  expect_error(fallback, "byte_fallback");
}

TEST_F(TokenizerFiles, SplitWithGpt2PatternEqualsByteLevelRegex) {
  const std::string pre = R"({"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": )" +
                          json_quote(R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)") +
                          R"(}, "behavior": "Isolated", "invert": false}, {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]})";
  const Tokenizer split = hf(hf_json(pre));
  const Tokenizer plain = gpt2();
  for (const char* text : {"hello the world's 1234!!!", "a   \n\nb", "x\n\n\ny café"}) EXPECT_EQ(split.encode(text), plain.encode(text));
}

// ---- round trips, cuts and streams ------------------------------------------------------------

// Random text over the whole Unicode range, weighted towards what the pattern distinguishes.
std::string random_text(std::mt19937& rng, int characters) {
  static const char32_t kSpaces[] = {' ', ' ', '\n', '\t', '\r', 0x0B, 0x85, 0xA0, 0x2003, 0x3000, 0x1C};
  static const std::string kAscii = "abcXYZ019'sdmtlrve !?.,-_\"<>|";
  std::string out;
  for (int i = 0; i < characters; ++i) {
    char32_t c;
    switch (std::uniform_int_distribution<int>(0, 9)(rng)) {
      case 0: case 1: case 2: c = static_cast<unsigned char>(kAscii[rng() % kAscii.size()]); break;
      case 3: c = kSpaces[rng() % std::size(kSpaces)]; break;
      case 4: c = std::uniform_int_distribution<char32_t>(0, 0x7F)(rng); break;
      case 5: c = std::uniform_int_distribution<char32_t>(0x80, 0x36F)(rng); break;
      case 6: c = std::uniform_int_distribution<char32_t>(0x370, 0xD7FF)(rng); break;
      case 7: c = std::uniform_int_distribution<char32_t>(0xE000, 0xFFFF)(rng); break;
      default: c = std::uniform_int_distribution<char32_t>(0x10000, 0x10FFFF)(rng); break;
    }
    unicode::append_utf8(out, c);
  }
  return out;
}

TEST_F(TokenizerFiles, RoundTripOnRandomText) {
  const Tokenizer plain = gpt2();
  const Tokenizer spaced = hf(hf_json(kByteLevelPrefix));
  const Tokenizer nfc = hf(hf_json(kDigitsThenByteLevel, R"({"type": "NFC"})"));
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    const std::string text = random_text(rng, 1 + trial % 60);
    ASSERT_EQ(plain.decode(plain.encode(text)), text) << trial;
    ASSERT_EQ(nfc.decode(nfc.encode(text)), unicode::to_nfc(text)) << trial;
    const std::string decoded = spaced.decode(spaced.encode(text));
    ASSERT_EQ(decoded, text.starts_with(' ') ? text : " " + text) << trial;
  }
}

// Lines of words, numbers, added tokens and random characters: text with many cut points.
std::string random_lines(std::mt19937& rng, int lines) {
  static const char* kPieces[] = {"hello", " the", "world's", "1234", "  ", "\n", "!!!", "café", "<X>", "<|endoftext|>", " ",
                                  "e\u0301", "ab", "x", "Q", ".", "7"};
  std::string out;
  for (int line = 0; line < lines; ++line) {
    const int pieces = static_cast<int>(rng() % 8);
    for (int p = 0; p < pieces; ++p) {
      out += rng() % 5 == 0 ? random_text(rng, 2) : kPieces[rng() % std::size(kPieces)];
    }
    out += '\n';
  }
  return out;
}

TEST_F(TokenizerFiles, SafeCutsDoNotChangeTheIds) {
  const std::string added = R"([{"id": 272, "content": "<|endoftext|>", "special": true, "normalized": false},
      {"id": 275, "content": "<X>", "lstrip": true, "rstrip": true, "special": true, "normalized": false}])";
  std::vector<Tokenizer> tokenizers;
  tokenizers.push_back(gpt2());
  tokenizers.push_back(hf(hf_json(kByteLevelPrefix, "null", added)));
  tokenizers.push_back(hf(hf_json(R"({"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": true}, )"
                                  R"({"type": "ByteLevel", "add_prefix_space": true}]})",
                                  R"({"type": "NFC"})", added)));
  std::mt19937 rng(9);
  int cuts = 0;
  for (const Tokenizer& t : tokenizers) {
    for (int trial = 0; trial < 150; ++trial) {
      const std::string text = random_lines(rng, 12);
      const Ids whole = t.encode(text);
      for (std::size_t end = 1; end <= text.size(); end += 1 + rng() % 7) {
        const std::size_t cut = t.safe_cut(std::string_view(text).substr(0, end));
        if (cut == 0) continue;
        ASSERT_LE(cut, end);
        Ids parts = t.encode(std::string_view(text).substr(0, cut));
        t.encode_into(std::string_view(text).substr(cut), parts, /*continues=*/true);
        ASSERT_EQ(parts, whole) << t.name() << " cut at " << cut << " of " << json_quote(text) << " around " << json_quote(text.substr(cut - 12, 24)) << " tok " << (&t - tokenizers.data());
        ++cuts;
      }
    }
  }
  EXPECT_GT(cuts, 1000);  // the check really cut
}

TEST_F(TokenizerFiles, StreamEncoderEqualsWholeEncoding) {
  const Tokenizer t = hf(hf_json(kByteLevelPrefix));
  std::mt19937 rng(3);
  std::string text;
  while (text.size() < (std::size_t{5} << 20)) text += random_lines(rng, 200);
  const Ids whole = t.encode(text);
  StreamEncoder stream(t);
  Ids streamed;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t n = std::min<std::size_t>(text.size() - at, 1 + rng() % 300000);
    stream.feed(std::string_view(text).substr(at, n), streamed);  // pieces end inside characters too
    at += n;
  }
  EXPECT_LT(streamed.size(), whole.size());  // it encoded before the end
  stream.finish(streamed);
  EXPECT_EQ(streamed, whole);
  EXPECT_EQ(stream.bytes_seen(), static_cast<std::int64_t>(text.size()));
}

TEST_F(TokenizerFiles, StreamEncoderNamesTheByteOfBadUtf8) {
  const Tokenizer t = gpt2();
  StreamEncoder stream(t);
  Ids ids;
  const std::string good(3'000'000, 'a');
  stream.feed(good.substr(0, 2'000'000), ids);
  try {
    stream.feed(good.substr(0, 1'000'123) + "\xE0\x80", ids);
    stream.finish(ids);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("byte 3000123"), std::string::npos) << e.what();
  }
  StreamEncoder cut_off(t);
  cut_off.feed("abc\xE6\x97", ids);  // the end of the text cuts a character
  EXPECT_THROW(cut_off.finish(ids), InputError);
}

}  // namespace
}  // namespace coact::data
