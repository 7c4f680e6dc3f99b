#include "coact/sae/shard_codes.h"

#include <cstring>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::sae {

options::Spec inference_shards_option() {
  return options::integer("latent-shards",
                          "split the SAE's latents over this many ranks (a divisor of the ranks): each encodes with its "
                          "share and a batch's sparse code is gathered")
      .at_least(1)
      .at_most(65536, "65,536 shards")
      .performance();
}

void check_inference_shards(std::int64_t shards, std::int64_t n, int ranks) {
  if (shards < 1) throw UsageError(str("--latent-shards ", shards, ": at least 1"));
  if (ranks % shards != 0)
    throw UsageError(str("--latent-shards ", shards, " does not divide the ", ranks, " rank(s) (each data rank holds ",
                         shards, " shards)"));
  if (n > 0 && shards > n) throw UsageError(str("--latent-shards ", shards, " is more than the ", n, " latents"));
}

InferenceGrid make_inference_grid(dist::MpiComm& world, std::int64_t shards, std::int64_t n) {
  check_inference_shards(shards, n, world.size());
  InferenceGrid grid;
  grid.shards = static_cast<int>(shards);
  grid.shard = world.rank() % grid.shards;
  grid.data_ranks = world.size() / grid.shards;
  grid.data_rank = world.rank() / grid.shards;
  grid.latents = FeatureShard::of(n, grid.shard, grid.shards);
  if (grid.shards > 1) grid.comm = world.split(grid.data_rank, grid.shard);
  return grid;
}

std::vector<std::uint8_t> pack_codes(const SparseCodesHost& codes) {
  const auto rows = static_cast<std::int64_t>(codes.offsets.size()) - 1;
  const std::int64_t nnz = codes.offsets.back() - codes.offsets.front();
  std::vector<std::uint8_t> out(16 + static_cast<std::size_t>(rows) * 8 + static_cast<std::size_t>(nnz) * 8);
  std::uint8_t* p = out.data();
  const auto put = [&](const void* data, std::size_t bytes) {
    if (bytes) std::memcpy(p, data, bytes);
    p += bytes;
  };
  put(&rows, 8);
  put(&nnz, 8);
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t count = codes.offsets[static_cast<std::size_t>(r) + 1] - codes.offsets[static_cast<std::size_t>(r)];
    put(&count, 8);
  }
  put(codes.index.data() + codes.offsets.front(), static_cast<std::size_t>(nnz) * 4);
  put(codes.value.data() + codes.offsets.front(), static_cast<std::size_t>(nnz) * 4);
  return out;
}

SparseCodesHost unpack_codes(std::span<const std::uint8_t> bytes, std::size_t& at, std::int64_t n_features) {
  SparseCodesHost codes;
  codes.n_features = n_features;
  COACT_REQUIRE(at + 16 <= bytes.size(), Error, "unpack_codes: a code's header runs past the bytes");
  std::int64_t rows = 0, nnz = 0;
  std::memcpy(&rows, bytes.data() + at, 8);
  std::memcpy(&nnz, bytes.data() + at + 8, 8);
  at += 16;
  const std::size_t size = static_cast<std::size_t>(rows) * 8 + static_cast<std::size_t>(nnz) * 8;
  COACT_REQUIRE(rows >= 0 && nnz >= 0 && at + size <= bytes.size(), Error, "unpack_codes: a code of ", rows,
                " rows and ", nnz, " entries runs past the bytes");
  codes.rows = rows;
  codes.offsets.assign(static_cast<std::size_t>(rows) + 1, 0);
  for (std::int64_t r = 0; r < rows; ++r) {
    std::int64_t count = 0;
    std::memcpy(&count, bytes.data() + at + static_cast<std::size_t>(r) * 8, 8);
    codes.offsets[static_cast<std::size_t>(r) + 1] = codes.offsets[static_cast<std::size_t>(r)] + count;
  }
  COACT_REQUIRE(codes.offsets.back() == nnz, Error, "unpack_codes: row counts sum to ", codes.offsets.back(), ", not ",
                nnz);
  at += static_cast<std::size_t>(rows) * 8;
  codes.index.resize(static_cast<std::size_t>(nnz));
  codes.value.resize(static_cast<std::size_t>(nnz));
  if (nnz > 0) {
    std::memcpy(codes.index.data(), bytes.data() + at, static_cast<std::size_t>(nnz) * 4);
    std::memcpy(codes.value.data(), bytes.data() + at + static_cast<std::size_t>(nnz) * 4, static_cast<std::size_t>(nnz) * 4);
  }
  at += static_cast<std::size_t>(nnz) * 8;
  return codes;
}

SparseCodesHost gather_codes(const dist::MpiComm& shards, const SparseCodesHost& mine, int root) {
  const std::vector<std::uint8_t> packed = pack_codes(mine);
  const std::vector<std::uint8_t> all = shards.gather_bytes(packed.data(), packed.size(), root);
  SparseCodesHost whole;
  whole.n_features = mine.n_features;
  whole.offsets.assign(1, 0);
  if (shards.rank() != root) return whole;
  std::vector<SparseCodesHost> parts;
  std::size_t at = 0;
  for (int s = 0; s < shards.size(); ++s) {
    parts.push_back(unpack_codes(all, at, mine.n_features));
    COACT_REQUIRE(parts.back().rows == mine.rows, Error, "gather_codes: shard ", s, " sent ", parts.back().rows,
                  " rows, not ", mine.rows);
  }
  whole.rows = mine.rows;
  std::size_t nnz = 0;
  for (const auto& part : parts) nnz += part.index.size();
  whole.index.reserve(nnz);
  whole.value.reserve(nnz);
  whole.offsets.reserve(static_cast<std::size_t>(mine.rows) + 1);
  for (std::int64_t r = 0; r < mine.rows; ++r) {
    for (const auto& part : parts) {
      const auto begin = part.offsets[static_cast<std::size_t>(r)], end = part.offsets[static_cast<std::size_t>(r) + 1];
      whole.index.insert(whole.index.end(), part.index.begin() + begin, part.index.begin() + end);
      whole.value.insert(whole.value.end(), part.value.begin() + begin, part.value.begin() + end);
    }
    whole.offsets.push_back(static_cast<std::int64_t>(whole.index.size()));
  }
  return whole;
}

}  // namespace coact::sae
