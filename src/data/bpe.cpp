// The GPT-2 merge loop with a heap: O(n log n) per word instead of encoder.py's O(n^2), with
// the same result (see encode_word).
#include "coact/data/bpe.h"

#include <algorithm>
#include <functional>

#include "coact/core/errors.h"

namespace coact::data {

BpeModel::BpeModel(std::string name, const std::vector<std::pair<std::string, std::int32_t>>& byte_tokens,
                   const std::vector<Merge>& merges)
    : name_(std::move(name)) {
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

void BpeModel::append_unknown(unsigned char byte, bool& last_was_unknown, std::vector<std::int32_t>& out) const {
  if (unknown_id_ < 0) {
    static const char* hex = "0123456789ABCDEF";
    throw InputError(str(name_, ": the vocabulary has no token for byte 0x", hex[byte >> 4], hex[byte & 15],
                         " and no unknown token"));
  }
  if (!(fuse_unknown_ && last_was_unknown)) out.push_back(unknown_id_);
  last_was_unknown = true;
}

void BpeModel::encode_word(std::string_view word, std::vector<std::int32_t>& out) const {
  if (word.empty()) return;
  if (ignore_merges_) {
    if (const auto whole = find(word)) {
      out.push_back(*whole);
      return;
    }
  }
  const auto n = static_cast<std::int32_t>(word.size());
  // Symbol i starts at byte i; a merge keeps the left symbol's slot and kills the right one.
  std::vector<std::int32_t> id(word.size()), next(word.size()), prev(word.size());
  std::vector<char> dead(word.size(), 0);
  for (std::int32_t i = 0; i < n; ++i) {
    id[i] = byte_ids_[static_cast<unsigned char>(word[i])];
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

  bool last_was_unknown = false;
  for (std::int32_t slot = 0; slot >= 0; slot = next[slot]) {
    if (id[slot] >= 0) {
      out.push_back(id[slot]);
      last_was_unknown = false;
    } else {  // an unmerged byte with no token of its own
      append_unknown(static_cast<unsigned char>(word[static_cast<std::size_t>(slot)]), last_was_unknown, out);
    }
  }
}

}  // namespace coact::data
