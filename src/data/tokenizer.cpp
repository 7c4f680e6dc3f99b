// The tokenizer pipeline (added tokens, normalisation, pre-tokenizer steps, byte-level BPE with
// a word cache), decoding, and the streaming encoder. The file readers are in
// tokenizer_files.cpp.
#include "coact/data/tokenizer.h"

#include <algorithm>
#include <mutex>

#include "added_tokens.h"
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
  for (const auto& [spelling, id] : model.vocab) {
    const auto slot = static_cast<std::size_t>(id);
    if (spelling_of_id[slot] != nullptr) {
      throw InputError(str(name_, ": tokens ", json_quote(*spelling_of_id[slot]), " and ", json_quote(spelling), " have the same id ", id));
    }
    spelling_of_id[slot] = &spelling;
    spelling_ids_.emplace(spelling, id);
    id_used_[slot] = 1;
    // A token outside the byte-level alphabet (a raw space in an added whitespace token) is
    // no byte string: BPE never produces it, and it decodes to its own UTF-8.
    if (auto bytes = byte_level::symbols_to_bytes(spelling)) {
      id_bytes_[slot] = *bytes;
      byte_tokens.emplace_back(std::move(*bytes), id);
    } else {
      id_bytes_[slot] = spelling;
    }
  }

  std::vector<BpeModel::Merge> merges;
  merges.reserve(model.merges.size());
  for (std::size_t k = 0; k < model.merges.size(); ++k) {
    // Named references, not a structured binding: clang 14 cannot capture those in a lambda.
    const std::string& left = model.merges[k].first;
    const std::string& right = model.merges[k].second;
    const auto where = [&] {
      return k < model.merge_lines.size() ? str(model.merges_source, " line ", model.merge_lines[k])
                                          : str(model.merges_source, ": model.merges[", k, "]");
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

  bpe_ = BpeModel(name_, byte_tokens, merges);
  if (pipeline_.unknown_id >= 0) bpe_.set_unknown(pipeline_.unknown_id, pipeline_.fuse_unknown);
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

void Tokenizer::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.size() == 1) {  // one byte: one symbol, nothing to merge or cache
    bpe_.encode_word(word, out);
    return;
  }
  auto& cache = impl_->word_cache;
  if (const auto hit = cache.find(word); hit != cache.end()) {
    out.insert(out.end(), hit->second.begin(), hit->second.end());
    return;
  }
  const std::size_t first = out.size();
  bpe_.encode_word(word, out);
  if (cache.size() >= kWordCacheLimit) cache.clear();
  cache.emplace(std::string(word), std::vector<std::int32_t>(out.begin() + static_cast<std::ptrdiff_t>(first), out.end()));
}

void Tokenizer::encode_text_piece(std::string_view piece, bool starts_split, std::vector<std::int32_t>& out) const {
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

void Tokenizer::encode_into(std::string_view text, std::vector<std::int32_t>& out, bool continues) const {
  if (const std::size_t bad = unicode::find_invalid_utf8(text); bad != std::string_view::npos) {
    throw InputError(str("not valid UTF-8 at byte ", bad));
  }
  const std::lock_guard lock(impl_->cache_mutex);
  const bool nfc = pipeline_.normalizer == TokenizerPipeline::Normalizer::Nfc;
  std::string normalized;

  // Text between added tokens: normalise, cut out the normalised added tokens, encode.
  std::vector<AddedTokenMatcher::Piece> raw_pieces, normalized_pieces;
  const auto encode_between = [&](std::string_view piece, bool starts_split) {
    std::string_view view = piece;
    if (nfc) {
      normalized = unicode::to_nfc(piece);
      view = normalized;
    }
    impl_->normalized_tokens.split(view, normalized_pieces);
    for (const AddedTokenMatcher::Piece& part : normalized_pieces) {
      if (part.id >= 0) {
        out.push_back(part.id);
      } else {
        encode_text_piece(view.substr(part.begin, part.end - part.begin), starts_split, out);
      }
      starts_split = true;
    }
  };

  impl_->raw_tokens.split(text, raw_pieces);
  for (const AddedTokenMatcher::Piece& part : raw_pieces) {
    if (part.id >= 0) out.push_back(part.id);
    else encode_between(text.substr(part.begin, part.end - part.begin), !(continues && part.begin == 0));
  }
}

std::size_t Tokenizer::safe_cut(std::string_view text) const {
  // Without GPT-2's pattern a whole split is one BPE word: no cut inside it is safe.
  bool pattern_splits = pipeline_.use_regex;
  for (const auto& step : pipeline_.steps) pattern_splits |= step.kind == TokenizerPipeline::Step::Kind::Gpt2Pattern;
  if (!pattern_splits) return 0;

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
