// The matryoshka recipe's backward pass (SAELens MatryoshkaBatchTopKTrainingSAE): the batchtopk
// code, reconstructed level by level. With widths w_1 < … < w_L = n, level l's reconstruction
// uses the features [0, w_l): x̂_l = b_dec + Σ_{l' ≤ l} z_(l') W_dec_(l'), where z_(l') holds the
// code's entries in columns [w_(l'−1), w_l'). Every level's error enters the loss with weight
// one, so with g_l = 2(x̂_l − x)/N_global a feature of level l gets
//   dL/dz = G_l · W_dec[j],   dW_dec[j] = Σ_rows z·G_l,   G_l = Σ_{l' ≥ l} g_l',
// the residual gradients of its own level and of every wider one. The code's entries are split
// by level once per step on the host (a few hundred thousand entries: k·B), and each level runs
// the one-level sparse ops on its share with its G_l; W_enc's and b_enc's gradients follow from
// dL/dz as in the one-level path. dxhat ends as G_1 = Σ_l g_l, what db_dec sums. A latent
// shard takes the levels' columns among its latents, and the shards sum each level's part of x̂.
#include <algorithm>
#include <vector>

#include "coact/sae/trainer.h"
#include "workspace.h"

namespace coact::sae {

namespace {

// Splits a CSR code of rows×n by column ranges [widths[l−1], widths[l]) into one CSR code per
// level (entries keep their row order), on the host.
void split_by_level(backend::Backend& b, const detail::CodeBuffers& code, const std::vector<std::int64_t>& widths,
                    std::vector<detail::CodeBuffers>& levels) {
  const std::int64_t rows = code.rows, nnz = code.nnz;
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(rows + 1));
  std::vector<std::int32_t> index(static_cast<std::size_t>(nnz));
  std::vector<float> value(static_cast<std::size_t>(nnz));
  b.copy_bytes(offsets.data(), code.offsets.data(), offsets.size() * sizeof(std::int64_t), backend::CopyKind::DeviceToHost);
  b.copy_bytes(index.data(), code.index.data(), index.size() * sizeof(std::int32_t), backend::CopyKind::DeviceToHost);
  b.copy_bytes(value.data(), code.value.data(), value.size() * sizeof(float), backend::CopyKind::DeviceToHost);

  const std::size_t count = widths.size(), stride = offsets.size();
  std::vector<std::int64_t> level_offsets(count * stride, 0);  // level l's row offsets at [l·stride, (l+1)·stride)
  std::vector<std::vector<std::int32_t>> level_index(count);
  std::vector<std::vector<float>> level_value(count);
  for (std::int64_t r = 0; r < rows; ++r) {
    for (std::int64_t e = offsets[r]; e < offsets[r + 1]; ++e) {
      const auto l = static_cast<std::size_t>(std::upper_bound(widths.begin(), widths.end(), index[e]) - widths.begin());
      level_index[l].push_back(index[e]);
      level_value[l].push_back(value[e]);
    }
    for (std::size_t l = 0; l < count; ++l)
      level_offsets[l * stride + static_cast<std::size_t>(r) + 1] = static_cast<std::int64_t>(level_index[l].size());
  }

  while (levels.size() < count) levels.emplace_back(b);
  for (std::size_t l = 0; l < count; ++l) {
    detail::CodeBuffers& c = levels[l];
    c.rows = rows;
    c.cols = code.cols;
    c.nnz = static_cast<std::int64_t>(level_index[l].size());
    detail::ensure_capacity(b, c.offsets, rows + 1);
    detail::ensure_capacity(b, c.index, c.nnz);
    detail::ensure_capacity(b, c.value, c.nnz);
    b.copy_bytes(c.offsets.data(), level_offsets.data() + l * stride, stride * sizeof(std::int64_t),
                 backend::CopyKind::HostToDevice);
    b.copy_bytes(c.index.data(), level_index[l].data(), level_index[l].size() * sizeof(std::int32_t),
                 backend::CopyKind::HostToDevice);
    b.copy_bytes(c.value.data(), level_value[l].data(), level_value[l].size() * sizeof(float),
                 backend::CopyKind::HostToDevice);
  }
}

}  // namespace

