// build_graph's allocations as sizes (build.cpp, batch_encoder.cpp, sae/encoder.cpp,
// io/batch_reader.cpp, coactivation.cpp): each line names what it stands for.
#include "coact/graph/build_resources.h"

#include <algorithm>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/sae/sae.h"
#include "coact/sae/shard_codes.h"

namespace coact::graph {
namespace {

constexpr double kFloat = sizeof(float);
// A partial edge map's entry: key, count, weight sum (EdgeList), and the merge of a batch into
// it builds a new map of both: 2 × 24 bytes per edge at its peak.
constexpr double kPartialEdgeBytes = 2 * 24;
// The root's bytes per edge of the final graph besides its partial map: the gathered records
// and their bytes, the EdgeList, the edge sums, the CSR (both directions) and its statistics.
// Measured: 140 bytes per edge in all between two one-rank `coact graph` runs of 0.1 M and
// 1.8 M edges (n 16,384, d 256), less the partial map's 48.
constexpr double kRootEdgeBytes = 140 - kPartialEdgeBytes;
constexpr int kPrefetchSlots = 2;  // OrderedBatchReader's default

// The pairs the given batches contribute, at most all pairs of n latents.
double pair_bound(const GraphBuildOptions& o, std::int64_t n, std::int64_t batches) {
  const double k = static_cast<double>(o.k), nn = static_cast<double>(n);
  return std::min(nn * (nn - 1) / 2, static_cast<double>(batches) * static_cast<double>(o.batch_tokens) * k * (k - 1) / 2);
}

std::int64_t stored_batches(const GraphBuildOptions& o, std::int64_t store_rows) {
  return std::min(o.num_batches, store_rows / o.batch_tokens);
}

}  // namespace

double graph_edge_bound(const GraphBuildOptions& o, std::int64_t n, std::int64_t store_rows) {
  return pair_bound(o, n, stored_batches(o, store_rows));
}

StageResources graph_resources(const GraphBuildOptions& o, const SaeShape& s, const sae::StoreShape& store, int ranks) {
  COACT_REQUIRE(ranks >= 1, UsageError, "graph_resources: ", ranks, " ranks");
  sae::check_inference_shards(o.latent_shards, s.n, ranks);
  // With T latent shards (sae/shard_codes.h) a rank holds ⌈n/T⌉ latents; the T shards of a data
  // rank encode the same batches and accumulate them in turn.
  const std::int64_t shards = o.latent_shards, data_ranks = ranks / shards;
  const std::int64_t n_local = (s.n + shards - 1) / shards;
  const double d = static_cast<double>(s.d), n = static_cast<double>(s.n), B = static_cast<double>(o.batch_tokens);
  const std::int64_t batches = stored_batches(o, store.rows);
  const std::int64_t encoded_batches = (batches + data_ranks - 1) / data_ranks;
  const std::int64_t rank_batches = (encoded_batches + shards - 1) / shards;
  const double sub = static_cast<double>(std::min(o.encode_rows, o.batch_tokens));
  const double params = static_cast<double>(sae::ParamLayout::make(s.d, n_local, s.kind).count) * kFloat;
  const double n_encoded = static_cast<double>(n_local);
  const double k = static_cast<double>(o.k), pairs_per_token = k * (k - 1) / 2;
  const double edges = pair_bound(o, s.n, batches), rank_edges = pair_bound(o, s.n, rank_batches);

  StageResources r;
  r.stage = "graph";
  r.layout = str("one graph per SAE (n ", with_commas(s.n), ", d ", with_commas(s.d), ") over ", with_commas(batches),
                 " batches of ", with_commas(o.batch_tokens), " tokens, top-", o.k, " per token, on ", ranks,
                 " rank(s)",
                 shards > 1 ? str(" (", data_ranks, " data rank(s) × ", shards, " latent shards of ", with_commas(n_local),
                                  ")")
                            : std::string(),
                 ": each encodes up to ", with_commas(encoded_batches), " batch(es) and accumulates up to ",
                 with_commas(rank_batches), ", the root gathers the edges; at most ",
                 with_commas(static_cast<std::int64_t>(edges)),
                 " edges (every pair a token contributes distinct)");
  auto add = [&](std::string what, double bytes, MemoryPlace place, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, place, std::move(sized_by)});
  };
  const char* latents = shards > 1 ? "train.n, --latent-shards" : "train.n";
  add(shards > 1 ? "SAE parameters (this shard's latents)" : "SAE parameters", params, MemoryPlace::Device, latents);
  add(shards > 1 ? "encoder: pre-activations (encode rows × n/T)" : "encoder: pre-activations (encode rows × n)",
      sub * n_encoded * kFloat, MemoryPlace::Device, str("--encode-rows, ", latents));
  add("encoder: rows, x − b_dec (2 × encode rows × d)", 2 * sub * d * kFloat, MemoryPlace::Device, "--encode-rows");
  add(str("encoder: code (encode rows × L0 ", s.l0_assumed ? "assumed " : "", fixed_with_commas(s.l0, 0), ")"),
      sub * s.l0 * 16, MemoryPlace::Device, "--encode-rows");
  add("SAE as read from its file", params, MemoryPlace::Host, latents);
  add("batch reader: two prefetched batches (B × d)", kPrefetchSlots * B * d * kFloat, MemoryPlace::Host, "--batch-tokens");
  add("one batch's codes and their columns (B × L0)", B * s.l0 * 16 + n * 16, MemoryPlace::Host, "--batch-tokens");
  add("one batch's pairs (B × C(k, 2) keys)", B * pairs_per_token * 8, MemoryPlace::Host, "--batch-tokens, --k");
  add("this rank's partial edge map, while a batch merges into it", rank_edges * kPartialEdgeBytes, MemoryPlace::Host,
      "--num-batches, --k");
  add("root: the gathered edges, the CSR and its statistics (at most)", edges * kRootEdgeBytes, MemoryPlace::Host,
      "--num-batches, --k");
  r.memory.push_back(runtime_memory());
  if (store.memory_mapped)
    add("store pages of this rank's batches", static_cast<double>(encoded_batches) * B * d * static_cast<double>(store.element_bytes),
        MemoryPlace::Mapped, "--num-batches, --batch-tokens");
  if (shards > 1) {
    // Per batch: each shard's code (its entries, 8 bytes, and a count per row) to the batch's
    // owner, and for topk every row's k (= L0) candidates (8 bytes each) to every shard.
    const double entries = B * s.l0 / static_cast<double>(shards);
    r.traffic.push_back({"latent shards: this shard's code of each batch to the batch's owner", entries * 8 + B * 8,
                         "batch"});
    if (s.kind == sae::EncoderKind::TopK)
      r.traffic.push_back({"latent shards: topk candidates of each batch (allgather, received)",
                           B * s.l0 * 8 * static_cast<double>(shards - 1), "batch"});
  }
  if (ranks > 1) {
    r.traffic.push_back({"partial edge maps to their owners (all-to-all, at most)", rank_edges * 24, "run"});
    r.traffic.push_back({"owned edges gathered on the root (at most, the root receives)", edges * 24, "run"});
  }
  r.notes.push_back("the edge lines are bounds: real graphs repeat pairs across tokens and have fewer edges");
  if (s.l0_assumed)
    r.notes.push_back(str("L0 ", fixed_with_commas(s.l0, 0), " is an assumption (1% of n) for an SAE not trained yet; "
                          "its codes lines scale with the trained SAE's L0"));
  return r;
}

}  // namespace coact::graph
