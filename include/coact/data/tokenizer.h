// Byte-level BPE tokenizers (GPT-2, and GPT-NeoX-style ones with Digits and NFC such as the
// tokenizer of gelu-1l) read from GPT-2's encoder.json + vocab.bpe or from a Hugging Face
// tokenizer.json.
//
// encode() runs the pipeline of Hugging Face's tokenizers library:
//   1. added tokens (special tokens such as <|endoftext|>) are cut out of the raw text first,
//      so they never reach the pre-tokenizer;
//   2. each remaining piece is normalised (nothing, or NFC), and added tokens marked
//      "normalized" are cut out of the normalised text;
//   3. the pre-tokenizer steps (Digits, GPT-2's pattern) split each piece into words; the
//      byte-level step prepends a space to each split when add_prefix_space is set;
//   4. each word's UTF-8 bytes are merged by BPE (cached per word) into ids.
// encode() returns the text's ids only: a BOS is added when sequences are cut (token_source.h).
// decode() maps ids back to their bytes, so decode(encode(text)) gives the text back, as the
// pipeline changed it: NFC, prefix spaces, stripped whitespace around lstrip/rstrip tokens.
//
// What this class does not read is refused when the file is loaded, with an InputError naming
// the file, the key and the type (WordPiece/Unigram models, Metaspace or other pre-tokenizers,
// normalisers other than NFC, byte_fallback, dropout, single_word added tokens).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "coact/data/bpe.h"

namespace coact::data {

// A token matched in the text before pre-tokenisation (tokenizer.json "added_tokens").
struct AddedToken {
  std::string content;  // UTF-8, matched literally
  std::int32_t id = 0;
  bool special = false;     // informational: decoding keeps special tokens
  bool normalized = false;  // matched in the normalised text rather than the raw text
  bool lstrip = false;      // absorbs the whitespace before it
  bool rstrip = false;      // absorbs the whitespace after it
};

// The pipeline around the BPE model, as the loaders read it from the files.
struct TokenizerPipeline {
  enum class Normalizer { None, Nfc };
  // A pre-tokenizer step before the byte-level mapping: Digits, or a Split with GPT-2's
  // pattern (tokenizer.json "Split" whose regex is GPT-2's, behaviour Isolated).
  struct Step {
    enum class Kind { Digits, Gpt2Pattern };
    Kind kind = Kind::Gpt2Pattern;
    bool individual_digits = false;
  };
  Normalizer normalizer = Normalizer::None;
  std::vector<Step> steps;
  // The byte-level step (always last): add a space before each split that does not start
  // with one; split with GPT-2's pattern (use_regex).
  bool add_prefix_space = false;
  bool use_regex = true;
  bool ignore_merges = false;
  std::int32_t unknown_id = -1;  // model.unk_token, -1 when none
  bool fuse_unknown = false;
};

// The vocabulary and merges as the files spell them: tokens in GPT-2's byte-level symbols
// ("Ġthe"), merges as pairs of tokens.
struct TokenizerModel {
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  // Where the merges come from, for messages: "<merges_source> line <n>" when merge_lines
  // gives each merge's line (vocab.bpe), else "<merges_source>: model.merges[<k>]".
  std::string merges_source;
  std::vector<std::int64_t> merge_lines;
};

class Tokenizer {
 public:
  // GPT-2's files: encoder.json (token -> id) and vocab.bpe (a "#version" line, then one
  // "left right" merge per line). Tokens spelled "<|...|>" (GPT-2's <|endoftext|>) are special
  // tokens matched in the text. BOS: <|endoftext|> when present.
  static Tokenizer from_gpt2_files(const std::string& encoder_json, const std::string& merges_bpe);
  // A Hugging Face tokenizer.json whose model is BPE with a ByteLevel pre-tokenizer. BOS: the
  // first special token of a TemplateProcessing (or the cls of a Roberta/Bert) post-processor,
  // else an added token named <|endoftext|>, <s>, <|begin_of_text|> or <bos>.
  static Tokenizer from_hf_json(const std::string& tokenizer_json);
  // From parts (the loaders end here; tests build small tokenizers with it). `name` is used
  // in messages. Throws InputError for a merge or added token that does not fit the vocabulary.
  Tokenizer(std::string name, TokenizerModel model, std::vector<AddedToken> added, TokenizerPipeline pipeline,
            std::optional<std::int32_t> bos_id);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Ids of well-formed UTF-8 text (InputError naming the byte offset otherwise).
  std::vector<std::int32_t> encode(std::string_view text) const;
  // Appends the ids of `text`. `continues` says the text goes on from earlier text of the same
  // document cut at a safe_cut() point: no prefix space is added to its first split.
  void encode_into(std::string_view text, std::vector<std::int32_t>& out, bool continues = false) const;
  // The largest offset p <= text.size() (or 0 when there is none) such that encoding
  // text[0, p) and then text[p, ...) with `continues` gives the ids of the whole text, whatever
  // follows: p follows a "\n" that sits between two printable ASCII non-digit characters and
  // no added token touches those three. Lets text be encoded in pieces with bounded memory.
  std::size_t safe_cut(std::string_view text) const;

  // The bytes of the ids (InputError for an id not in the vocabulary).
  std::string decode(std::span<const std::int32_t> ids) const;
  // The bytes of one token.
  const std::string& token_bytes(std::int32_t id) const;
  // The id of a token given by its file spelling ("Ġthe", "<|endoftext|>"), or nullopt.
  std::optional<std::int32_t> token_id(std::string_view spelling) const;
  bool has_id(std::int32_t id) const;

  // One more than the largest id (ids below it may be unused).
  std::int64_t vocab_size() const { return static_cast<std::int64_t>(id_bytes_.size()); }
  std::optional<std::int32_t> bos_id() const { return bos_id_; }
  // The end-of-text token placed between documents (<|endoftext|>, </s> or <|end_of_text|>).
  std::optional<std::int32_t> eos_id() const { return eos_id_; }
  const std::string& name() const { return name_; }
  const TokenizerPipeline& pipeline() const { return pipeline_; }
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  struct Impl;
  void encode_text_piece(std::string_view piece, bool starts_split, std::vector<std::int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;

  std::string name_;
  TokenizerPipeline pipeline_;
  std::vector<AddedToken> added_;
  std::optional<std::int32_t> bos_id_, eos_id_;
  std::vector<std::string> id_bytes_;
  std::vector<char> id_used_;
  std::unordered_map<std::string, std::int32_t> spelling_ids_;
  BpeModel bpe_;
  std::unique_ptr<Impl> impl_;  // added-token matchers and the word cache
};

// Encodes one document that arrives in pieces (a large text file read in blocks), cutting it
// only at safe points, so the ids equal those of encode() on the whole document while memory
// stays bounded.
class StreamEncoder {
 public:
  explicit StreamEncoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  // Appends the ids of the part of the text so far that can be encoded now. Throws
  // InputError "not valid UTF-8 at byte N" (N counted from the start of the document).
  void feed(std::string_view bytes, std::vector<std::int32_t>& out);
  // Encodes what is left; the document is complete.
  void finish(std::vector<std::int32_t>& out);
  std::int64_t bytes_seen() const { return consumed_ + static_cast<std::int64_t>(pending_.size()); }

 private:
  void check_utf8(std::size_t from);
  const Tokenizer& tokenizer_;
  std::string pending_;
  std::size_t checked_ = 0;     // bytes of pending_ known to be well-formed
  std::int64_t consumed_ = 0;   // bytes encoded so far
  bool started_ = false;
};

}  // namespace coact::data
