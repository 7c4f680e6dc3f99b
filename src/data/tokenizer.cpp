// The tokenizer pipeline (added tokens, normalisation, pre-tokenizer steps, BPE or WordPiece
// with a word cache), decoding, and the streaming encoder. The file readers are in
// tokenizer_files.cpp (tokenizer.json, GPT-2's files, vocab.txt) and tokenizer_gguf.cpp.
#include "coact/data/tokenizer.h"

#include <algorithm>
#include <array>
#include <mutex>

#include "added_tokens.h"
#include "normalizer.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/data/byte_level.h"
#include "coact/data/pre_tokenizer.h"
#include "coact/data/unicode.h"

namespace coact::data {

namespace {

// Words are looked up by string_view without building a std::string (C++20 heterogeneous
// lookup).
struct WordHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view word) const { return std::hash<std::string_view>{}(word); }
};

// Enough for the frequent words of a corpus; beyond it the cache starts over, so memory stays
// bounded on any input.
constexpr std::size_t kWordCacheLimit = std::size_t{1} << 18;
// Longer words (a whole piece when no pre-tokenizer splits it) are encoded without caching.
constexpr std::size_t kCachedWordBytes = 256;

using Model = TokenizerPipeline::Model;
using StepKind = TokenizerPipeline::Step::Kind;

// The pre-tokenizer steps each model reads: Digits and GPT-2's pattern before the byte-level
// step; one Metaspace for a character-level BPE; one Bert split for WordPiece.
void check_steps(const std::string& name, const TokenizerPipeline& pipeline) {
  std::size_t metaspace = 0, bert = 0;
  for (const auto& step : pipeline.steps) {
    const bool byte_level_step = step.kind == StepKind::Digits || step.kind == StepKind::Gpt2Pattern;
    metaspace += step.kind == StepKind::Metaspace;
    bert += step.kind == StepKind::Bert;
    if ((pipeline.model == Model::ByteLevelBpe) != byte_level_step || metaspace > 1 || bert > 1 ||
        (pipeline.model == Model::Bpe && step.kind == StepKind::Bert) ||
        (pipeline.model == Model::WordPiece && step.kind == StepKind::Metaspace)) {
      throw InputError(str(name, ": this combination of pre-tokenizer and model is not supported (byte-level BPE takes ",
                           "Digits and GPT-2's pattern, a character-level BPE one Metaspace, WordPiece one BertPreTokenizer)"));
    }
  }
  if (pipeline.byte_fallback && pipeline.model != Model::Bpe) {
    throw InputError(str(name, ": byte_fallback is read for a character-level BPE only"));
  }
}

// The byte a "<0xNN>" byte-fallback token stands for, or -1.
int fallback_byte(std::string_view spelling) {
  const auto hex = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1; };
  if (spelling.size() != 6 || !spelling.starts_with("<0x") || spelling[5] != '>') return -1;
  const int high = hex(spelling[3]), low = hex(spelling[4]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

// The text a SentencePiece-style token reads as: its space marker ("▁") as a space.
std::string marker_as_space(std::string_view spelling, const std::string& marker) {
  if (marker.empty()) return std::string(spelling);
  std::string out;
  for (std::size_t at = 0;;) {
    const std::size_t found = spelling.find(marker, at);
    if (found == std::string_view::npos) return out.append(spelling.substr(at));
    out.append(spelling.substr(at, found - at)).append(" ");
    at = found + marker.size();
  }
}

// What stands for a space in the vocabulary of a character-level BPE: Metaspace's replacement or
// what a Replace normaliser turns " " into; "" when neither.
std::string space_marker(const TokenizerPipeline& pipeline) {
  for (const auto& step : pipeline.steps)
    if (step.kind == StepKind::Metaspace) return step.replacement;
  for (const auto& n : pipeline.normalizers)
    if (n.kind == TokenizerPipeline::Normalization::Kind::Replace && n.text == " ") return n.replacement;
  return "";
}

// Ids above this are refused: a vocabulary of 16.7 M tokens is far beyond any real tokenizer,
// and a hostile id would otherwise size the id table.
constexpr std::int64_t kMaxTokenId = (std::int64_t{1} << 24) - 1;

}  // namespace

