// The GPT-2 merge loop with a heap: O(n log n) per word instead of encoder.py's O(n^2), with
// the same result (see encode_word).
#include "coact/data/bpe.h"

#include <algorithm>
#include <functional>

#include "coact/core/errors.h"
#include "coact/data/unicode.h"

namespace coact::data {

BpeModel::BpeModel(std::string name, const std::vector<std::pair<std::string, std::int32_t>>& byte_tokens,
                   const std::vector<Merge>& merges, Unit unit)
    : name_(std::move(name)), unit_(unit) {
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  token_ids_.reserve(byte_tokens.size());
  for (const auto& [bytes, id] : byte_tokens) {
    token_ids_.emplace(bytes, id);
    if (bytes.size() == 1) byte_ids_[static_cast<unsigned char>(bytes[0])] = id;
  }
  merges_.reserve(merges.size());
  // Merged ids come from the vocabulary: the loaders pass only merges whose concatenation is
  // a token, so look it up through the token strings.
  std::unordered_map<std::int32_t, const std::string*> bytes_of_id;
  bytes_of_id.reserve(byte_tokens.size());
  for (const auto& [bytes, id] : byte_tokens) bytes_of_id.emplace(id, &bytes);
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    const auto left = bytes_of_id.find(m.left), right = bytes_of_id.find(m.right);
    if (left == bytes_of_id.end() || right == bytes_of_id.end()) continue;  // not byte strings: unreachable
    const auto merged = token_ids_.find(*left->second + *right->second);
    if (merged == token_ids_.end()) continue;
    merges_[pair_key(m.left, m.right)] = MergeResult{static_cast<std::int32_t>(rank), merged->second};
  }
}

std::optional<std::int32_t> BpeModel::find(std::string_view bytes) const {
  const auto it = token_ids_.find(std::string(bytes));
  if (it == token_ids_.end()) return std::nullopt;
  return it->second;
}

const BpeModel::MergeResult* BpeModel::find_merge(std::int32_t left, std::int32_t right) const {
  if (left < 0 || right < 0) return nullptr;
  const auto it = merges_.find(pair_key(left, right));
  return it == merges_.end() ? nullptr : &it->second;
}

void BpeModel::initial_symbols(std::string_view word, std::vector<std::int32_t>& ids) const {
  bool last_was_unknown = false;
  for (std::size_t i = 0; i < word.size();) {
    std::size_t length = 1;
    std::int32_t id = -1;
    if (unit_ == Unit::Byte) {
      id = byte_ids_[static_cast<unsigned char>(word[i])];
    } else {
      const unicode::DecodedChar c = unicode::decode_utf8(word, i);
      length = c.length == 0 ? 1 : c.length;
      if (const auto found = find(word.substr(i, length))) id = *found;
    }
    const std::string_view unit = word.substr(i, length);
    i += length;
    if (id >= 0) {
      ids.push_back(id);
      last_was_unknown = false;
      continue;
    }
    if (byte_fallback_ &&
        std::all_of(unit.begin(), unit.end(), [&](char b) { return fallback_ids_[static_cast<unsigned char>(b)] >= 0; })) {
      for (const char b : unit) ids.push_back(fallback_ids_[static_cast<unsigned char>(b)]);
      last_was_unknown = false;
      continue;
    }
    if (unknown_id_ < 0) {
      static const char* hex = "0123456789ABCDEF";
      std::string bytes;
      for (const char b : unit) {
        const auto v = static_cast<unsigned char>(b);
        bytes += str(bytes.empty() ? "0x" : " 0x", hex[v >> 4], hex[v & 15]);
      }
      throw InputError(str(name_, ": the vocabulary has no token for ", unit_ == Unit::Byte ? "byte " : "the character of bytes ",
                           bytes, byte_fallback_ ? ", no byte-fallback tokens for it" : "", " and no unknown token"));
    }
    if (!(fuse_unknown_ && last_was_unknown)) ids.push_back(unknown_id_);
    last_was_unknown = true;
  }
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto whole = find(word)) {
      out.push_back(*whole);
      return;
    }
  }
  // Symbol slots in a linked list: a merge keeps the left symbol's slot and kills the right one.
  std::vector<std::int32_t> id;
  id.reserve(word.size());
  initial_symbols(word, id);
  const auto n = static_cast<std::int32_t>(id.size());
  std::vector<std::int32_t> next(id.size()), prev(id.size());
  std::vector<char> dead(id.size(), 0);
  for (std::int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  // Candidate merges as (rank, left slot), lowest rank first, then leftmost.
  using Entry = std::pair<std::int32_t, std::int32_t>;
  std::vector<Entry> heap;
  const auto push = [&](std::int32_t left_slot, std::int32_t right_slot) {
    if (const MergeResult* m = find_merge(id[left_slot], id[right_slot])) {
      heap.emplace_back(m->rank, left_slot);
      std::push_heap(heap.begin(), heap.end(), std::greater<>());
    }
  };
  for (std::int32_t i = 0; i + 1 < n; ++i) push(i, i + 1);

  // One round per rank: every occurrence of the pair present when the round starts is merged,
  // left to right, skipping occurrences that overlap one already merged. The pairs a round
  // creates enter the heap only after it, so a new pair of lower rank cannot interrupt the
  // round (encoder.py merges all occurrences before choosing the next pair).
  std::vector<std::int32_t> merged_slots;
  while (!heap.empty()) {
    const std::int32_t rank = heap.front().first;
    merged_slots.clear();
    while (!heap.empty() && heap.front().first == rank) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>());
      const std::int32_t left = heap.back().second;
      heap.pop_back();
      if (dead[left] || next[left] < 0) continue;
      const std::int32_t right = next[left];
      const MergeResult* m = find_merge(id[left], id[right]);
      if (m == nullptr || m->rank != rank) continue;  // stale: a neighbour changed
      id[left] = m->merged;
      dead[right] = 1;
      next[left] = next[right];
      if (next[right] >= 0) prev[next[right]] = left;
      merged_slots.push_back(left);
    }
    for (const std::int32_t slot : merged_slots) {
      if (dead[slot]) continue;
      if (prev[slot] >= 0) push(prev[slot], slot);
      if (next[slot] >= 0) push(slot, next[slot]);
    }
  }

  for (std::int32_t slot = 0; n > 0 && slot >= 0; slot = next[slot]) out.push_back(id[slot]);
}

}  // namespace coact::data
