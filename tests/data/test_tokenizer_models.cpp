// The tokenizer kinds beyond byte-level BPE: SentencePiece-style BPE over characters with byte
// fallback (legacy Prepend/Replace normaliser and Metaspace), WordPiece with BERT's normaliser
// and pre-tokenizer (tokenizer.json and vocab.txt), and the Unicode they need. Every expected id
// is derived by hand from the tiny vocabularies below.
#include <gtest/gtest.h>

#include <fstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/data/pre_tokenizer.h"
#include "coact/data/tokenizer.h"
#include "coact/data/unicode.h"
#include "support/temp_dir.h"

namespace coact::data {
namespace {

using Ids = std::vector<std::int32_t>;

void write_text(const std::string& path, const std::string& content) { std::ofstream(path, std::ios::binary) << content; }

std::string vocab_json(const std::vector<std::pair<std::string, std::int32_t>>& vocab) {
  JsonWriter json;
  json.begin_object();
  for (const auto& [token, id] : vocab) json.field(token, id);
  json.end_object();
  return json.str();
}

// ---- Unicode for BERT --------------------------------------------------------------------------

TEST(BertUnicode, NfdLowercaseAndCategories) {
  EXPECT_EQ(unicode::to_nfd("caf\u00e9"), "cafe\u0301");
  EXPECT_EQ(unicode::to_nfd("\ud55c"), "\u1112\u1161\u11ab");      // 한: Hangul decomposes into jamo
  EXPECT_EQ(unicode::to_nfd("\u1e69"), "s\u0323\u0307");           // ṩ: two marks, canonical order
  EXPECT_EQ(unicode::to_nfd("plain ascii"), "plain ascii");
  std::string lower;
  for (const char32_t c : {U'A', U'\u0130', U'\u03a3', U'\u00c9', U'z', U'\u1e9e'}) unicode::append_lowercase(lower, c);
  EXPECT_EQ(lower, "ai\u0307\u03c3\u00e9z\u00df");                 // İ -> i + combining dot; ẞ -> ß
  EXPECT_TRUE(unicode::is_punctuation(U'!'));
  EXPECT_TRUE(unicode::is_punctuation(U'\u00bf'));                  // ¿ Po
  EXPECT_TRUE(unicode::is_punctuation(U'\u2014'));                  // — Pd
  EXPECT_FALSE(unicode::is_punctuation(U'$'));                      // Sc: only BERT's ASCII rule splits it
  EXPECT_TRUE(unicode::is_control_format_private(U'\u200b'));       // Cf
  EXPECT_TRUE(unicode::is_control_format_private(U'\ue000'));       // Co
  EXPECT_TRUE(unicode::is_control_format_private(U'\x07'));         // Cc
  EXPECT_FALSE(unicode::is_control_format_private(0x378));          // unassigned: not a control
  EXPECT_TRUE(unicode::is_nonspacing_mark(U'\u0301'));
  EXPECT_FALSE(unicode::is_nonspacing_mark(U'\u0903'));             // Mc
}

TEST(BertUnicode, PreTokenizerSplits) {
  std::vector<std::string_view> words;
  split_bert("Hello,  world!$5\u3002\u00a0x", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"Hello", ",", "world", "!", "$", "5", "\u3002", "x"}));
  words.clear();
  split_before_marker("a\u2581\u2581b\u2581c\u2581", "\u2581", words);
  EXPECT_EQ(words, (std::vector<std::string_view>{"a", "\u2581", "\u2581b", "\u2581c", "\u2581"}));
}

// ---- SentencePiece-style BPE ------------------------------------------------------------------
// Ids: 0 <unk>, 1 <s>, 2 </s>, 3 + b for <0xbb>, then
//   259 ▁  260 h  261 e  262 l  263 o  264 w  265 r  266 d  267 he  268 ll  269 llo  270 hello
//   271 ▁hello  272 ▁w  273 or  274 ▁wor  275 ▁worl  276 ▁world  277 é  278 ▁▁
// merges in rank order: h e, l l, ll o, he llo, ▁ hello, ▁ w, o r, ▁w or, ▁wor l, ▁worl d, ▁ ▁.

const char* const kPieces[] = {"\u2581", "h", "e", "l", "o", "w", "r", "d", "he", "ll", "llo", "hello", "\u2581hello",
                               "\u2581w", "or", "\u2581wor", "\u2581worl", "\u2581world", "\u00e9", "\u2581\u2581"};
