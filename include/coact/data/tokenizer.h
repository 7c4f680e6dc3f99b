// Tokenizers of the models researchers study, read from their files, with the ids Hugging Face's
// `tokenizers` library gives:
//   - byte-level BPE (GPT-2, GPT-NeoX, Llama 3, SmolLM2, ...): GPT-2's encoder.json + vocab.bpe,
//     a tokenizer.json, or a GGUF file's tokenizer.ggml.* metadata (model "gpt2");
//   - SentencePiece-style BPE over characters with byte fallback (Llama 2, Mistral, Gemma):
//     a tokenizer.json whose normaliser prepends "▁" and replaces spaces by it, or whose
//     pre-tokenizer is Metaspace; characters outside the vocabulary become <0xNN> byte tokens;
//   - WordPiece (BERT, MiniLM): tokenizer.json, or vocab.txt with the lower-casing stated in the
//     tokenizer_config.json beside it; BertNormalizer, BertPreTokenizer, "##" continuations.
//
// encode() runs the pipeline of Hugging Face's tokenizers library:
//   1. added tokens (special tokens such as <|endoftext|>) are cut out of the raw text first,
//      so they never reach the pre-tokenizer;
//   2. each remaining piece is normalised (TokenizerPipeline::normalizers, in order), and added
//      tokens marked "normalized" are cut out of the normalised text;
//   3. the pre-tokenizer steps split each piece into words: Digits and GPT-2's pattern then the
//      byte-level step (which prepends a space to each split when add_prefix_space is set);
//      Metaspace; or BERT's whitespace and punctuation split;
//   4. each word is encoded by the model: BPE merges by rank over bytes or characters (cached
//      per word), or WordPiece's greedy longest match.
// encode() returns the text's ids only, without the post-processor's special tokens: a BOS is
// added when sequences are cut (token_source.h); encode_with_template() adds the template's
// tokens ([CLS] ... [SEP] for BERT). decode() concatenates token_bytes(), the text each token
// stands for, so decode(encode(text)) gives the text back as the pipeline changed it (NFC,
// lower case, prefix spaces; a WordPiece word-initial token and a "▁" read as a space).
//
// What this class does not read is refused when the file is loaded, with an InputError naming
// the file and the key (Unigram models, normalisers such as NFKC or Precompiled, other
// pre-tokenizers, BPE dropout, single_word added tokens, tokenizer.ggml.pre values coact does
// not know). Nothing is approximated.
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
#include "coact/data/wordpiece.h"

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

// The pipeline around the model, as the loaders read it from the files.
struct TokenizerPipeline {
  // How a word becomes ids.
  enum class Model {
    ByteLevelBpe,  // BPE over bytes; the vocabulary is spelled in GPT-2's byte alphabet ("Ġthe")
    Bpe,           // BPE over UTF-8 characters; the vocabulary is UTF-8 ("▁the"), byte_fallback
    WordPiece,     // greedy longest match; continuation pieces carry continuing_subword_prefix
  };
  Model model = Model::ByteLevelBpe;

  // A normalisation step (tokenizer.json "normalizer"), applied in order.
  struct Normalization {
    enum class Kind {
      Nfc,           // "NFC"
      Nfd,           // "NFD"
      Lowercase,     // "Lowercase": full lowercase of each character
      StripAccents,  // "StripAccents": remove Mn characters (after an NFD step)
      Bert,          // "BertNormalizer": the four flags below, in this order
      Prepend,       // "Prepend": `text` before a non-empty piece
      Replace,       // "Replace" with a String pattern: every `text` becomes `replacement`
    };
    Kind kind = Kind::Nfc;
    // Bert: remove Cc/Cf/Co, U+0000 and U+FFFD and map whitespace to " "; surround CJK
    // ideographs with spaces; NFD then remove Mn; lowercase.
    bool clean_text = true, handle_chinese_chars = true, strip_accents = true, lowercase = true;
    std::string text, replacement;  // Prepend, Replace
  };
  std::vector<Normalization> normalizers;

  // A pre-tokenizer step. Before the byte-level step: Digits, or a Split with GPT-2's pattern
  // (tokenizer.json "Split" whose regex is GPT-2's, behaviour Isolated). Metaspace: spaces
  // become `replacement`, which is prepended as `prepend` says and, when `split`, starts each
  // word. Bert: split at whitespace (removed) and around each punctuation character.
  struct Step {
    enum class Kind { Digits, Gpt2Pattern, Metaspace, Bert };
    enum class Prepend { Always, First, Never };  // First: only at the start of the text
    Kind kind = Kind::Gpt2Pattern;
    bool individual_digits = false;
    std::string replacement = "\u2581";  // Metaspace: "▁"
    Prepend prepend = Prepend::Always;
    bool split = true;
  };
  std::vector<Step> steps;
  // The byte-level step (ByteLevelBpe; always last): add a space before each split that does
  // not start with one; split with GPT-2's pattern (use_regex).
  bool add_prefix_space = false;
  bool use_regex = true;

  bool ignore_merges = false;       // BPE: a word that is a token is not merged
  bool byte_fallback = false;       // Bpe: a character outside the vocabulary becomes <0xNN> tokens
  std::int32_t unknown_id = -1;     // the model's unk_token, -1 when none
  bool fuse_unknown = false;        // BPE: consecutive unknowns become one
  std::string continuing_subword_prefix = "##";  // WordPiece
  std::int64_t max_input_chars_per_word = 100;   // WordPiece: longer words are unknown

