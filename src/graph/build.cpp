#include "coact/graph/build.h"

#include <algorithm>
#include <filesystem>
#include <future>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"
#include "coact/core/sha256.h"
#include "coact/core/timer.h"
#include "coact/dist/mpi.h"
#include "coact/graph/batch_encoder.h"
#include "coact/graph/graph_file.h"
#include "coact/io/activation_store.h"
#include "coact/io/atomic_output.h"
#include "coact/io/batch_reader.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/checkpoint_check.h"
#include "coact/sae/shard_codes.h"

namespace coact::graph {

const options::Table<GraphBuildOptions>& graph_build_table() {
  static const options::Table<GraphBuildOptions> table = [] {
    using namespace options;
    using O = GraphBuildOptions;
    Table<O> t;
    t.add(integer("batch-tokens", "tokens per batch B").at_least(1).at_most(16777216, "2^24 tokens of codes per batch"),
          &O::batch_tokens);
    t.add(integer("num-batches", "batches N_b (the first N_b in stored order)").at_least(1).at_most(1e9), &O::num_batches);
    t.add(integer("k", "features per token (top-k)").at_least(2).at_most(1024, "C(k, 2) pairs per token"), &O::k);
    t.add<ZeroPolicy>(text("zero-policy", "positive (only z > 0 enter a top-k) or seed (the original code)")
                          .one_of({"positive", "seed"}),
                      &O::zero_policy, [](const ZeroPolicy& p) { return std::string(to_string(p)); }, parse_zero_policy);
    t.add(flag("strict", "fail when the store holds fewer than num-batches batches"), &O::strict);
    t.add(integer("encode-rows", "rows encoded at once").at_least(1).at_most(16777216).performance(), &O::encode_rows);
    t.add<backend::Precision>(text("precision", "arithmetic of the encoder GEMM: fp32, or bf16 / tf32 operands with fp32 sums")
                                  .one_of({"fp32", "bf16", "tf32"}),
                              &O::precision, [](const backend::Precision& p) { return std::string(backend::to_string(p)); },
                              backend::parse_precision);
    t.add(sae::inference_shards_option(), &O::latent_shards);
    return t;
  }();
  return table;
}

GraphBuildResult build_graph(dist::MpiRuntime& mpi, const GraphBuildOptions& o) {
  Stopwatch clock;
  dist::MpiComm& world = mpi.world();
  graph_build_table().check(o, options::flag_labels());
  // Checked on the root and shared, before any work: refusing an existing output is the same
  // answer on every rank.
  {
    std::uint8_t exists = 0;
    if (world.is_root()) {
      std::error_code ec;
      exists = std::filesystem::exists(o.out, ec) && !o.force;
    }
    if (world.broadcast_value(exists, 0)) throw OutputExistsError(str(o.out, ": output exists; pass --force to overwrite it"));
  }

  // With latent shards a rank reads and holds only its latents (sae/shard_codes.h).
  const sae::InferenceGrid grid = sae::make_inference_grid(world, o.latent_shards, sae::describe_sae(o.sae).n_features);
  const sae::Checkpoint checkpoint = sae::read_checkpoint(o.sae, false, grid.latents);
  const io::ActivationStore store = io::ActivationStore::open(o.activations);
  const std::int64_t d = checkpoint.config.d_in, n = checkpoint.config.n_features;
  if (store.d() != d)
    throw InputError(str(o.activations, ": activations have d = ", store.d(), " but ", o.sae, " has d_in = ", d));
  CoactivationAccumulator accumulator(n, o.k, o.zero_policy);  // validates k against n
  // Rows as stored: the SAE applies its own input normalisation (encoder_spec.h).
  // The shards of a data rank read the same batches.
  io::OrderedBatchReader reader(store, o.batch_tokens, o.num_batches, grid.data_rank, grid.data_ranks,
                                io::Normalisation::None);
  if (reader.available_batches() < o.num_batches) {
    const std::string message = str(o.activations, ": holds ", reader.available_batches(), " full batches of ",
                                    o.batch_tokens, " tokens, fewer than the ", o.num_batches, " asked for");
    if (o.strict) throw InputError(message + " (--strict)");
    if (world.is_root()) log::warn(message, "; using ", reader.total_batches());
  }

  const auto compute = backend::make_backend(o.device, mpi.local_rank());
  compute->require_precision(o.precision);
  const sae::Sae model = sae::make_sae(*compute, checkpoint, grid.latents);
  BatchEncoder encoder(*compute, model, std::min(o.encode_rows, o.batch_tokens), o.precision, grid.comm.get());

  // One batch's codes, concatenated from its sub-batches. With shards, a data rank's batches are
  // accumulated whole by its shards in turn (the per-batch cosines need a whole batch).
  SparseBatch codes;
  // The whole job's batches: when the root has done its i-th, the ranks have done about i·P/T.
  Progress progress("graph", reader.total_batches(), "batches", {.enabled = world.is_root()});
  // The root hashes the SAE file for the graph's provenance while the batches are encoded: a
  // wide SAE's file is gigabytes, one pass of SHA-256 over it seconds of one core.
  std::future<std::string> sae_hash;
  if (world.is_root()) sae_hash = std::async(std::launch::async, [&] { return file_sha256(o.sae); });
  io::OrderedBatch batch;
  for (std::int64_t local = 0; reader.next(batch); ++local) {
    if (encoder.encode(batch.values, batch.rows, codes, static_cast<int>(local % grid.shards))) accumulator.add_batch(codes);
    progress.advance(std::min<std::int64_t>(grid.data_ranks, reader.total_batches() - progress.done()));
  }
  progress.finish();

  const EdgeList edges = accumulator.reduce(world);
  GraphBuildResult result;
  result.nodes = n;
  result.tokens = accumulator.tokens();
  result.batches = accumulator.batches();
  if (world.is_root()) {
    std::vector<EdgeSum> sums(edges.size());
    const auto nn = static_cast<std::uint64_t>(n);
    for (std::size_t e = 0; e < edges.size(); ++e)
      sums[e] = {static_cast<NodeId>(edges.key[e] / nn), static_cast<NodeId>(edges.key[e] % nn), edges.count[e],
                 edges.weight_sum[e]};
    const CsrGraph graph = CsrGraph::from_edge_sums(n, sums);
    std::vector<double> frequency(static_cast<std::size_t>(n));
    for (std::int64_t f = 0; f < n; ++f)
      frequency[static_cast<std::size_t>(f)] =
          result.tokens > 0 ? static_cast<double>(accumulator.active_counts()[static_cast<std::size_t>(f)]) / static_cast<double>(result.tokens) : 0.0;
    GraphAttributes attributes;
    attributes.k = o.k;
    attributes.batch_tokens = o.batch_tokens;
    attributes.num_batches = result.batches;
    attributes.zero_policy = to_string(o.zero_policy);
    attributes.tokens_seen = result.tokens;
    attributes.sae_file = o.sae;
    attributes.sae_hash = sae_hash.get();
    attributes.encode_precision = backend::to_string(o.precision);
    io::Provenance provenance{"graph", o.command_line, o.config_text, {{"sae", o.sae + " " + attributes.sae_hash}, {"activations", o.activations}}};
    // One pass of components and clustering gives both the file's node data and the summary.
    GraphStatistics statistics(graph, frequency);
    statistics.run();
    write_graph_file(o.out, o.force, graph, compute_node_data(statistics, frequency, accumulator.topk_counts()), attributes,
                     provenance, NodeAnalytics{});
    result.summary = statistics.summary();
    result.edges = result.summary.edges;
  }
  world.barrier();
  result.seconds = clock.seconds();
  return result;
}

}  // namespace coact::graph