void SaeTrainer::matryoshka_backward(const float* batch, const float* encoder_input, std::int64_t rows,
                                     float mse_scale) {
  backend::Backend& b = sae_.backend();
  Workspace& w = *work_;
  const std::int64_t d = sae_.d_in(), n = sae_.n_features();
  // A shard's levels are the whole SAE's cut to its latents [first, first + n): level l holds
  // its local columns below w_l − first (none when the level ends before the shard).
  std::vector<std::int64_t> widths = matryoshka_widths(config_);
  const std::int64_t first = sae_.shard().first;
  for (auto& width : widths) width = std::clamp<std::int64_t>(width - first, 0, n);
  const auto count = static_cast<std::int64_t>(widths.size());
  float* G = reduce_.data();
  const ParamLayout& p = layout_.params;

  split_by_level(b, w.main, widths, w.levels);
  detail::ensure_capacity(b, w.level_grads, std::max<std::int64_t>(1, (count - 1) * rows * d));
  detail::ensure_capacity(b, w.partial, rows * d);
  detail::ensure_capacity(b, w.level_stats, rows * 3);
  detail::ensure_capacity(b, w.level_sums, 3);
  const auto level_grad = [&](std::int64_t l) { return l == 0 ? w.dxhat.data() : w.level_grads.data() + (l - 1) * rows * d; };

  // Each level's reconstruction (built on the previous one's) and its residual gradient g_l; the
  // outer level's row statistics are the step's, the inner ones' errors are summed apart.
  b.fill(3, 0.0f, w.level_sums.data());
  float* xhat = w.xhat.data();
  for (std::int64_t l = 0; l < count; ++l) {
    const backend::SparseRows level = w.levels[static_cast<std::size_t>(l)].view();
    if (sharded()) {
      // Each shard decodes its entries of the level; their sum is the level's whole part.
      float* part = l == 0 ? xhat : w.partial.data();
      b.sparse_decode(rows, d, level, sae_.w_dec(), nullptr, part);
      sum_over_shards(part, static_cast<std::size_t>(rows * d));
      if (l == 0) b.add_row_vector(rows, d, 1.0f, sae_.b_dec(), xhat, xhat);
      else b.axpy(rows * d, 1.0f, part, xhat);
    } else if (l == 0) {
      b.sparse_decode(rows, d, level, sae_.w_dec(), sae_.b_dec(), xhat);
    } else {
      b.sparse_decode(rows, d, level, sae_.w_dec(), nullptr, w.partial.data());
      b.axpy(rows * d, 1.0f, w.partial.data(), xhat);
    }
    const bool outer = l == count - 1;
    b.residual(rows, d, xhat, batch, w.xc.data(), mse_scale, level_grad(l),
               outer ? w.row_stats.data() : w.level_stats.data());
    if (!outer) b.column_sums(rows, 3, w.level_stats.data(), true, w.level_sums.data());
  }
  // G_l = g_l + G_(l+1), from the outer level in.
  for (std::int64_t l = count - 2; l >= 0; --l) b.axpy(rows * d, 1.0f, level_grad(l + 1), level_grad(l));

  // Each level's entries against its G_l: dL/dz, the W_dec and W_enc gradient rows, b_enc.
  for (std::int64_t l = 0; l < count; ++l) {
    detail::CodeBuffers& c = w.levels[static_cast<std::size_t>(l)];
    detail::group_by_column(c);
    detail::ensure_capacity(b, c.grad, c.nnz);
    b.sparse_row_dots(c.nnz, d, c.view(), c.entry_rows.data(), level_grad(l), sae_.w_dec(), 0.0f, c.grad.data());
    b.sparse_accumulate_rows(n, d, c.columns(), c.value.data(), level_grad(l), G + p.w_dec, c.grad.data(),
                             encoder_input, G + p.w_enc_t, l > 0);
    b.segment_sums(n, c.columns(), c.grad.data(), l > 0, G + p.b_enc);
  }
  // Fire counts and feature sums of the whole code.
  detail::CodeBuffers& code = w.main;
  detail::group_by_column(code);
  b.segment_counts(n, code.col_offsets.data(), G + layout_.fire_counts);
  b.segment_sums(n, code.columns(), code.value.data(), false, w.feature_sums.data());
}

}  // namespace coact::sae