struct Tokenizer::Impl {
  AddedTokenMatcher raw_tokens;         // matched in the raw text
  AddedTokenMatcher normalized_tokens;  // matched after normalisation
  std::mutex cache_mutex;               // encode_into holds it for the whole call
  std::unordered_map<std::string, std::vector<std::int32_t>, WordHash, std::equal_to<>> word_cache;
};

Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer::Tokenizer(std::string name, TokenizerModel model, std::vector<AddedToken> added, TokenizerPipeline pipeline,
                     std::optional<std::int32_t> bos_id)
    : name_(std::move(name)), pipeline_(pipeline), added_(std::move(added)), bos_id_(bos_id), impl_(std::make_unique<Impl>()) {
  check_steps(name_, pipeline_);
  // Size the id table first, refusing ids no real tokenizer has.
  std::int64_t largest = -1;
  const auto check_id = [&](std::int64_t id, std::string_view spelling) {
    if (id < 0 || id > kMaxTokenId) {
      throw InputError(str(name_, ": token ", json_quote(spelling), " has id ", id, ", outside [0, ", kMaxTokenId, "]"));
    }
    largest = std::max(largest, id);
  };
  for (const auto& [spelling, id] : model.vocab) check_id(id, spelling);
  for (const AddedToken& token : added_) check_id(token.id, token.content);
  id_bytes_.resize(static_cast<std::size_t>(largest + 1));
  id_used_.assign(id_bytes_.size(), 0);

  std::vector<std::pair<std::string, std::int32_t>> byte_tokens;
  byte_tokens.reserve(model.vocab.size());
  spelling_ids_.reserve(model.vocab.size() + added_.size());
  std::vector<const std::string*> spelling_of_id(id_bytes_.size(), nullptr);
  const std::string marker = pipeline_.model == Model::Bpe ? space_marker(pipeline_) : std::string();
  std::array<std::int32_t, 256> fallback_ids;
  fallback_ids.fill(-1);
  for (const auto& [spelling, id] : model.vocab) {
    const auto slot = static_cast<std::size_t>(id);
    if (spelling_of_id[slot] != nullptr) {
      throw InputError(str(name_, ": tokens ", json_quote(*spelling_of_id[slot]), " and ", json_quote(spelling), " have the same id ", id));
    }
    spelling_of_id[slot] = &spelling;
    spelling_ids_.emplace(spelling, id);
    id_used_[slot] = 1;
    switch (pipeline_.model) {
      case Model::ByteLevelBpe:
        // A token outside the byte-level alphabet (a raw space in an added whitespace token) is
        // no byte string: BPE never produces it, and it decodes to its own UTF-8.
        if (auto bytes = byte_level::symbols_to_bytes(spelling)) {
          id_bytes_[slot] = *bytes;
          byte_tokens.emplace_back(std::move(*bytes), id);
        } else {
          id_bytes_[slot] = spelling;
        }
        break;
      case Model::Bpe:
        if (const int byte = fallback_byte(spelling); byte >= 0 && pipeline_.byte_fallback) {
          fallback_ids[static_cast<std::size_t>(byte)] = id;
          id_bytes_[slot] = std::string(1, static_cast<char>(byte));
        } else {
          id_bytes_[slot] = marker_as_space(spelling, marker);
        }
        byte_tokens.emplace_back(spelling, id);
        break;
      case Model::WordPiece: {
        const std::string& prefix = pipeline_.continuing_subword_prefix;
        id_bytes_[slot] = !prefix.empty() && spelling.starts_with(prefix) ? spelling.substr(prefix.size()) : " " + spelling;
        break;
      }
    }
  }
  if (pipeline_.model == Model::WordPiece && !model.merges.empty()) {
    throw InputError(str(name_, ": a WordPiece model has no merges (", model.merges.size(), " given)"));
  }

  std::vector<BpeModel::Merge> merges;
  merges.reserve(model.merges.size());
  for (std::size_t k = 0; k < model.merges.size(); ++k) {
    // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
    const std::string& left = model.merges[k].first;
    const std::string& right = model.merges[k].second;
    const auto where = [&] {
      return k < model.merge_lines.size() ? str(model.merges_source, " line ", model.merge_lines[k])
                                          : str(model.merges_source, ": ", model.merges_key, "[", k, "]");
    };
    const auto id_of = [&](const std::string& spelling, const char* what) {
      const auto it = spelling_ids_.find(spelling);
      if (it == spelling_ids_.end()) {
        throw InputError(str(where(), ": merge ", json_quote(left + " " + right), ": ", what, " ", json_quote(spelling),
                             " is not in the vocabulary"));
      }
      return it->second;
    };
    const std::int32_t left_id = id_of(left, "token"), right_id = id_of(right, "token");
    id_of(left + right, "the merged token");
    merges.push_back({left_id, right_id});
  }

  std::vector<const AddedToken*> raw, normalized;
  for (const AddedToken& token : added_) {
    if (token.content.empty()) throw InputError(str(name_, ": added token ", token.id, " is empty"));
    if (unicode::find_invalid_utf8(token.content) != std::string_view::npos) {
      throw InputError(str(name_, ": added token ", token.id, " is not valid UTF-8"));
    }
    const auto slot = static_cast<std::size_t>(token.id);
    // Hugging Face gives an added token whose text is a vocabulary entry that entry's id,
    // whatever the file says; coact refuses files where the two disagree.
    if (const auto same = spelling_ids_.find(token.content); same != spelling_ids_.end() && same->second != token.id) {
      throw InputError(str(name_, ": added token ", json_quote(token.content), " has id ", token.id,
                           ", but the vocabulary gives it the id ", same->second));
    }
    if (spelling_of_id[slot] != nullptr && *spelling_of_id[slot] != token.content) {
      throw InputError(str(name_, ": added token ", json_quote(token.content), " has id ", token.id,
                           ", which the vocabulary gives to ", json_quote(*spelling_of_id[slot])));
    }
    id_bytes_[slot] = token.content;  // an added token decodes to its text
    id_used_[slot] = 1;
    spelling_ids_.emplace(token.content, token.id);
    // Two passes as in Hugging Face, also without a normaliser: the raw tokens are cut out
    // first, so a raw token wins over an overlapping normalised one.
    (token.normalized ? normalized : raw).push_back(&token);
  }
  impl_->raw_tokens = AddedTokenMatcher(raw);
  impl_->normalized_tokens = AddedTokenMatcher(normalized);

  for (const char* end_of_text : {"<|endoftext|>", "<|end_of_text|>", "</s>"}) {
    if (const auto id = token_id(end_of_text)) {
      eos_id_ = id;
      break;
    }
  }
  if (bos_id_ && !has_id(*bos_id_)) throw InputError(str(name_, ": the BOS token id ", *bos_id_, " is not in the vocabulary"));
  if (pipeline_.unknown_id >= 0 && !has_id(pipeline_.unknown_id)) {
    throw InputError(str(name_, ": the unknown token id ", pipeline_.unknown_id, " is not in the vocabulary"));
  }

  for (const std::int32_t id : pipeline_.template_prefix) {
    if (!has_id(id)) throw InputError(str(name_, ": the post-processor's token id ", id, " is not in the vocabulary"));
  }
  for (const std::int32_t id : pipeline_.template_suffix) {
    if (!has_id(id)) throw InputError(str(name_, ": the post-processor's token id ", id, " is not in the vocabulary"));
  }

  if (pipeline_.model == Model::WordPiece) {
    if (pipeline_.unknown_id < 0) throw InputError(str(name_, ": a WordPiece model needs an unknown token (unk_token)"));
    std::unordered_map<std::string, std::int32_t> vocab(model.vocab.begin(), model.vocab.end());
    wordpiece_ = WordPieceModel(std::move(vocab), pipeline_.unknown_id, pipeline_.continuing_subword_prefix,
                                pipeline_.max_input_chars_per_word);
    return;
  }
  bpe_ = BpeModel(name_, byte_tokens, merges, pipeline_.model == Model::Bpe ? BpeModel::Unit::Character : BpeModel::Unit::Byte);
  if (pipeline_.unknown_id >= 0) bpe_.set_unknown(pipeline_.unknown_id, pipeline_.fuse_unknown);
  if (pipeline_.byte_fallback) bpe_.set_byte_fallback(fallback_ids);
  bpe_.set_ignore_merges(pipeline_.ignore_merges);
}

