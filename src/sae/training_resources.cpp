// The trainer's allocations as sizes: every line below names the buffer of trainer.cpp,
// workspace.h, codes.cpp, gradients.cpp, matryoshka.cpp, training.cpp or shuffle.cpp it stands
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
  COACT_REQUIRE(o.batch_rows >= group_ranks, UsageError, "--batch-size ", o.batch_rows, " cannot be split over the ",
                group_ranks, " ranks that train each seed");
  const io::ShuffleSchedule schedule(store.rows, {0, o.batch_rows, o.buffer_rows, o.chunk_rows});
  const SaeConfig& c = o.config;
  const EncoderSpec spec = encoder_spec(c);
  const double rows = static_cast<double>((o.batch_rows + group_ranks - 1) / group_ranks);
  const double dd = static_cast<double>(d), nn = static_cast<double>(n);
  const double params = static_cast<double>(ParamLayout::make(d, n, spec.kind).count) * kFloat;
  const double reduce = static_cast<double>(ReduceLayout::make(d, n, spec.kind).count) * kFloat;

  StageResources r;
  r.stage = "train";
  r.layout = str(o.seeds.size(), " SAE(s) of n ", with_commas(n), " × d ", with_commas(d), " (", to_string(c.recipe),
                 ", ", with_commas(steps), " steps of ", with_commas(o.batch_rows), " rows) on ", ranks, " rank(s): ", groups,
                 " seed group(s) of ", group_ranks, group_ranks * groups == ranks ? "" : " or more", " rank(s), one SAE at a time per group; the busiest rank holds ",
                 with_commas(static_cast<std::int64_t>(rows)), " rows of each batch");
  auto device = [&](std::string what, double bytes, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, MemoryPlace::Device, std::move(sized_by)});
  };
  auto host = [&](std::string what, double bytes, std::string sized_by) {
    r.memory.push_back({std::move(what), bytes, MemoryPlace::Host, std::move(sized_by)});
  };

  // trainer.cpp: the SAE, the Adam moments, the reduce buffer; workspace.h and the batch.
  device("parameters (W_enc, W_dec, biases)", params, "--n");
  device("Adam moments (2 × parameters)", 2 * params, "--n");
  device("gradient and statistics buffer (the allreduce)", reduce, "--n");
  device("pre-activations (rows × n)", rows * nn * kFloat, "--batch-size, --n");
  device("batch, x − b_dec, x̂, dL/dx̂ (4 × rows × d)", 4 * rows * dd * kFloat, "--batch-size");
  device("per-feature sums and dead mask", nn * (kFloat + 1), "--n");

  // codes.cpp: the main code, AuxK's, matryoshka's levels; gradients.cpp: the dense chunk.
  const bool topk_family = c.recipe == Recipe::TopK || selects_over_batch(c.recipe);
  if (topk_family) {
    const double k = static_cast<double>(c.k);
    double main = code_bytes(rows, nn, rows * k);
    if (c.recipe == Recipe::TopK) main += kHeadroom * rows * k * 8;  // padded index and value slots
    device(str("code (", c.recipe == Recipe::TopK ? "" : "on average ", "k × rows entries)"), main, "--k, --batch-size");
    const double k_aux = static_cast<double>(std::min(effective_k_aux(c), n));
    device("AuxK code and its ê (while latents are dead: at most k_aux × rows entries)",
           code_bytes(rows, nn, rows * k_aux) + kHeadroom * rows * (k_aux * 8 + dd * kFloat), "--k-aux, --batch-size");
    if (selects_over_batch(c.recipe))
      device("batch selection histograms", kHeadroom * (static_cast<double>(backend::kValueBuckets) + rows) * 8, "");
    if (c.recipe == Recipe::Matryoshka) {
      const double levels = static_cast<double>(matryoshka_widths(c).size());
      device("matryoshka levels (their code shares, dL/dx̂ of the inner levels, a partial decode)",
             kHeadroom * (rows * k * 12 + levels * rows * kCodeRowBytes + levels * rows * dd * kFloat), "--matryoshka-widths");
    }
  } else {
    const double chunk_rows = std::max(1.0, std::min(rows, std::floor(static_cast<double>(kDenseChunkFloats) / nn)));
    device("dense path: dL/dz chunk (while codes are dense)", kHeadroom * chunk_rows * nn * kFloat, "--n");
    device(str("sparse path: code (at most --sparse-max-density ", c.sparse_max_density, " of rows × n)"),
           code_bytes(rows, nn, c.sparse_max_density * rows * nn), "--sparse-max-density, --batch-size, --n");
    if (c.recipe == Recipe::JumpRelu)
      r.notes.push_back("jumprelu's straight-through band (entries within the bandwidth of θ) is not counted: it is a "
                        "small share of the code at trained sparsity");
  }

  // training.cpp and shuffle.cpp: the host side of the stream; the checkpoint's host copies.
  host("data stream: two prefetched batches (rows × d each)", 2 * rows * dd * kFloat, "--batch-size");
  host("data stream: the shuffle buffer's row indices", static_cast<double>(schedule.buffer_rows()) * 8, "--buffer-rows");
  host("at a checkpoint, on the group's root: host copies of the parameters and Adam moments, one unpacked twice",
       4 * params, "--n");
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

  if (group_ranks > 1) {
    const double g = static_cast<double>(group_ranks);
    r.traffic.push_back({"gradient allreduce (a ring sends 2(g − 1)/g of the buffer)", 2 * (g - 1) / g * reduce, "step"});
    if (selects_over_batch(c.recipe))
      r.traffic.push_back({"batch selection: two value histograms summed", 2 * 2 * (g - 1) / g *
                                                                                static_cast<double>(backend::kValueBuckets) * 8,
                           "step"});
  }
  r.traffic.push_back({"checkpoint file written by each group's root (parameters and Adam moments)", 3 * params,
                       str("checkpoint (every ", o.checkpoint_every, " steps and at the end)")});
  if (selects_over_batch(c.recipe))
    r.notes.push_back("batchtopk and matryoshka codes vary per rank around k × rows; the figure is their mean");
  r.notes.push_back("with a GPU the device lines are GPU memory; the CUDA context's host memory is not counted");
  return r;
}

}  // namespace coact::sae