const std::pair<const char*, const char*> kPieceMerges[] = {
    {"h", "e"}, {"l", "l"}, {"ll", "o"}, {"he", "llo"}, {"\u2581", "hello"}, {"\u2581", "w"}, {"o", "r"},
    {"\u2581w", "or"}, {"\u2581wor", "l"}, {"\u2581worl", "d"}, {"\u2581", "\u2581"}};

std::vector<std::pair<std::string, std::int32_t>> piece_vocab() {
  std::vector<std::pair<std::string, std::int32_t>> vocab{{"<unk>", 0}, {"<s>", 1}, {"</s>", 2}};
  static const char* hex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) vocab.emplace_back(str("<0x", hex[b >> 4], hex[b & 15], ">"), 3 + b);
  std::int32_t id = 259;
  for (const char* piece : kPieces) vocab.emplace_back(piece, id++);
  return vocab;
}

// A Llama-style tokenizer.json; `normalizer` and `pre_tokenizer` are JSON text.
std::string piece_json(const std::string& normalizer, const std::string& pre_tokenizer, bool byte_fallback = true,
                       bool fuse_unk = true) {
  std::string merges = "[";
  for (const auto& [left, right] : kPieceMerges) merges += (merges.size() > 1 ? ", " : "") + json_quote(str(left, " ", right));
  merges += "]";
  return R"({"version": "1.0", "added_tokens": [{"id": 0, "content": "<unk>", "special": true, "normalized": false},
      {"id": 1, "content": "<s>", "special": true, "normalized": false},
      {"id": 2, "content": "</s>", "special": true, "normalized": false}], "normalizer": )" +
         normalizer + R"(, "pre_tokenizer": )" + pre_tokenizer + R"(, "post_processor": {"type": "TemplateProcessing",
      "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
      "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [1], "tokens": ["<s>"]}}},
      "decoder": null, "model": {"type": "BPE", "dropout": null, "unk_token": "<unk>", "fuse_unk": )" +
         (fuse_unk ? "true" : "false") + R"(, "byte_fallback": )" + (byte_fallback ? "true" : "false") +
         R"(, "vocab": )" + vocab_json(piece_vocab()) + R"(, "merges": )" + merges + "}}";
}

constexpr const char* kLegacyNormalizer =
    R"({"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"},
       {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]})";

std::string metaspace(const std::string& scheme, bool split) {
  return str(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": ")", scheme, R"(", "split": )",
             split ? "true" : "false", "}");
}

class TokenizerModels : public ::testing::Test {
 protected:
  Tokenizer json(const std::string& text) {
    write_text(dir.file("tokenizer.json"), text);
    return Tokenizer::from_hf_json(dir.file("tokenizer.json"));
  }
  std::string json_error(const std::string& text) {
    try {
      json(text);
    } catch (const InputError& e) {
      return e.what();
    }
    return "no error";
  }
  coact::testing::TempDir dir;
};

TEST_F(TokenizerModels, LegacySentencePieceNormaliser) {
  const Tokenizer t = json(piece_json(kLegacyNormalizer, "null"));
  EXPECT_EQ(t.pipeline().model, TokenizerPipeline::Model::Bpe);
  EXPECT_EQ(t.encode("hello world"), (Ids{271, 276}));
  EXPECT_EQ(t.encode("hello\nw\u00e9"), (Ids{271, 3 + 0x0A, 264, 277}));       // "\n" by byte fallback
  EXPECT_EQ(t.encode("\u65e5"), (Ids{259, 3 + 0xE6, 3 + 0x97, 3 + 0xA5}));     // 日: three bytes
  EXPECT_EQ(t.encode("<s>hello"), (Ids{1, 271}));                              // Prepend acts on each piece
  EXPECT_EQ(t.encode("h  e"), (Ids{259, 260, 278, 261}));                      // one word: "▁▁" merges
  EXPECT_EQ(t.encode(""), (Ids{}));
  EXPECT_EQ(t.decode(Ids{271, 3 + 0x0A, 264, 277}), " hello\nw\u00e9");
  EXPECT_EQ(t.decode(Ids{3 + 0xE6, 3 + 0x97, 3 + 0xA5}), "\u65e5");
  EXPECT_EQ(t.token_bytes(278), "  ");
  EXPECT_EQ(t.bos_id(), 1);
  EXPECT_EQ(t.eos_id(), 2);
  EXPECT_EQ(t.encode_with_template("hello"), (Ids{1, 271}));
}