bool Tokenizer::has_id(std::int32_t id) const {
  return id >= 0 && static_cast<std::size_t>(id) < id_used_.size() && id_used_[static_cast<std::size_t>(id)] != 0;
}

std::optional<std::int32_t> Tokenizer::token_id(std::string_view spelling) const {
  const auto it = spelling_ids_.find(std::string(spelling));
  if (it == spelling_ids_.end()) return std::nullopt;
  return it->second;
}

const std::string& Tokenizer::token_bytes(std::int32_t id) const {
  if (!has_id(id)) throw InputError(str(name_, ": token id ", id, " is not in the vocabulary"));
  return id_bytes_[static_cast<std::size_t>(id)];
}

std::string Tokenizer::decode(std::span<const std::int32_t> ids) const {
  std::string out;
  for (const std::int32_t id : ids) out += token_bytes(id);
  return out;
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<std::int32_t> ids;
  ids.reserve(text.size() / 3 + 1);
  encode_into(text, ids);
  return ids;
}

std::vector<std::int32_t> Tokenizer::encode_with_template(std::string_view text) const {
  std::vector<std::int32_t> ids(pipeline_.template_prefix);
  encode_into(text, ids);
  ids.insert(ids.end(), pipeline_.template_suffix.begin(), pipeline_.template_suffix.end());
  return ids;
}

