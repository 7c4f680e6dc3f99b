// The gradient half of the step: this rank's rows' contribution to the gradient of the global
// batch loss, and the sums apply_update needs, written into the reduce buffer.
//
// Forward: xc = x − b_dec; pre = xc W_enc (the one inherently dense product, a GEMM); the code z
// from pre + b_enc (ReLU or TopK); x̂ = z W_dec + b_dec. With L = Σ_rows ℓ(x̂ − x) + λ Σ z and
// g = dL/dx̂, dpre = (g W_decᵀ + λ) on active entries:
//   dW_dec = zᵀ g,  dW_enc = xcᵀ dpre,  db_enc = Σ_rows dpre,  db_dec = Σ_rows g − W_enc · db_enc
// (the last term because b_dec enters the encoder through x − b_dec). The sparse path computes
// each product from the active (row, feature) entries only; the dense path uses GEMMs and is
// chosen when the code is too dense for the sparse one to win (at initialisation). The GEMMs run
// in config.precision (bf16: operands rounded as they are read, fp32 sums, fp32 master weights).
//
// Scaling so that summing ranks equals one process on the global batch:
//   nanda-1l: L = (1/N_global) Σ‖x̂ − x‖² + λ Σ|z| → g = 2(x̂ − x)/N_global, λ per entry;
//   topk:     L = (Σ‖x̂ − x‖² + α·s·Σ‖ê − e‖²) / V, where the batch variance V is a global sum
//             known only after the allreduce: the buffer holds the gradient of V·L and
//             apply_update multiplies by 1/V (Adam's grad_scale).
#include <algorithm>

#include "coact/core/errors.h"
#include "coact/sae/trainer.h"
#include "workspace.h"