TEST_F(TokenizerModels, MetaspaceSchemesAndSplit) {
  const Tokenizer first = json(piece_json("null", metaspace("first", true)));
  EXPECT_EQ(first.encode("hello world"), (Ids{271, 276}));
  EXPECT_EQ(first.encode("<s>hello"), (Ids{1, 270}));                          // not the start of the text
  EXPECT_EQ(first.encode("h  e"), (Ids{259, 260, 259, 259, 261}));             // split: "▁h" "▁" "▁e"
  const Tokenizer always = json(piece_json("null", metaspace("always", true)));
  EXPECT_EQ(always.encode("<s>hello"), (Ids{1, 271}));
  const Tokenizer never = json(piece_json("null", metaspace("never", false)));
  EXPECT_EQ(never.encode("hello world"), (Ids{270, 276}));
  const Tokenizer whole = json(piece_json("null", metaspace("first", false)));
  EXPECT_EQ(whole.encode("h  e"), (Ids{259, 260, 278, 261}));                  // no split: "▁▁" merges
  // Files from before prepend_scheme: add_prefix_space.
  const Tokenizer old = json(piece_json("null", R"({"type": "Metaspace", "replacement": "▁", "add_prefix_space": true})"));
  EXPECT_EQ(old.encode("<s>hello"), (Ids{1, 271}));
}

TEST_F(TokenizerModels, UnknownCharactersWithoutByteFallback) {
  const Tokenizer fused = json(piece_json(kLegacyNormalizer, "null", /*byte_fallback=*/false, /*fuse_unk=*/true));
  EXPECT_EQ(fused.encode("\u65e5\u672c"), (Ids{259, 0}));
  const Tokenizer separate = json(piece_json(kLegacyNormalizer, "null", false, false));
  EXPECT_EQ(separate.encode("\u65e5\u672c h"), (Ids{259, 0, 0, 259, 260}));
}

TEST_F(TokenizerModels, UnsupportedSentencePieceFilesAreRefusedByKey) {
  EXPECT_NE(json_error(piece_json(kLegacyNormalizer, R"({"type": "WhitespaceSplit"})")).find("\"WhitespaceSplit\""),
            std::string::npos);
  std::string unigram = piece_json(kLegacyNormalizer, "null");
  unigram.replace(unigram.find(R"("type": "BPE")"), 13, R"("type": "Unigram")");
  EXPECT_NE(json_error(unigram).find("model type \"Unigram\""), std::string::npos);
  const std::string bad_scheme = json_error(piece_json("null", metaspace("sometimes", true)));
  EXPECT_NE(bad_scheme.find("prepend_scheme"), std::string::npos) << bad_scheme;
}

// ---- WordPiece -------------------------------------------------------------------------------
// Ids: 0 [PAD] 1 [UNK] 2 [CLS] 3 [SEP] 4 [MASK] 5 hello 6 world 7 un 8 ##aff 9 ##able 10 ,
//      11 ! 12 cafe 13 日 14 本 15 $ 16 Hello 17 Café

const char* const kWords[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "un", "##aff",
                              "##able", ",", "!", "cafe", "\u65e5", "\u672c", "$", "Hello", "Caf\u00e9"};

std::string bert_json(bool lowercase, std::int64_t max_chars = 100) {
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  for (std::int32_t id = 0; id < static_cast<std::int32_t>(std::size(kWords)); ++id) vocab.emplace_back(kWords[id], id);
  std::string added = "[";
  for (int id = 0; id < 5; ++id) {
    added += str(id ? ", " : "", R"({"id": )", id, R"(, "content": )", json_quote(kWords[id]),
                 R"(, "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true})");
  }
  added += "]";
  const char* flag = lowercase ? "true" : "false";
  return str(R"({"version": "1.0", "added_tokens": )", added,
             R"(, "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                 "strip_accents": null, "lowercase": )", flag, R"(},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "post_processor": {"type": "TemplateProcessing",
               "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                          {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
               "pair": [], "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]},
                                              "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
             "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                       "max_input_chars_per_word": )",
             max_chars, R"(, "vocab": )", vocab_json(vocab), "}}");
}