void Tokenizer::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  const auto encode_uncached = [&] {
    if (pipeline_.model == Model::WordPiece) wordpiece_.encode_word(word, out);
    else bpe_.encode_word(word, out);
  };
  if (word.size() == 1 || word.size() > kCachedWordBytes) {  // one byte: nothing to merge or cache
    encode_uncached();
    return;
  }
  auto& cache = impl_->word_cache;
  if (const auto hit = cache.find(word); hit != cache.end()) {
    out.insert(out.end(), hit->second.begin(), hit->second.end());
    return;
  }
  const std::size_t first = out.size();
  encode_uncached();
  if (cache.size() >= kWordCacheLimit) cache.clear();
  cache.emplace(std::string(word), std::vector<std::int32_t>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
}

void Tokenizer::encode_text_piece(std::string_view piece, bool starts_split, bool starts_text, std::vector<std::int32_t>& out) const {
  switch (pipeline_.model) {
    case Model::ByteLevelBpe: encode_byte_level(piece, starts_split, out); return;
    case Model::Bpe: encode_metaspace(piece, starts_text, out); return;
    case Model::WordPiece: encode_bert(piece, out); return;
  }
}

void Tokenizer::encode_byte_level(std::string_view piece, bool starts_split, std::vector<std::int32_t>& out) const {
  // Each pre-tokenizer step cuts every split into pieces; all but a split's first piece are
  // new splits (Hugging Face's ByteLevel gives each split its prefix space).
  struct Split {
    std::string_view text;
    bool starts;
  };
  std::vector<Split> splits{{piece, starts_split}}, next;
  std::vector<std::string_view> parts;
  for (const TokenizerPipeline::Step& step : pipeline_.steps) {
    next.clear();
    for (const Split& split : splits) {
      parts.clear();
      if (step.kind == TokenizerPipeline::Step::Kind::Digits) split_digits(split.text, step.individual_digits, parts);
      else split_gpt2_pattern(split.text, parts);
      for (std::size_t k = 0; k < parts.size(); ++k) next.push_back({parts[k], k == 0 ? split.starts : true});
    }
    splits.swap(next);
  }
  std::string spaced;
  std::vector<std::string_view> words;
  for (const Split& split : splits) {
    std::string_view text = split.text;
    if (pipeline_.add_prefix_space && split.starts && !text.starts_with(' ')) {
      spaced.assign(" ").append(text);
      text = spaced;
    }
    if (!pipeline_.use_regex) {
      encode_word(text, out);
      continue;
    }
    words.clear();
    split_gpt2_pattern(text, words);
    for (const std::string_view word : words) encode_word(word, out);
  }
}