  // The post-processor's template for one sequence: special tokens before and after the text.
  std::vector<std::int32_t> template_prefix, template_suffix;
};

// The vocabulary and merges as the files spell them: tokens in GPT-2's byte-level symbols
// ("Ġthe") for ByteLevelBpe, as UTF-8 otherwise; merges as pairs of tokens (BPE only).
struct TokenizerModel {
  std::vector<std::pair<std::string, std::int32_t>> vocab;
  std::vector<std::pair<std::string, std::string>> merges;  // in rank order
  // Where the merges come from, for messages: "<merges_source> line <n>" when merge_lines
  // gives each merge's line (vocab.bpe), else "<merges_source>: <merges_key>[<k>]".
  std::string merges_source;
  std::string merges_key = "model.merges";
  std::vector<std::int64_t> merge_lines;
};

class Tokenizer {
 public:
  // GPT-2's files: encoder.json (token -> id) and vocab.bpe (a "#version" line, then one
  // "left right" merge per line). Tokens spelled "<|...|>" (GPT-2's <|endoftext|>) are special
  // tokens matched in the text. BOS: <|endoftext|> when present.
  static Tokenizer from_gpt2_files(const std::string& encoder_json, const std::string& merges_bpe);
  // A Hugging Face tokenizer.json: a BPE model with a ByteLevel pre-tokenizer, a BPE model over
  // characters (Metaspace or a Prepend/Replace normaliser, byte_fallback), or a WordPiece
  // model. BOS: the first special token of a TemplateProcessing (or the cls of a Roberta/Bert)
  // post-processor, else an added token named <|endoftext|>, <s>, <|begin_of_text|> or <bos>.
  static Tokenizer from_hf_json(const std::string& tokenizer_json);
  // The tokenizer in a GGUF file's metadata: tokenizer.ggml.model "gpt2" (byte-level BPE:
  // tokens, merges, token_type; the pre-tokenizer tokenizer.ggml.pre must be one coact knows,
  // see docs/formats.md). Control and user-defined tokens are added tokens; BOS is
  // tokenizer.ggml.bos_token_id.
  static Tokenizer from_gguf(const std::string& gguf_path);
  // BERT's vocab.txt (one token per line, the line number is the id) with the BERT pipeline
  // (BertNormalizer, BertPreTokenizer, WordPiece "##", [UNK], [CLS] text [SEP]); `lowercase`
  // says whether the model is uncased (tokenizer_config.json "do_lower_case").
  static Tokenizer from_bert_vocab(const std::string& vocab_txt, bool lowercase);
  // Any of the above by what `path` is: a GGUF file (by its magic), a vocab.txt (its
  // tokenizer_config.json beside it must give do_lower_case), a tokenizer.json. GPT-2's two
  // files need from_gpt2_files.
  static Tokenizer from_file(const std::string& path);
  // From parts (the loaders end here; tests build small tokenizers with it). `name` is used
  // in messages. Throws InputError for a merge or added token that does not fit the vocabulary.
  Tokenizer(std::string name, TokenizerModel model, std::vector<AddedToken> added, TokenizerPipeline pipeline,
            std::optional<std::int32_t> bos_id);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  // Ids of well-formed UTF-8 text (InputError naming the byte offset otherwise).
  std::vector<std::int32_t> encode(std::string_view text) const;
  // template_prefix + encode(text) + template_suffix: what Hugging Face's encode() gives with
  // add_special_tokens (BERT: [CLS] ... [SEP]).
  std::vector<std::int32_t> encode_with_template(std::string_view text) const;
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
  // The id of a token given by its file spelling ("Ġthe", "▁the", "##ing", "<|endoftext|>"), or
  // nullopt.
  std::optional<std::int32_t> token_id(std::string_view spelling) const;
  bool has_id(std::int32_t id) const;

  // One more than the largest id (ids below it may be unused).
  std::int64_t vocab_size() const { return static_cast<std::int64_t>(id_bytes_.size()); }
  std::optional<std::int32_t> bos_id() const { return bos_id_; }
  // The end-of-text token placed between documents (<|endoftext|>, </s> or <|end_of_text|>;
  // a GGUF file's tokenizer.ggml.eos_token_id).
  std::optional<std::int32_t> eos_id() const { return eos_id_; }
  const std::string& name() const { return name_; }
  const TokenizerPipeline& pipeline() const { return pipeline_; }
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  struct Impl;
  void encode_text_piece(std::string_view piece, bool starts_split, bool starts_text, std::vector<std::int32_t>& out) const;
  void encode_byte_level(std::string_view piece, bool starts_split, std::vector<std::int32_t>& out) const;
  void encode_metaspace(std::string_view piece, bool starts_text, std::vector<std::int32_t>& out) const;
  void encode_bert(std::string_view piece, std::vector<std::int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<std::int32_t>& out) const;
  void set_eos(std::optional<std::int32_t> id) { eos_id_ = id; }

  std::string name_;
  TokenizerPipeline pipeline_;
  std::vector<AddedToken> added_;
  std::optional<std::int32_t> bos_id_, eos_id_;
  std::vector<std::string> id_bytes_;
  std::vector<char> id_used_;
  std::unordered_map<std::string, std::int32_t> spelling_ids_;
  BpeModel bpe_;
  WordPieceModel wordpiece_;
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