TEST_F(TokenizerModels, UncasedWordPiece) {
  const Tokenizer t = json(bert_json(true));
  EXPECT_EQ(t.pipeline().model, TokenizerPipeline::Model::WordPiece);
  EXPECT_EQ(t.encode("Hello, WORLD!"), (Ids{5, 10, 6, 11}));
  EXPECT_EQ(t.encode("unaffable"), (Ids{7, 8, 9}));
  EXPECT_EQ(t.encode("unaffablex hello"), (Ids{1, 5}));      // one bad piece: the whole word is [UNK]
  EXPECT_EQ(t.encode("Caf\u00e9"), (Ids{12}));                // NFD, strip the accent, lower-case
  EXPECT_EQ(t.encode("\u65e5\u672c"), (Ids{13, 14}));         // CJK ideographs split apart
  EXPECT_EQ(t.encode("hel\u200blo\x07"), (Ids{5}));           // Cf and Cc removed
  EXPECT_EQ(t.encode("$hello\tworld\n"), (Ids{15, 5, 6}));    // $ is ASCII punctuation for BERT
  EXPECT_EQ(t.encode("[CLS] Hello [SEP]"), (Ids{2, 5, 3}));   // special tokens matched in the raw text
  EXPECT_EQ(t.encode_with_template("hello"), (Ids{2, 5, 3}));
  EXPECT_EQ(t.bos_id(), 2);
  EXPECT_EQ(t.decode(Ids{5, 10, 7, 8, 9}), " hello , unaffable");
  EXPECT_EQ(t.token_id("##aff"), 8);
}

TEST_F(TokenizerModels, CasedWordPieceAndWordLimit) {
  const Tokenizer cased = json(bert_json(false));
  EXPECT_EQ(cased.encode("Hello hello Caf\u00e9 cafe"), (Ids{16, 5, 17, 12}));
  const Tokenizer short_words = json(bert_json(true, 5));
  EXPECT_EQ(short_words.encode("unaffable hello"), (Ids{1, 5}));  // 9 characters > 5
}

TEST_F(TokenizerModels, BertVocabTxt) {
  std::string lines;
  for (const char* word : kWords) lines += str(word, "\n");
  write_text(dir.file("vocab.txt"), lines);
  const Tokenizer t = Tokenizer::from_bert_vocab(dir.file("vocab.txt"), true);
  const Tokenizer from_json = json(bert_json(true));
  for (const char* text : {"Hello, WORLD!", "unaffable Caf\u00e9 \u65e5\u672c [SEP] x", "$5"}) {
    EXPECT_EQ(t.encode(text), from_json.encode(text)) << text;
    EXPECT_EQ(t.encode_with_template(text), from_json.encode_with_template(text)) << text;
  }
  // from_file reads the casing from tokenizer_config.json beside vocab.txt.
  try {
    Tokenizer::from_file(dir.file("vocab.txt"));
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
  write_text(dir.file("tokenizer_config.json"), R"({"do_lower_case": false})");
  EXPECT_EQ(Tokenizer::from_file(dir.file("vocab.txt")).encode("Hello hello"), (Ids{16, 5}));
  write_text(dir.file("dup.txt"), "[UNK]\n[CLS]\n[SEP]\nx\nx\n");
  try {
    Tokenizer::from_bert_vocab(dir.file("dup.txt"), true);
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("dup.txt line 5"), std::string::npos) << e.what();
  }
}

TEST_F(TokenizerModels, WordPieceNeedsItsUnknownToken) {
  std::string text = bert_json(true);
  text.replace(text.find(R"("unk_token": "[UNK]")"), 20, R"("unk_token": "[NOPE]")");
  EXPECT_NE(json_error(text).find("\"[NOPE]\" is not in the vocabulary"), std::string::npos);
  std::string other = bert_json(true);
  other.replace(other.find(R"({"type": "BertPreTokenizer"})"), 28, R"({"type": "Whitespace"})");
  EXPECT_NE(json_error(other).find("\"Whitespace\" is not supported with a WordPiece model"), std::string::npos);
}

TEST_F(TokenizerModels, StreamedTextEqualsWholeTextForWordPiece) {
  const Tokenizer t = json(bert_json(true));
  std::string text;
  for (int i = 0; i < 80000; ++i) text += i % 7 == 0 ? "Hello, world!\n" : "unaffable caf\u00e9 x\n";
  StreamEncoder stream(t);
  std::vector<std::int32_t> streamed;
  for (std::size_t at = 0; at < text.size(); at += 4099) stream.feed(std::string_view(text).substr(at, 4099), streamed);
  stream.finish(streamed);
  EXPECT_EQ(streamed, t.encode(text));
  EXPECT_GT(t.safe_cut(text), 0u);
}

}  // namespace
}  // namespace coact::data
