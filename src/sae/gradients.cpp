// The gradient half of the step: this rank's rows' contribution to the gradient of the global
// batch loss, and the sums apply_update needs, written into the reduce buffer.
//
// Forward: c = x − b_dec (or x when the recipe does not subtract b_dec); pre = c W_enc (the one
// inherently dense product, a GEMM); the code z from pre + b_enc (ReLU, TopK, the global
// BatchTopK cut, or JumpReLU's z = v·[v > θ]); x̂ = z W_dec + b_dec. With L = Σ_rows ℓ(x̂ − x)
// + λ Σ z and g = dL/dx̂, dpre = (g W_decᵀ + λ) on active entries:
//   dW_dec = zᵀ g,  dW_enc = cᵀ dpre,  db_enc = Σ_rows dpre,  db_dec = Σ_rows g − W_enc · db_enc
// (the last term only when b_dec enters the encoder through x − b_dec). The sparse path
// computes each product from the active (row, feature) entries only; the dense path uses GEMMs
// and is chosen when the code is too dense for the sparse one to win (at initialisation). The
// GEMMs run in config.precision (bf16: operands rounded as they are read, fp32 sums, fp32
// master weights).
//
// JumpReLU's threshold θ gets its gradient from the straight-through band, the entries with
// |v − θ_j| < ε/2 (active or not): ∂z/∂θ_j = −(θ_j/ε) and ∂‖z‖₀/∂θ_j = −1/ε there, so
// dθ_j = Σ_band −(θ_j·(g·W_dec[j]) + λ_t/N_global)/ε. The pre-activations get no gradient
// from the L0 term (the JumpReLU paper's estimator; SAELens' default).
//
// Scaling so that summing ranks equals one process on the global batch:
//   nanda-1l: L = (1/N_global) Σ‖x̂ − x‖² + λ Σ|z| → g = 2(x̂ − x)/N_global, λ per entry;
//   topk:     L = (Σ‖x̂ − x‖² + α·s·Σ‖ê − e‖²) / V, where the batch variance V is a global sum
//             known only after the allreduce: the buffer holds the gradient of V·L and
//             apply_update multiplies by 1/V (Adam's grad_scale);
//   batchtopk: L = (Σ‖x̂ − x‖² + α·s·Σ‖ê − e‖²) / N_global;
//   matryoshka: L = (Σ_levels Σ‖x̂_l − x‖² + α·s·Σ‖ê − e‖²) / N_global (matryoshka.cpp);
//   jumprelu: L = (Σ‖x̂ − x‖² + λ_t Σ‖z‖₀) / N_global.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "coact/core/errors.h"
#include "coact/dist/comm.h"
#include "coact/sae/trainer.h"
#include "workspace.h"