namespace coact::sae {
namespace {

using backend::Transpose;

// The dense path's dL/dz = g W_decᵀ is formed this many rows at a time, so it needs a chunk of
// rows×n rather than a second full code matrix (64 MiB: 1,024 rows at n = 16,384, enough rows
// for both threads of a GEMM and few re-reads of W_dec).
constexpr std::int64_t kDenseChunkFloats = std::int64_t{1} << 24;

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
  dead_count_ = dead;
  if (changed) {
    work_->dead_mask.copy_from_host(dead_host_);
    dead_mask_uploaded_ = true;
  }
}

void SaeTrainer::compute_gradients(const float* batch, std::int64_t local_rows, std::int64_t global_rows) {
  COACT_REQUIRE(local_rows >= 0 && local_rows <= max_rows_, UsageError, "SaeTrainer: ", local_rows,
                " local rows, at most ", max_rows_, " (max_local_rows)");
  COACT_REQUIRE(global_rows >= 1 && global_rows >= local_rows, UsageError, "SaeTrainer: global batch of ",
                global_rows, " rows cannot hold ", local_rows, " local rows");
  COACT_REQUIRE(!needs_data_init(), Error,
                "SaeTrainer: recipe topk sets b_dec from the data first (compute_data_init / apply_data_init)");
  backend::Backend& b = sae_.backend();
  Workspace& w = *work_;
  const std::int64_t d = sae_.d_in(), n = sae_.n_features(), rows = local_rows;
  const bool topk = config_.recipe == Recipe::TopK;
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
  const std::int64_t k_aux_config = effective_k_aux(config_);
  if (topk && config_.auxk_alpha > 0) {
    update_dead_mask();
    // EleutherAI sparse_coder.py: k_aux = d/2 (Gao et al. B.1), "reduce the scale of the loss if
    // there are a small number of dead latents": scale = min(num_dead / k_aux, 1).
    aux_scale_ = std::min(1.0, static_cast<double>(dead_count_) / static_cast<double>(k_aux_config));
  }
  if (rows == 0) {  // a rank without rows still takes part in the sum
    reduce_.zero();
    return;
  }

  // ---- forward: the dense encoder product ---------------------------------------------------
  b.add_row_vector(rows, d, -1.0f, sae_.b_dec(), batch, w.xc.data());
  const backend::Precision precision = config_.precision;
  b.gemm_mixed(precision, Transpose::No, Transpose::Yes, rows, n, d, 1.0f, w.xc.data(), d, sae_.w_enc_t(), d, 0.0f,
               w.pre.data(), n);

  const Activation activation = topk ? Activation::TopK : Activation::Relu;
  const std::int64_t nnz =
      detail::count_codes(activation, config_.k, w.pre.data(), sae_.b_enc(), nullptr, rows, n, w.main);
  const double density = static_cast<double>(nnz) / (static_cast<double>(rows) * static_cast<double>(n));
  const bool sparse = config_.path == ComputePath::Sparse ||
                      (config_.path == ComputePath::Auto && density <= config_.sparse_max_density);
  last_local_.path = sparse ? ComputePath::Sparse : ComputePath::Dense;
  last_local_.density = density;
  last_local_.nnz = nnz;
  if (sparse || topk) detail::fill_codes(w.pre.data(), sae_.b_enc(), w.main);

  // AuxK's code is selected from the same pre-activations, before the dense path overwrites them.
  const bool use_aux = aux_scale_ > 0;
  std::int64_t aux_nnz = 0;
  if (use_aux) {
    const std::int64_t k_aux = std::min(k_aux_config, dead_count_);
    aux_nnz = detail::count_codes(Activation::TopK, k_aux, w.pre.data(), sae_.b_enc(), w.dead_mask.data(), rows, n,
                                  w.aux);
    detail::fill_codes(w.pre.data(), sae_.b_enc(), w.aux);
    last_local_.aux_nnz = aux_nnz;
    last_local_.dead = dead_count_;
  }

  const float mse_scale = topk ? 2.0f : static_cast<float>(2.0 / static_cast<double>(global_rows));
  const float l1 = topk ? 0.0f : static_cast<float>(config_.l1_coeff);

  if (sparse) {
    detail::CodeBuffers& c = w.main;
    b.sparse_decode(rows, d, c.view(), sae_.w_dec(), sae_.b_dec(), w.xhat.data());
    b.residual(rows, d, w.xhat.data(), batch, w.xc.data(), mse_scale, w.dxhat.data(), w.row_stats.data());
    detail::group_by_column(c);
    detail::ensure_capacity(b, c.grad, nnz);
    b.sparse_row_dots(nnz, d, c.view(), c.entry_rows.data(), w.dxhat.data(), sae_.w_dec(), l1, c.grad.data());
    b.sparse_accumulate_rows(n, d, c.columns(), c.value.data(), w.dxhat.data(), g_dec, c.grad.data(), w.xc.data(),
                             g_enc_t, false);
    b.segment_counts(n, c.col_offsets.data(), fire);
    b.segment_sums(n, c.columns(), c.grad.data(), false, g_b_enc);
    b.segment_sums(n, c.columns(), c.value.data(), false, w.feature_sums.data());
  } else {
    float* z = w.pre.data();
    if (topk) {
      b.zero_bytes(z, static_cast<std::size_t>(rows * n) * sizeof(float));
      b.scatter_rows(rows, n, w.main.view(), z);
    } else {
      b.bias_relu(rows, n, sae_.b_enc(), z, z);
    }
    b.gemm_mixed(precision, Transpose::No, Transpose::No, rows, d, n, 1.0f, z, n, sae_.w_dec(), d, 0.0f, w.xhat.data(),
                 d);
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
    b.gemm_mixed(precision, Transpose::Yes, Transpose::No, n, d, rows, 1.0f, z, n, w.xc.data(), d, 0.0f, g_enc_t, d);
    b.column_sums(rows, n, z, false, g_b_enc);
  }

  if (use_aux) {
    // AuxK (Gao et al. A.2, as EleutherAI sparsify): the top-k_aux dead latents' reconstruction
    // ê = z_aux W_dec (no bias) fit to the detached residual e = x − x̂.
    detail::CodeBuffers& c = w.aux;
    detail::ensure_capacity(b, w.aux_grad, rows * d);
    const auto aux_scale = static_cast<float>(2.0 * config_.auxk_alpha * aux_scale_);
    b.sparse_decode(rows, d, c.view(), sae_.w_dec(), nullptr, w.aux_grad.data());
    b.aux_residual(rows, d, w.aux_grad.data(), batch, w.xhat.data(), aux_scale, w.aux_grad.data(), w.row_stats.data());
    detail::group_by_column(c);
    detail::ensure_capacity(b, c.grad, aux_nnz);
    b.sparse_row_dots(aux_nnz, d, c.view(), c.entry_rows.data(), w.aux_grad.data(), sae_.w_dec(), 0.0f,
                      c.grad.data());
    b.sparse_accumulate_rows(n, d, c.columns(), c.value.data(), w.aux_grad.data(), g_dec, c.grad.data(), w.xc.data(),
                             g_enc_t, true);
    b.segment_sums(n, c.columns(), c.grad.data(), true, g_b_enc);
  }

  // db_dec = Σ_rows g − W_enc · db_enc (all of db_enc, AuxK's share included).
  b.column_sums(rows, d, w.dxhat.data(), false, g_b_dec);
  b.gemm(Transpose::No, Transpose::No, 1, d, n, -1.0f, g_b_enc, n, sae_.w_enc_t(), d, 1.0f, g_b_dec, d);

  // Statistics: centred sums for the batch variance; the loss parts, L1 and L0 sums.
  b.column_sums(rows, d, w.xc.data(), false, G + layout_.centered_sums);
  b.column_sums(rows, 3, w.row_stats.data(), false, scalars + kSquaredError);  // sse, centred², aux
  b.column_sums(n, 1, w.feature_sums.data(), false, scalars + kL1Sum);
  b.column_sums(n, 1, fire, false, scalars + kActiveCount);
  b.fill(1, static_cast<float>(rows), scalars + kRowCount);
}

}  // namespace coact::sae