void Tokenizer::encode_metaspace(std::string_view piece, bool starts_text, std::vector<std::int32_t>& out) const {
  const TokenizerPipeline::Step* metaspace = nullptr;
  for (const auto& step : pipeline_.steps)
    if (step.kind == StepKind::Metaspace) metaspace = &step;
  if (metaspace == nullptr) {  // no pre-tokenizer: the piece is one word
    encode_word(piece, out);
    return;
  }
  // Spaces become the marker, which starts the piece unless the scheme says otherwise.
  std::string text;
  using Prepend = TokenizerPipeline::Step::Prepend;
  const std::string& marker = metaspace->replacement;
  const bool prepend = metaspace->prepend == Prepend::Always || (metaspace->prepend == Prepend::First && starts_text);
  for (std::size_t at = 0;;) {
    const std::size_t space = piece.find(' ', at);
    text.append(piece.substr(at, space == std::string_view::npos ? std::string_view::npos : space - at));
    if (space == std::string_view::npos) break;
    text.append(marker);
    at = space + 1;
  }
  if (prepend && !text.empty() && !text.starts_with(marker)) text.insert(0, marker);
  if (!metaspace->split) {
    encode_word(text, out);
    return;
  }
  std::vector<std::string_view> words;
  split_before_marker(text, marker, words);
  for (const std::string_view word : words) encode_word(word, out);
}

void Tokenizer::encode_bert(std::string_view piece, std::vector<std::int32_t>& out) const {
  const bool split = std::any_of(pipeline_.steps.begin(), pipeline_.steps.end(),
                                 [](const TokenizerPipeline::Step& step) { return step.kind == StepKind::Bert; });
  if (!split) {
    encode_word(piece, out);
    return;
  }
  std::vector<std::string_view> words;
  split_bert(piece, words);
  for (const std::string_view word : words) encode_word(word, out);
}

void Tokenizer::encode_into(std::string_view text, std::vector<std::int32_t>& out, bool continues) const {
  if (const std::size_t bad = unicode::find_invalid_utf8(text); bad != std::string_view::npos) {
    throw InputError(str("not valid UTF-8 at byte ", bad));
  }
  const std::lock_guard lock(impl_->cache_mutex);
  std::string normalized;

  // Text between added tokens: normalise, cut out the normalised added tokens, encode.
  // `starts_text`: the piece begins the text (Metaspace's "first" prepend scheme).
  std::vector<AddedTokenMatcher::Piece> raw_pieces, normalized_pieces;
  const auto encode_between = [&](std::string_view piece, bool starts_split, bool starts_text) {
    std::string_view view = piece;
    if (!pipeline_.normalizers.empty()) {
      normalized = normalize(piece, pipeline_.normalizers);
      view = normalized;
    }
    impl_->normalized_tokens.split(view, normalized_pieces);
    for (const AddedTokenMatcher::Piece& part : normalized_pieces) {
      if (part.id >= 0) {
        out.push_back(part.id);
      } else {
        encode_text_piece(view.substr(part.begin, part.end - part.begin), starts_split, starts_text && part.begin == 0, out);
      }
      starts_split = true;
    }
  };

  impl_->raw_tokens.split(text, raw_pieces);
  for (const AddedTokenMatcher::Piece& part : raw_pieces) {
    if (part.id >= 0) {
      out.push_back(part.id);
    } else {
      const bool at_start = !continues && part.begin == 0;
      encode_between(text.substr(part.begin, part.end - part.begin), !(continues && part.begin == 0), at_start);
    }
  }
}

