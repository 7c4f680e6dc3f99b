// Cutting token arrays into sequences: BOS, separators, row arrays, the vocabulary check and
// the reproducible shuffle.
#include <algorithm>
#include <cstring>

#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/data/token_source.h"

namespace coact::data {

namespace {
// Tag of the shuffle's random stream (mix_seed), so other users of the same seed differ.
constexpr std::uint64_t kShuffleTag = 0x70C5;
}  // namespace

void check_token_ids(const TokenArray& tokens, std::int64_t vocab_size) {
  for (std::size_t i = 0; i < tokens.ids.size(); ++i) {
    const std::int32_t id = tokens.ids[i];
    if (id >= 0 && (vocab_size <= 0 || id < vocab_size)) continue;
    const auto position = static_cast<std::int64_t>(i);
    const std::string where = tokens.row_length > 0
                                  ? str("row ", position / tokens.row_length, ", position ", position % tokens.row_length)
                                  : str("position ", position);
    if (id < 0) throw InputError(str(tokens.where, ": token id ", id, " at ", where, " is negative"));
    throw InputError(str(tokens.where, ": token id ", id, " at ", where, " is not below the vocabulary size ", vocab_size));
  }
}

TokenSequences make_sequences(const std::vector<TokenArray>& arrays, const SequenceOptions& options) {
  if (options.seq_len < (options.prepend_bos ? 2 : 1)) {
    throw UsageError(str("sequence length ", options.seq_len, " is too short", options.prepend_bos ? " for BOS + text" : ""));
  }
  if (options.prepend_bos && options.bos_id < 0) {
    throw UsageError("no BOS token id: the tokenizer names none; pass --bos-id, or --no-bos");
  }
  if (options.vocab_size > 0 && options.prepend_bos && options.bos_id >= options.vocab_size) {
    throw UsageError(str("BOS id ", options.bos_id, " is not below the vocabulary size ", options.vocab_size));
  }
  const std::int64_t seq_len = options.seq_len;
  const std::int64_t body = seq_len - (options.prepend_bos ? 1 : 0);  // stream ids per sequence
  TokenSequences out;
  out.seq_len = seq_len;
  const auto full = [&] { return options.max_sequences > 0 && out.sequences >= options.max_sequences; };

  // Stream ids not yet in a sequence (fewer than `body`), and whether a stream is open (so the
  // next one gets a separator before it).
  std::vector<std::int32_t> carry;
  carry.reserve(static_cast<std::size_t>(body));
  bool stream_open = false;
  const auto emit = [&](const std::int32_t* ids) {
    if (options.prepend_bos) out.ids.push_back(options.bos_id);
    out.ids.insert(out.ids.end(), ids, ids + body);
    ++out.sequences;
  };
  const auto feed = [&](const std::int32_t* ids, std::int64_t n) {
    while (n > 0 && !full()) {
      if (carry.empty() && n >= body) {  // whole sequences straight from the source
        emit(ids);
        ids += body;
        n -= body;
        continue;
      }
      const std::int64_t take = std::min<std::int64_t>(n, body - static_cast<std::int64_t>(carry.size()));
      carry.insert(carry.end(), ids, ids + take);
      ids += take;
      n -= take;
      if (static_cast<std::int64_t>(carry.size()) == body) {
        emit(carry.data());
        carry.clear();
      }
    }
  };
  const auto close_stream = [&] {
    out.dropped_tokens += static_cast<std::int64_t>(carry.size());
    carry.clear();
    stream_open = false;
  };

  for (const TokenArray& array : arrays) {
    if (full()) break;
    check_token_ids(array, options.vocab_size);
    if (array.row_length > 0) {
      close_stream();
      if (array.row_length < seq_len) {
        throw InputError(str(array.where, ": rows of ", array.row_length, " positions are shorter than the sequence length ",
                             seq_len));
      }
      for (std::int64_t row = 0; row < array.rows() && !full(); ++row) {
        const std::int32_t* begin = array.ids.data() + row * array.row_length;
        out.ids.insert(out.ids.end(), begin, begin + seq_len);
        ++out.sequences;
      }
      continue;
    }
    if (stream_open && options.separator_id >= 0) feed(&options.separator_id, 1);
    feed(array.ids.data(), static_cast<std::int64_t>(array.ids.size()));
    stream_open = true;
  }
  close_stream();

  if (options.shuffle_seed && out.sequences > 1) {
    // Fisher-Yates: position i swaps with a uniform j <= i drawn at counter position i.
    CounterRng rng(mix_seed(*options.shuffle_seed, kShuffleTag), 0);
    std::vector<std::int64_t> order(static_cast<std::size_t>(out.sequences));
    for (std::int64_t i = 0; i < out.sequences; ++i) order[static_cast<std::size_t>(i)] = i;
    for (std::int64_t i = out.sequences - 1; i > 0; --i) {
      rng.set_position(static_cast<std::uint64_t>(i));
      std::swap(order[static_cast<std::size_t>(i)], order[rng.below(static_cast<std::uint64_t>(i) + 1)]);
    }
    std::vector<std::int32_t> shuffled(out.ids.size());
    for (std::int64_t i = 0; i < out.sequences; ++i) {
      std::memcpy(shuffled.data() + i * seq_len, out.ids.data() + order[static_cast<std::size_t>(i)] * seq_len,
                  static_cast<std::size_t>(seq_len) * sizeof(std::int32_t));
    }
    out.ids.swap(shuffled);
  }
  return out;
}

TokenSequences load_token_sequences(const std::vector<std::string>& paths, const TokenReadOptions& read,
                                    const SequenceOptions& options) {
  std::vector<TokenArray> arrays;
  // Sequences the arrays read so far can give at most: a row each, or one per `body` stream
  // ids. Reading stops once that reaches max_sequences, and each file is read only as far as
  // the rest can need.
  const std::int64_t body = std::max<std::int64_t>(1, options.seq_len - (options.prepend_bos ? 1 : 0));
  std::int64_t rows = 0, stream_ids = 0;
  const auto possible = [&] { return rows + stream_ids / body; };
  for (const std::string& path : paths) {
    TokenReadOptions file_options = read;
    if (options.max_sequences > 0) {
      const std::int64_t missing = options.max_sequences - possible();
      if (missing <= 0) break;
      file_options.limits.max_rows = missing;
      file_options.limits.max_tokens = (missing + 1) * body;
    }
    for (TokenArray& array : read_token_file(path, file_options)) {
      if (array.row_length > 0) rows += array.rows();
      else stream_ids += static_cast<std::int64_t>(array.ids.size());
      arrays.push_back(std::move(array));
    }
  }
  return make_sequences(arrays, options);
}

}  // namespace coact::data
