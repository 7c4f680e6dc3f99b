// The trainer's allocations as sizes: every line below names the buffer of trainer.cpp,
// workspace.h, codes.cpp, gradients.cpp, matryoshka.cpp, shards.cpp, training.cpp, checkpoint.cpp or shuffle.cpp it stands
// for, so a change there changes its line here.
#include "coact/sae/training_resources.h"

#include <algorithm>
#include <cmath>

#include "coact/backend/sparse.h"
#include "coact/core/strings.h"
#include "coact/io/h5.h"
#include "coact/io/shuffle.h"
#include "coact/sae/sae.h"
#include "coact/sae/trainer.h"
#include "workspace.h"

namespace coact::sae {
namespace {

constexpr double kFloat = sizeof(float);
// ensure_capacity's headroom (codes.h): a grow-only array holds 1.25 × what it was asked for.
constexpr double kHeadroom = 1.25;
// One entry of a code in CodeBuffers: index, value, grad, entry_rows, col_row (4 bytes each)
// and col_entry (8).
constexpr double kCodeEntryBytes = 4 * 4 + 8;
// Per row (counts, offsets) and per column (col_offsets) of a code.
constexpr double kCodeRowBytes = 16, kCodeColumnBytes = 8;

double code_bytes(double rows, double cols, double nnz) {
  return kHeadroom * (nnz * kCodeEntryBytes + rows * kCodeRowBytes + cols * kCodeColumnBytes);
}

}  // namespace

StoreShape store_shape(const io::ActivationStore& store) {
  StoreShape shape;
  shape.rows = store.rows();
  shape.d = store.d();
  shape.element_bytes = 2;
  for (const auto type : store.shard_types())
    if (type != io::ElementType::F16) shape.element_bytes = 4;  // stores hold float16 or float32
  shape.memory_mapped = store.memory_mapped();
  return shape;
}

StageResources training_resources(const TrainingOptions& o, const StoreShape& store, int ranks, int groups) {
  COACT_REQUIRE(ranks >= 1 && groups >= 1 && groups <= ranks, UsageError, "training_resources: ", groups,
                " seed group(s) on ", ranks, " rank(s)");
  const std::int64_t d = store.d, n = resolved_width(o, d), steps = resolved_steps(o, store.rows);
  const std::int64_t group_ranks = ranks / groups;  // the smallest group: its ranks hold the most rows
  check_latent_shards(o, n, ranks, groups);
  // A group of g ranks is g/T data ranks × T latent shards (training.cpp); T divides every
  // group's ranks, so with T > 1 the groups are of one size.
  const std::int64_t shards = o.latent_shards, data_ranks = group_ranks / shards;
  COACT_REQUIRE(o.batch_rows >= data_ranks, UsageError, "--batch-size ", o.batch_rows, " cannot be split over the ",
                data_ranks, shards > 1 ? " data ranks" : " ranks", " that train each seed");
  const io::ShuffleSchedule schedule(store.rows, {0, o.batch_rows, o.buffer_rows, o.chunk_rows});
  // The run's configuration as train_one completes it (planned_config): AuxK's default k_aux is d/2.
  SaeConfig c = o.config;
  c.d_in = d;
  c.n_features = n;
  const EncoderSpec spec = encoder_spec(c);
  const double rows = static_cast<double>((o.batch_rows + data_ranks - 1) / data_ranks);
  // The busiest shard's latents: FeatureShard::of gives shard s [⌊s·n/T⌋, ⌊(s+1)·n/T⌋), at most ⌈n/T⌉.
  const std::int64_t n_local = (n + shards - 1) / shards;
  const double dd = static_cast<double>(d), nn = static_cast<double>(n_local), tt = static_cast<double>(shards);
  const double whole_params = static_cast<double>(ParamLayout::make(d, n, spec.kind).count) * kFloat;
  const double params = static_cast<double>(ParamLayout::make(d, n_local, spec.kind).count) * kFloat;
  const ReduceLayout reduce_layout = ReduceLayout::make(d, n_local, spec.kind);
  const double reduce = static_cast<double>(reduce_layout.count) * kFloat;
  const bool sharded = shards > 1;
  const std::string per_n = sharded ? "--n, --latent-shards" : "--n";

  StageResources r;
  r.stage = "train";
  r.layout = str(o.seeds.size(), " SAE(s) of n ", with_commas(n), " × d ", with_commas(d), " (", to_string(c.recipe),
                 ", ", with_commas(steps), " steps of ", with_commas(o.batch_rows), " rows) on ", ranks, " rank(s): ", groups,
                 " seed group(s) of ", group_ranks, group_ranks * groups == ranks ? "" : " or more", " rank(s)",
                 sharded ? str(" (", data_ranks, " data rank(s) × ", shards, " latent shards of at most ",
                               with_commas(n_local), " latents)")
                         : std::string(),
                 ", one SAE at a time per group; the busiest rank holds ", with_commas(static_cast<std::int64_t>(rows)),
                 " rows of each batch");
  auto device = [&](std::string what, double bytes, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, MemoryPlace::Device, std::move(sized_by)});
  };
  auto host = [&](std::string what, double bytes, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, MemoryPlace::Host, std::move(sized_by)});
  };
  const char* n_cols = sharded ? "n/T" : "n";  // the latents this rank holds

  // trainer.cpp: the SAE, the Adam moments, the reduce buffer; workspace.h and the batch. A shard
  // holds its latents' W_enc columns, b_enc, W_dec rows (and thresholds); b_dec is replicated.
  device(sharded ? "parameters (this shard's W_enc columns, b_enc, W_dec rows; all of b_dec)"
                 : "parameters (W_enc, W_dec, biases)",
         params, per_n);
  device("Adam moments (2 × parameters)", 2 * params, per_n);
  device(sharded ? "gradient and statistics buffer (the data allreduce)" : "gradient and statistics buffer (the allreduce)",
         reduce, per_n);
  device(str("pre-activations (rows × ", n_cols, ")"), rows * nn * kFloat, "--batch-size, " + per_n);
  device("batch, x − b_dec, x̂, dL/dx̂ (4 × rows × d)", 4 * rows * dd * kFloat, "--batch-size");
  device("per-feature sums and dead mask", nn * (kFloat + 1), per_n);

  // codes.cpp: the main code, AuxK's, matryoshka's levels; gradients.cpp: the dense chunk.
  const bool topk_family = c.recipe == Recipe::TopK || selects_over_batch(c.recipe);
  const double k = static_cast<double>(c.k);
  const double k_aux = static_cast<double>(std::min(effective_k_aux(c), n));
  if (topk_family) {
    double main = code_bytes(rows, nn, rows * k);
    if (c.recipe == Recipe::TopK) main += kHeadroom * rows * k * 8;  // padded index and value slots
    device(str("code (", c.recipe == Recipe::TopK ? "" : "on average ", "k × rows entries)"), main, "--k, --batch-size");
    device("AuxK code and its ê (while latents are dead: at most k_aux × rows entries)",
           code_bytes(rows, nn, rows * k_aux) + kHeadroom * rows * (k_aux * 8 + dd * kFloat), "--k-aux, --batch-size");
    if (selects_over_batch(c.recipe))  // the histogram (also the group's tie counts) and each row's ties on every shard
      device("batch selection histograms",
             kHeadroom * (std::max(static_cast<double>(backend::kValueBuckets), static_cast<double>(group_ranks)) +
                          rows * (tt + 1)) * 8,
             "");
    if (c.recipe == Recipe::Matryoshka) {
      const double levels = static_cast<double>(matryoshka_widths(c).size());
      device("matryoshka levels (their code shares, dL/dx̂ of the inner levels, a partial decode)",
             kHeadroom * (rows * k * 12 + levels * rows * kCodeRowBytes + levels * rows * dd * kFloat), "--matryoshka-widths");
    }
  } else {
    const double chunk_rows = std::max(1.0, std::min(rows, std::floor(static_cast<double>(kDenseChunkFloats) / nn)));
    device("dense path: dL/dz chunk (while codes are dense)", kHeadroom * chunk_rows * nn * kFloat, per_n);
    device(str("sparse path: code (at most --sparse-max-density ", c.sparse_max_density, " of rows × ", n_cols, ")"),
           code_bytes(rows, nn, c.sparse_max_density * rows * nn), "--sparse-max-density, --batch-size, " + per_n);
    if (c.recipe == Recipe::JumpRelu)
      r.notes.push_back("jumprelu's straight-through band (entries within the bandwidth of θ) is not counted: it is a "
                        "small share of the code at trained sparsity");
  }
  // shards.cpp (keep_global_topk): each row's top-k candidates (value, latent: 8 bytes) of every
  // shard, gathered into one device buffer, and their host copies while they are merged: TopK's
  // code and AuxK's (the larger of the two sizes both; AuxK's only once latents are dead).
  const double candidates = topk_family ? std::max(c.recipe == Recipe::TopK ? k : 0.0, k_aux) : 0.0;
  // The host copies live only inside keep_global_topk (counts, the shard's slots, every shard's
  // candidates), freed before a checkpoint: the larger of the two host peaks is counted below.
  const double merge_bytes = sharded ? rows * 8 * (1 + candidates * (tt + 2)) : 0.0;
  if (sharded && candidates > 0)
    device("latent shards: every shard's per-row top-k candidates, gathered ((T + 1) × rows × max(k, k_aux) × 8 bytes)",
           kHeadroom * (tt + 1) * rows * candidates * 8, "--k, --k-aux, --batch-size, --latent-shards");

  // training.cpp and shuffle.cpp: the host side of the stream; the checkpoint's host copies.
  host("data stream: two prefetched batches (rows × d each)", 2 * rows * dd * kFloat, "--batch-size");
  host("data stream: the shuffle buffer's row indices", static_cast<double>(schedule.buffer_rows()) * 8, "--buffer-rows");
  const char* merge_what = "latent shards, during a step: host copies of the top-k candidates while each row's are merged";
  if (!sharded) {
    host("at a checkpoint, on the group's root: host copies of the parameters and Adam moments, one unpacked twice",
         4 * params, "--n");
  } else if (4 * params >= merge_bytes) {
    // training.cpp, checkpoint.cpp (write_checkpoint_shards): the T ranks of data rank 0 write the
    // one file together, each its latents' hyperslabs through MPI-IO; none holds the whole SAE.
    host("at a checkpoint, on each shard of data rank 0 (they write the file together): host copies of its "
         "shard's parameters and Adam moments, one unpacked twice",
         4 * params, per_n);
    if (merge_bytes > 0)
      r.notes.push_back(str(merge_what, " (", human_bytes(merge_bytes), ") are freed before a checkpoint, whose "
                            "copies are the larger host peak; the candidates cross between device and host each step"));
  } else {
    host(merge_what, merge_bytes, "--k, --k-aux, --batch-size, --latent-shards");
    r.notes.push_back(str("at a checkpoint each shard of data rank 0 holds host copies of its parameters and Adam "
                          "moments (", human_bytes(4 * params), "), less than the step's merge of candidates"));
  }
  r.memory.push_back(runtime_memory());
  if (store.memory_mapped) {
    // The shuffle buffer spans buffer_rows rows of the store: their pages are what the stream
    // keeps touching. Pages of rows served earlier stay cached until the kernel reclaims them.
    r.memory.push_back({"store pages under the shuffle buffer (buffer rows × d)",
                        static_cast<double>(schedule.buffer_rows()) * dd * static_cast<double>(store.element_bytes),
                        MemoryPlace::Mapped, "--buffer-rows"});
    r.notes.push_back("store pages of rows served earlier stay in the page cache (and may show in RSS) until the "
                      "kernel reclaims them; they are not counted");
  }

  // A ring allreduce over m ranks sends 2(m − 1)/m of the buffer; an allgather (m − 1)/m of the
  // gathered total.
  const auto ring = [](double m) { return 2 * (m - 1) / m; };
  if (data_ranks > 1)
    r.traffic.push_back({sharded ? "data allreduce of the gradient buffer over the g/T data ranks (a ring sends 2(g/T − 1)/(g/T) of it)"
                                 : "gradient allreduce (a ring sends 2(g − 1)/g of the buffer)",
                         ring(static_cast<double>(data_ranks)) * reduce, "step"});
  if (group_ranks > 1 && selects_over_batch(c.recipe))
    r.traffic.push_back({sharded ? "batch selection: two value histograms summed over the whole group (g ranks)"
                                 : "batch selection: two value histograms summed",
                         2 * ring(static_cast<double>(group_ranks)) * static_cast<double>(backend::kValueBuckets) * 8,
                         "step"});
  if (sharded) {
    const double slice = rows * dd * kFloat;
    r.traffic.push_back({"latent shards: partial reconstruction x̂ summed over the T shards (rows × d)",
                         ring(tt) * slice, "step"});
    const bool aux = topk_family && c.auxk_alpha > 0;
    if (aux)
      r.traffic.push_back({"latent shards: AuxK's ê summed over the T shards (rows × d; while latents are dead)",
                           ring(tt) * slice, "step"});
    if (c.recipe == Recipe::TopK)
      r.traffic.push_back({"latent shards: each row's top-k candidates gathered from the T shards (k × rows × 8 bytes each)",
                           (tt - 1) * rows * k * 8, "step"});
    if (aux)
      r.traffic.push_back({"latent shards: AuxK's top-k_aux candidates gathered likewise (while latents are dead)",
                           (tt - 1) * rows * k_aux * 8, "step"});
    // sum_shared_over_shards: b_dec's gradient, then the centred sums and scalars to the
    // buffer's end; sum_over_shards(int64): dead latents (AuxK), resampled, dead fraction.
    const double shared = (dd + static_cast<double>(reduce_layout.count - reduce_layout.centered_sums)) * kFloat;
    r.traffic.push_back({"latent shards: the shared sums (b_dec gradient, centred sums, scalars, latent counts) over the T shards",
                         ring(tt) * (shared + (aux ? 3 : 2) * 8), "step"});
  }
  const std::string per_checkpoint = str("checkpoint (every ", o.checkpoint_every, " steps and at the end)");
  if (sharded)
    r.traffic.push_back({str("checkpoint file (parameters and Adam moments, ", human_bytes(3 * whole_params),
                             ") written by the T shards of data rank 0 together: each writes its latents"),
                         3 * params, per_checkpoint});
  else
    r.traffic.push_back({"checkpoint file written by each group's root (parameters and Adam moments)", 3 * params,
                         per_checkpoint});
  if (selects_over_batch(c.recipe))
    r.notes.push_back("batchtopk and matryoshka codes vary per rank around k × rows; the figure is their mean");
  r.notes.push_back("with a GPU the device lines are GPU memory; the CUDA context's host memory is not counted");
  return r;
}

}  // namespace coact::sae