std::size_t Tokenizer::safe_cut(std::string_view text) const {
  // Without a split at whitespace a whole piece is one word: no cut inside it is safe. GPT-2's
  // pattern (byte-level BPE) and BERT's pre-tokenizer split there; a character-level BPE's
  // Metaspace does not split at a newline.
  bool splits_at_newline = false;
  if (pipeline_.model == Model::ByteLevelBpe) {
    splits_at_newline = pipeline_.use_regex;
    for (const auto& step : pipeline_.steps) splits_at_newline |= step.kind == StepKind::Gpt2Pattern;
  } else if (pipeline_.model == Model::WordPiece) {
    for (const auto& step : pipeline_.steps) splits_at_newline |= step.kind == StepKind::Bert;
  }
  if (!splits_at_newline) return 0;
  // Normalisers that act per character (or on combining sequences, which never start with ASCII)
  // cannot join text across the cut; Prepend and Replace could.
  using NormKind = TokenizerPipeline::Normalization::Kind;
  for (const auto& n : pipeline_.normalizers)
    if (n.kind == NormKind::Prepend || n.kind == NormKind::Replace) return 0;

  // Around "\n" between printable non-digit ASCII characters, every step ends a piece at the
  // same place in the whole text and in the parts: the pattern makes "\n" a word of its own
  // (a one-character whitespace run before a non-space; at the end of the first part, a run
  // that ends the text), no Digits piece starts or ends there, NFC composes nothing across it,
  // and a piece starting with an ASCII character needs no prefix space in the whole text.
  const auto plain = [](char c) { return c > ' ' && c < 0x7F && !(c >= '0' && c <= '9'); };
  const std::size_t longest_token = std::max(impl_->raw_tokens.longest(), impl_->normalized_tokens.longest());
  for (std::size_t newline = text.rfind('\n'); newline != std::string_view::npos && newline > 0;
       newline = text.rfind('\n', newline - 1)) {
    const std::size_t cut = newline + 1;
    // Added tokens that could touch the cut must lie wholly in `text` to be seen.
    if (cut + longest_token >= text.size() || !plain(text[newline - 1]) || !plain(text[cut])) continue;
    // No added token may touch the three characters: one ending just before the "\n" would
    // make the "\n" start a split (which gets a prefix space), one starting after it would
    // make the right part start one.
    if (impl_->raw_tokens.overlaps(text, newline - 1, cut + 1) || impl_->normalized_tokens.overlaps(text, newline - 1, cut + 1)) {
      continue;
    }
    return cut;
  }
  return 0;
}

// ---- StreamEncoder ------------------------------------------------------------------------

namespace {
// Pieces below this size are kept whole: cutting costs a backwards scan for a newline.
constexpr std::size_t kStreamCutBytes = std::size_t{1} << 20;
}  // namespace

void StreamEncoder::check_utf8(std::size_t complete) {
  const std::string_view unchecked = std::string_view(pending_).substr(checked_, complete - checked_);
  if (const std::size_t bad = unicode::find_invalid_utf8(unchecked); bad != std::string_view::npos) {
    throw InputError(str("not valid UTF-8 at byte ", consumed_ + static_cast<std::int64_t>(checked_ + bad)));
  }
  checked_ = complete;
}

void StreamEncoder::feed(std::string_view bytes, std::vector<std::int32_t>& out) {
  pending_.append(bytes);
  check_utf8(unicode::complete_utf8_prefix(pending_));
  if (checked_ < kStreamCutBytes) return;
  const std::size_t cut = tokenizer_.safe_cut(std::string_view(pending_).substr(0, checked_));
  if (cut == 0) return;
  tokenizer_.encode_into(std::string_view(pending_).substr(0, cut), out, started_);
  started_ = true;
  consumed_ += static_cast<std::int64_t>(cut);
  pending_.erase(0, cut);
  checked_ -= cut;
}

void StreamEncoder::finish(std::vector<std::int32_t>& out) {
  check_utf8(pending_.size());  // a sequence cut off by the end of the text fails here
  if (!pending_.empty()) tokenizer_.encode_into(pending_, out, started_);
  started_ = true;
  consumed_ += static_cast<std::int64_t>(pending_.size());
  pending_.clear();
  checked_ = 0;
}

}  // namespace coact::data