namespace coact::sae {
namespace {

using backend::Transpose;

void sum_over(dist::Comm* group, std::int64_t* data, std::size_t count) {
  if (group != nullptr && group->size() > 1) group->allreduce_sum(data, count, dist::DType::I64);
}

// From the top bucket down, the bucket where the running count (starting at `above`) reaches
// `rank`; `above` becomes the count in the buckets above it.
std::int64_t bucket_reaching(const std::vector<std::int64_t>& counts, std::int64_t rank, std::int64_t& above) {
  for (std::int64_t b = backend::kValueBuckets; b-- > 0;) {
    if (above + counts[b] >= rank) return b;
    above += counts[b];
  }
  return 0;  // unreachable when rank <= the total
}

}  // namespace

void SaeTrainer::update_dead_mask() {
  const std::int64_t n = sae_.n_features();
  std::int64_t dead = 0;
  bool changed = !dead_mask_uploaded_;
  for (std::int64_t j = 0; j < n; ++j) {
    const std::uint8_t is_dead = since_fired_[j] > config_.dead_tokens ? 1 : 0;  // EleutherAI: >, not >=
    changed |= dead_host_[j] != is_dead;
    dead_host_[j] = is_dead;
    dead += is_dead;
  }
  dead_total_ = sum_over_shards(dead);
  if (changed) {
    work_->dead_mask.copy_from_host(dead_host_);
    dead_mask_uploaded_ = true;
  }
}

void SaeTrainer::select_batch(std::int64_t rows, std::int64_t global_rows, dist::Comm* group) {
  // Radix select of the R-th largest positive activation over the global batch (R = k·B, or
  // every positive one when there are fewer): the high 16 bits of the float pattern, then the
  // low 16 bits inside that bucket, each histogram summed over the ranks. Entries equal to the
  // cut enter lowest global position first: ranks hold consecutive slices, so lower ranks'
  // ties come first, then this rank's in row-major order.
  backend::Backend& b = sae_.backend();
  Workspace& w = *work_;
  const std::int64_t n = sae_.n_features();
  const int ranks = group != nullptr ? group->size() : 1;
  const int rank = group != nullptr ? group->rank() : 0;
  detail::ensure_capacity(b, w.histogram, std::max<std::int64_t>(backend::kValueBuckets, ranks));
  const auto histogram = [&](std::int64_t prefix, std::vector<std::int64_t>& local, std::vector<std::int64_t>& total) {
    b.value_histogram(rows, n, w.pre.data(), sae_.b_enc(), prefix, w.histogram.data());
    local.resize(static_cast<std::size_t>(backend::kValueBuckets));
    b.copy_bytes(local.data(), w.histogram.data(), local.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
    sum_over(group, w.histogram.data(), local.size());
    total.resize(local.size());
    b.copy_bytes(total.data(), w.histogram.data(), total.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
  };
  std::vector<std::int64_t> local, total;
  histogram(-1, local, total);
  std::int64_t positives = 0;
  for (const auto c : total) positives += c;
  const std::int64_t wanted = std::min(config_.k * global_rows, positives);

  backend::CodeRule rule;
  rule.kind = backend::CodeRule::Kind::Above;
  batch_level_ = 0.0f;
  if (wanted == 0) {
    rule.level = std::numeric_limits<float>::max();  // nothing is above it: an empty code
    main_rule_ = rule;
    return;
  }
  std::int64_t above = 0;
  const std::int64_t high = bucket_reaching(total, wanted, above);
  histogram(high, local, total);
  const std::int64_t low = bucket_reaching(total, wanted, above);
  const auto bits = static_cast<std::uint32_t>((high << 16) | low);
  std::memcpy(&batch_level_, &bits, sizeof bits);
  rule.level = batch_level_;

  // This rank's share of the ties: what the lower data ranks' ties leave of the ones needed,
  // taken in global order (row by row; within a row, latent by latent, so shard by shard).
  const std::int64_t needed = wanted - above, mine = local[static_cast<std::size_t>(low)];
  const int shards = shard_count(), block = rank / shards;  // the data rank
  COACT_REQUIRE(rank % shards == shard_index(), Error, "SaeTrainer: rank ", rank, " of the group is not shard ",
                shard_index(), " (ranks go data rank first, then shard)");
  std::int64_t before = 0, block_ties = mine;
  if (ranks > 1) {
    std::vector<std::int64_t> counts(static_cast<std::size_t>(ranks), 0);
    counts[static_cast<std::size_t>(rank)] = mine;
    b.copy_bytes(w.histogram.data(), counts.data(), counts.size() * sizeof(std::int64_t), backend::CopyKind::HostToDevice);
    sum_over(group, w.histogram.data(), counts.size());
    b.copy_bytes(counts.data(), w.histogram.data(), counts.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
    block_ties = 0;
    for (int r = 0; r < ranks; ++r) {
      if (r / shards < block) before += counts[static_cast<std::size_t>(r)];
      if (r / shards == block) block_ties += counts[static_cast<std::size_t>(r)];
    }
  }
  std::int64_t allowed = std::clamp<std::int64_t>(needed - before, 0, block_ties);
  if (allowed == block_ties) {
    // Every tie on this data rank is taken (the usual case with continuous values): the code is
    // {v ≥ level} = {v > the float just below it}, with no pass to count each row's ties.
    rule.level = std::nextafter(batch_level_, 0.0f);
  } else if (allowed > 0) {
    // Each row's ties (on every shard of these rows), then the first `allowed` of them in order.
    backend::CodeRule equal;
    equal.kind = backend::CodeRule::Kind::Equal;
    equal.level = batch_level_;
    detail::ensure_capacity(b, w.row_ties, rows * (shards + 1));
    b.count_selected(rows, n, w.pre.data(), sae_.b_enc(), equal, w.row_ties.data() + rows * shards);
    if (sharded()) shards_->allgather(w.row_ties.data() + rows * shards, w.row_ties.data(), rows * sizeof(std::int64_t));
    else b.copy_bytes(w.row_ties.data(), w.row_ties.data() + rows, rows * sizeof(std::int64_t), backend::CopyKind::DeviceToDevice);
    std::vector<std::int64_t> ties(static_cast<std::size_t>(rows * shards)), taken(static_cast<std::size_t>(rows));
    b.copy_bytes(ties.data(), w.row_ties.data(), ties.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
    for (std::int64_t r = 0; r < rows; ++r)
      for (int s = 0; s < shards; ++s) {
        const std::int64_t t = std::min(ties[static_cast<std::size_t>(s * rows + r)], allowed);
        allowed -= t;
        if (s == shard_index()) taken[static_cast<std::size_t>(r)] = t;
      }
    b.copy_bytes(w.row_ties.data(), taken.data(), taken.size() * sizeof(std::int64_t), backend::CopyKind::HostToDevice);
    rule.ties = w.row_ties.data();
  }
  main_rule_ = rule;
}

void SaeTrainer::compute_gradients(const float* batch, std::int64_t local_rows, std::int64_t global_rows,
                                   dist::Comm* group) {
  COACT_REQUIRE(local_rows >= 0 && local_rows <= max_rows_, UsageError, "SaeTrainer: ", local_rows,
                " local rows, at most ", max_rows_, " (max_local_rows)");
  COACT_REQUIRE(global_rows >= 1 && global_rows >= local_rows, UsageError, "SaeTrainer: global batch of ",
                global_rows, " rows cannot hold ", local_rows, " local rows");
  COACT_REQUIRE(!needs_data_init(), Error, "SaeTrainer: recipe ", to_string(config_.recipe),
                " sets b_dec from the data first (compute_data_init / apply_data_init)");
  backend::Backend& b = sae_.backend();
  Workspace& w = *work_;
  const std::int64_t d = sae_.d_in(), n = sae_.n_features(), rows = local_rows;
  const Recipe recipe = config_.recipe;
  const bool topk = recipe == Recipe::TopK, batchtopk = selects_over_batch(recipe);
  const bool matryoshka = recipe == Recipe::Matryoshka;
  const bool jumprelu = recipe == Recipe::JumpRelu, with_aux = topk || batchtopk;
  const backend::Precision precision = config_.precision;
  float* G = reduce_.data();
  const ParamLayout& p = layout_.params;
  float* g_enc_t = G + p.w_enc_t;
  float* g_dec = G + p.w_dec;
  float* g_b_enc = G + p.b_enc;
  float* g_b_dec = G + p.b_dec;
  float* fire = G + layout_.fire_counts;
  float* scalars = G + layout_.scalars;

  expected_rows_ = global_rows;
  last_local_ = LocalStepInfo{};
  aux_scale_ = 0.0;
  l0_weight_ = jumprelu ? l0_weight_at(step_ + 1) : 0.0;
  const std::int64_t k_aux_config = effective_k_aux(config_);
  if (with_aux && config_.auxk_alpha > 0) {
    update_dead_mask();
    // EleutherAI sparse_coder.py: k_aux = d/2 (Gao et al. B.1), "reduce the scale of the loss if
    // there are a small number of dead latents": scale = min(num_dead / k_aux, 1).
    aux_scale_ = std::min(1.0, static_cast<double>(dead_total_) / static_cast<double>(k_aux_config));
  }

  // ---- forward: the dense encoder product ---------------------------------------------------
  if (rows > 0) {
    b.add_row_vector(rows, d, -1.0f, sae_.b_dec(), batch, w.xc.data());
    const float* encoder_input = config_.subtract_b_dec ? w.xc.data() : batch;
    b.gemm_mixed(precision, Transpose::No, Transpose::Yes, rows, n, d, 1.0f, encoder_input, d, sae_.w_enc_t(), d, 0.0f,
                 w.pre.data(), n);
  }
  // BatchTopK's cut is collective: every rank takes part, with rows or without.
  if (batchtopk) select_batch(rows, global_rows, group);
  if (rows == 0) {  // a rank without rows still takes part in the sum
    reduce_.zero();
    return;
  }
  const float* encoder_input = config_.subtract_b_dec ? w.xc.data() : batch;

  detail::Selection selection = detail::Selection::relu();
  if (topk) selection = detail::Selection::topk(config_.k);
  if (batchtopk) selection = detail::Selection::by_rule(main_rule_);
  if (jumprelu) selection = detail::inference_selection(sae_);
  // JumpReLU's straight-through band is selected with its code, in the same passes over `pre`.
  backend::CodeRule band;
  band.kind = backend::CodeRule::Kind::Band;
  band.threshold = sae_.threshold();
  band.bandwidth = static_cast<float>(config_.bandwidth);
  if (jumprelu)
    detail::count_codes_two(selection.rule, band, w.pre.data(), sae_.b_enc(), rows, n, w.main, w.band);
  else
    detail::count_codes(selection, w.pre.data(), sae_.b_enc(), rows, n, w.main);
  if (topk) keep_global_topk(w.main);
  const std::int64_t nnz = w.main.nnz;
  const double density = static_cast<double>(nnz) / (static_cast<double>(rows) * static_cast<double>(n));
  // Matryoshka's levels are sums over the code's entries: it always takes the sparse path.
  const bool sparse = config_.path == ComputePath::Sparse || matryoshka ||
                      (config_.path == ComputePath::Auto && density <= config_.sparse_max_density);
  const bool code_selected = recipe != Recipe::Nanda1L;  // the dense path scatters the code
  last_local_.path = sparse ? ComputePath::Sparse : ComputePath::Dense;
  last_local_.density = density;
  last_local_.nnz = nnz;
  if (jumprelu)
    detail::fill_codes_two(w.pre.data(), sae_.b_enc(), w.main, w.band);
  else if (sparse || code_selected)
    detail::fill_codes(w.pre.data(), sae_.b_enc(), w.main);

  // AuxK's code is selected from the same pre-activations, before the dense path overwrites them.
  const bool use_aux = aux_scale_ > 0;
  std::int64_t aux_nnz = 0;
  if (use_aux) {
    const std::int64_t k_aux = std::min(k_aux_config, dead_total_);
    detail::count_codes(detail::Selection::topk(k_aux, w.dead_mask.data()), w.pre.data(), sae_.b_enc(), rows, n, w.aux);
    keep_global_topk(w.aux);
    aux_nnz = w.aux.nnz;
    detail::fill_codes(w.pre.data(), sae_.b_enc(), w.aux);
    last_local_.aux_nnz = aux_nnz;
    last_local_.dead = dead_total_;
  }
  const std::int64_t band_nnz = jumprelu ? w.band.nnz : 0;
  last_local_.band_nnz = band_nnz;

  const float mse_scale = topk ? 2.0f : static_cast<float>(2.0 / static_cast<double>(global_rows));
  const float l1 = recipe == Recipe::Nanda1L ? static_cast<float>(config_.l1_coeff) : 0.0f;

  if (matryoshka) {
    matryoshka_backward(batch, encoder_input, rows, mse_scale);
  } else if (sparse) {
    detail::CodeBuffers& c = w.main;
    detail::group_by_column(c);
    detail::ensure_capacity(b, c.grad, nnz);
    if (sharded()) {
      // The fused pass in three steps, with the shards' partial reconstructions summed between.
      b.sparse_decode(rows, d, c.view(), sae_.w_dec(), nullptr, w.xhat.data());
      sum_over_shards(w.xhat.data(), static_cast<std::size_t>(rows * d));
      b.add_row_vector(rows, d, 1.0f, sae_.b_dec(), w.xhat.data(), w.xhat.data());
      b.residual(rows, d, w.xhat.data(), batch, w.xc.data(), mse_scale, w.dxhat.data(), w.row_stats.data());
      b.sparse_row_dots(nnz, d, c.view(), c.entry_rows.data(), w.dxhat.data(), sae_.w_dec(), l1, c.grad.data());
    } else {
      b.decode_residual_row_dots(rows, d, nnz, c.view(), c.entry_rows.data(), sae_.w_dec(), sae_.b_dec(), batch,
                                 w.xc.data(), mse_scale, l1, w.xhat.data(), w.dxhat.data(), w.row_stats.data(),
                                 c.grad.data());
    }
    b.sparse_accumulate_rows(n, d, c.columns(), c.value.data(), w.dxhat.data(), g_dec, c.grad.data(), encoder_input,
                             g_enc_t, false);
    b.segment_counts(n, c.col_offsets.data(), fire);
    b.segment_sums(n, c.columns(), c.grad.data(), false, g_b_enc);
    b.segment_sums(n, c.columns(), c.value.data(), false, w.feature_sums.data());
  } else {
    float* z = w.pre.data();
    if (code_selected) {
      b.zero_bytes(z, static_cast<std::size_t>(rows * n) * sizeof(float));
      b.scatter_rows(rows, n, w.main.view(), z);
    } else {
      b.bias_relu(rows, n, sae_.b_enc(), z, z);
    }
    b.gemm_mixed(precision, Transpose::No, Transpose::No, rows, d, n, 1.0f, z, n, sae_.w_dec(), d, 0.0f, w.xhat.data(),
                 d);
    sum_over_shards(w.xhat.data(), static_cast<std::size_t>(rows * d));
    b.add_row_vector(rows, d, 1.0f, sae_.b_dec(), w.xhat.data(), w.xhat.data());
    b.residual(rows, d, w.xhat.data(), batch, w.xc.data(), mse_scale, w.dxhat.data(), w.row_stats.data());
    b.column_activity(rows, n, z, fire, w.feature_sums.data());
    b.gemm_mixed(precision, Transpose::Yes, Transpose::No, n, d, rows, 1.0f, z, n, w.dxhat.data(), d, 0.0f, g_dec, d);
    const std::int64_t chunk = std::max<std::int64_t>(1, std::min(rows, kDenseChunkFloats / n));
    detail::ensure_capacity(b, w.dz_chunk, chunk * n);
    for (std::int64_t r0 = 0; r0 < rows; r0 += chunk) {
      const std::int64_t cr = std::min(chunk, rows - r0);
      b.gemm_mixed(precision, Transpose::No, Transpose::Yes, cr, n, d, 1.0f, w.dxhat.data() + r0 * d, d, sae_.w_dec(), d,
                   0.0f, w.dz_chunk.data(), n);
      b.relu_backward(cr * n, l1, w.dz_chunk.data(), z + r0 * n);  // z becomes dL/dpre
    }
    b.gemm_mixed(precision, Transpose::Yes, Transpose::No, n, d, rows, 1.0f, z, n, encoder_input, d, 0.0f, g_enc_t, d);
    b.column_sums(rows, n, z, false, g_b_enc);
  }

  if (use_aux) {
    // AuxK (Gao et al. A.2, as EleutherAI sparsify): the top-k_aux dead latents' reconstruction
    // ê = z_aux W_dec (no bias) fit to the detached residual e = x − x̂.
    detail::CodeBuffers& c = w.aux;
    detail::ensure_capacity(b, w.aux_grad, rows * d);
    const double aux_weight = 2.0 * config_.auxk_alpha * aux_scale_;
    const auto aux_scale = static_cast<float>(topk ? aux_weight : aux_weight / static_cast<double>(global_rows));
    b.sparse_decode(rows, d, c.view(), sae_.w_dec(), nullptr, w.aux_grad.data());
    sum_over_shards(w.aux_grad.data(), static_cast<std::size_t>(rows * d));
    b.aux_residual(rows, d, w.aux_grad.data(), batch, w.xhat.data(), aux_scale, w.aux_grad.data(), w.row_stats.data());
    detail::group_by_column(c);
    detail::ensure_capacity(b, c.grad, aux_nnz);
    b.sparse_row_dots(aux_nnz, d, c.view(), c.entry_rows.data(), w.aux_grad.data(), sae_.w_dec(), 0.0f,
                      c.grad.data());
    b.sparse_accumulate_rows(n, d, c.columns(), c.value.data(), w.aux_grad.data(), g_dec, c.grad.data(), encoder_input,
                             g_enc_t, true);
    b.segment_sums(n, c.columns(), c.grad.data(), true, g_b_enc);
  }

  if (p.has_threshold) {
    float* g_threshold = G + p.threshold;
    if (jumprelu) {
      // The straight-through band: g·W_dec[j] per entry, then −(θ_j·that + λ_t/N)/ε, summed per feature.
      detail::CodeBuffers& c = w.band;
      detail::group_by_column(c);
      detail::ensure_capacity(b, c.grad, band_nnz);
      b.sparse_row_dots(band_nnz, d, c.view(), c.entry_rows.data(), w.dxhat.data(), sae_.w_dec(), 0.0f, c.grad.data());
      b.threshold_gradients(band_nnz, c.index.data(), c.grad.data(), sae_.threshold(),
                            static_cast<float>(l0_weight_ / static_cast<double>(global_rows)),
                            static_cast<float>(config_.bandwidth), c.grad.data());
      b.segment_sums(n, c.columns(), c.grad.data(), false, g_threshold);
    } else {
      b.fill(n, 0.0f, g_threshold);  // batchtopk's threshold is learned from the selection, not by Adam
    }
  }

  // db_dec = Σ_rows g (− W_enc · db_enc, all of db_enc with AuxK's share, when b_dec is subtracted).
  // Statistics: centred sums for the batch variance; the loss parts, L1 and L0 sums. Every
  // shard computes the row terms alike (Σ g, the centred sums, the row statistics, the rows):
  // shard 0 contributes them; the latent terms come from each shard.
  const bool row_terms = owns_row_terms();
  if (row_terms) b.column_sums(rows, d, w.dxhat.data(), false, g_b_dec);
  else b.fill(d, 0.0f, g_b_dec);
  if (config_.subtract_b_dec)
    b.gemm(Transpose::No, Transpose::No, 1, d, n, -1.0f, g_b_enc, n, sae_.w_enc_t(), d, 1.0f, g_b_dec, d);
  if (row_terms) {
    b.column_sums(rows, d, w.xc.data(), false, G + layout_.centered_sums);
    b.column_sums(rows, 3, w.row_stats.data(), false, scalars + kSquaredError);  // sse, centred², aux
  } else {
    b.fill(d, 0.0f, G + layout_.centered_sums);
    b.fill(3, 0.0f, scalars + kSquaredError);
  }
  if (matryoshka && row_terms) b.column_sums(1, 1, w.level_sums.data(), false, scalars + kInnerSquaredError);
  else b.fill(1, 0.0f, scalars + kInnerSquaredError);
  b.column_sums(n, 1, w.feature_sums.data(), false, scalars + kL1Sum);
  b.column_sums(n, 1, fire, false, scalars + kActiveCount);
  b.fill(1, row_terms ? static_cast<float>(rows) : 0.0f, scalars + kRowCount);
}

}  // namespace coact::sae
