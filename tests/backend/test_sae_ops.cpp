// The SAE ops of every available backend against the plain reference path (ggml style): dense
// helpers, sparse-code building and products, optimiser, decoder constraint, RNG init. The cuda
// backend is a parameter too and skips without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/backend/reference.h"
#include "support/nmse.h"

namespace coact::backend {
namespace {

using coact::testing::nmse;

std::vector<float> random_vector(std::size_t n, unsigned seed, float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

template <class T>
Buffer<T> upload(Backend& backend, const std::vector<T>& host) {
  Buffer<T> buffer(backend, host.size());
  buffer.copy_from_host(host);
  return buffer;
}

// A random ReLU code (CSR on the host) of a rows×cols matrix with about `density` active.
struct HostCodes {
  std::int64_t rows = 0, cols = 0;
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> index;
  std::vector<float> value;
  std::int64_t nnz() const { return offsets.back(); }
  SparseRows view() const { return {offsets.data(), index.data(), value.data()}; }
};

HostCodes random_codes(std::int64_t rows, std::int64_t cols, double density, unsigned seed) {
  HostCodes codes{rows, cols, {}, {}, {}};
  const auto pre = random_vector(rows * cols, seed);
  const std::vector<float> bias(cols, static_cast<float>(1.0 - 2.0 * density) * -1.0f);  // P(u + b > 0) = density
  std::vector<std::int64_t> counts(rows);
  codes.offsets.resize(rows + 1);
  reference::count_positive(rows, cols, pre.data(), bias.data(), counts.data());
  reference::exclusive_scan(rows, counts.data(), codes.offsets.data());
  codes.index.resize(codes.nnz());
  codes.value.resize(codes.nnz());
  reference::gather_positive(rows, cols, pre.data(), bias.data(), codes.offsets.data(), codes.index.data(),
                             codes.value.data());
  return codes;
}

// Device copies of a host code and of its column grouping.
struct DeviceCodes {
  Buffer<std::int64_t> offsets;
  Buffer<std::int32_t> index;
  Buffer<float> value;
  Buffer<std::int32_t> entry_rows;
  Buffer<std::int64_t> col_offsets, col_entry;
  Buffer<std::int32_t> col_row;
  SparseRows view() const { return {offsets.data(), index.data(), value.data()}; }
  SparseColumns columns() const { return {col_offsets.data(), col_entry.data(), col_row.data()}; }
};

DeviceCodes to_device(Backend& backend, const HostCodes& codes) {
  DeviceCodes d{upload(backend, codes.offsets), upload(backend, codes.index), upload(backend, codes.value),
                Buffer<std::int32_t>(backend, codes.nnz()), Buffer<std::int64_t>(backend, codes.cols + 1),
                Buffer<std::int64_t>(backend, codes.nnz()), Buffer<std::int32_t>(backend, codes.nnz())};
  backend.sparse_transpose(codes.rows, codes.cols, codes.nnz(), d.view(), d.entry_rows.data(), d.col_offsets.data(),
                           d.col_entry.data(), d.col_row.data());
  return d;
}

class SaeOps : public ::testing::TestWithParam<DeviceRequest> {
 protected:
  void SetUp() override {
    if (GetParam() == DeviceRequest::Cuda && cuda_device_count() == 0)
      GTEST_SKIP() << (cuda_compiled() ? "no CUDA device visible" : "built without CUDA");
    backend_ = make_backend(GetParam());
  }
  Backend& b() { return *backend_; }
  std::unique_ptr<Backend> backend_;
};

TEST_P(SaeOps, AddRowVectorAndReluBackward) {
  const std::int64_t rows = 130, cols = 257;  // > the cpu's parallel threshold
  const auto in = random_vector(rows * cols, 1), v = random_vector(cols, 2), dz = random_vector(rows * cols, 3);
  std::vector<float> want(in.size());
  reference::add_row_vector(rows, cols, -1.0f, v.data(), in.data(), want.data());
  auto din = upload(b(), in), dv = upload(b(), v), ddz = upload(b(), dz);
  Buffer<float> out(b(), in.size());
  b().add_row_vector(rows, cols, -1.0f, dv.data(), din.data(), out.data());
  EXPECT_EQ(out.to_host(), want);

  // Relu backward over a code with zeros: masked where z <= 0, dz + l1 elsewhere.
  auto z = in;
  for (auto& x : z) x = std::max(x, 0.0f);
  auto want_dpre = z;
  reference::relu_backward(rows * cols, 3e-4f, dz.data(), want_dpre.data());
  auto dzp = upload(b(), z);
  b().relu_backward(rows * cols, 3e-4f, ddz.data(), dzp.data());
  EXPECT_EQ(dzp.to_host(), want_dpre);
}

TEST_P(SaeOps, ColumnReductionsMatchReference) {
  const std::int64_t rows = 301, cols = 517;  // several column blocks and a ragged last one
  const auto in = random_vector(rows * cols, 4);
  std::vector<float> want(cols), got_init = random_vector(cols, 5);
  auto din = upload(b(), in);
  Buffer<float> out(b(), cols);
  reference::column_sums(rows, cols, in.data(), false, want.data());
  b().column_sums(rows, cols, din.data(), false, out.data());
  EXPECT_LT(nmse(out.to_host(), want), 1e-12);

  want = got_init;
  out.copy_from_host(got_init);
  reference::column_sums(rows, cols, in.data(), true, want.data());
  b().column_sums(rows, cols, din.data(), true, out.data());
  EXPECT_LT(nmse(out.to_host(), want), 1e-12);

  auto z = in;
  for (auto& x : z) x = std::max(x, 0.0f);
  std::vector<float> fire(cols), sums(cols);
  reference::column_activity(rows, cols, z.data(), fire.data(), sums.data());
  auto dz = upload(b(), z);
  Buffer<float> dfire(b(), cols), dsums(b(), cols);
  b().column_activity(rows, cols, dz.data(), dfire.data(), dsums.data());
  EXPECT_EQ(dfire.to_host(), fire);
  EXPECT_LT(nmse(dsums.to_host(), sums), 1e-12);
}

TEST_P(SaeOps, ResidualsMatchReference) {
  const std::int64_t rows = 67, cols = 131;
  const auto xhat = random_vector(rows * cols, 6), x = random_vector(rows * cols, 7), xc = random_vector(rows * cols, 8);
  const auto ehat = random_vector(rows * cols, 9);
  std::vector<float> grad(rows * cols), stats(rows * 3), aux_grad(rows * cols);
  reference::residual(rows, cols, xhat.data(), x.data(), xc.data(), 0.25f, grad.data(), stats.data());
  reference::aux_residual(rows, cols, ehat.data(), x.data(), xhat.data(), 0.5f, aux_grad.data(), stats.data());
  auto dxhat = upload(b(), xhat), dx = upload(b(), x), dxc = upload(b(), xc), dehat = upload(b(), ehat);
  Buffer<float> dgrad(b(), grad.size()), dstats(b(), stats.size()), daux(b(), grad.size());
  b().residual(rows, cols, dxhat.data(), dx.data(), dxc.data(), 0.25f, dgrad.data(), dstats.data());
  b().aux_residual(rows, cols, dehat.data(), dx.data(), dxhat.data(), 0.5f, daux.data(), dstats.data());
  EXPECT_LT(nmse(dgrad.to_host(), grad), 1e-13);
  EXPECT_LT(nmse(daux.to_host(), aux_grad), 1e-13);
  EXPECT_LT(nmse(dstats.to_host(), stats), 1e-12);
}

TEST_P(SaeOps, ReluCodesMatchReference) {
  const std::int64_t rows = 97, cols = 403;
  const auto in = random_vector(rows * cols, 10), bias = random_vector(cols, 11, -1.2f, 0.2f);
  std::vector<std::int64_t> counts(rows), offsets(rows + 1);
  reference::count_positive(rows, cols, in.data(), bias.data(), counts.data());
  const std::int64_t nnz = reference::exclusive_scan(rows, counts.data(), offsets.data());
  std::vector<std::int32_t> index(nnz);
  std::vector<float> value(nnz);
  reference::gather_positive(rows, cols, in.data(), bias.data(), offsets.data(), index.data(), value.data());

  auto din = upload(b(), in), dbias = upload(b(), bias);
  Buffer<std::int64_t> dcounts(b(), rows), doffsets(b(), rows + 1);
  b().count_positive(rows, cols, din.data(), dbias.data(), dcounts.data());
  EXPECT_EQ(dcounts.to_host(), counts);
  EXPECT_EQ(b().exclusive_scan(rows, dcounts.data(), doffsets.data()), nnz);
  EXPECT_EQ(doffsets.to_host(), offsets);
  Buffer<std::int32_t> dindex(b(), nnz);
  Buffer<float> dvalue(b(), nnz);
  b().gather_positive(rows, cols, din.data(), dbias.data(), doffsets.data(), dindex.data(), dvalue.data());
  EXPECT_EQ(dindex.to_host(), index);
  EXPECT_EQ(dvalue.to_host(), value);

  // Scatter rebuilds the ReLU of in + bias.
  std::vector<float> dense(rows * cols, 0.0f), relu(rows * cols);
  reference::scatter_rows(rows, cols, {offsets.data(), index.data(), value.data()}, dense.data());
  reference::bias_relu(rows, cols, bias.data(), in.data(), relu.data());
  EXPECT_EQ(dense, relu);
  Buffer<float> ddense(b(), dense.size());
  ddense.zero();
  b().scatter_rows(rows, cols, {doffsets.data(), dindex.data(), dvalue.data()}, ddense.data());
  EXPECT_EQ(ddense.to_host(), dense);
}

TEST_P(SaeOps, TopkCodesMatchReferenceIncludingTiesAndMasks) {
  const std::int64_t rows = 83, cols = 389;
  auto in = random_vector(rows * cols, 12);
  // Quantised values make many ties; ties must go to the lower column.
  for (auto& x : in) x = std::round(x * 8.0f) / 8.0f;
  const std::vector<float> bias(cols, 0.0f);
  std::vector<std::uint8_t> allowed(cols);
  for (std::int64_t c = 0; c < cols; ++c) allowed[c] = (c % 3) != 0;
  auto din = upload(b(), in), dbias = upload(b(), bias);
  auto dallowed = upload(b(), allowed);
  for (const std::int64_t k : {1, 5, 32, 300}) {
    for (const bool masked : {false, true}) {
      std::vector<std::int64_t> counts(rows);
      std::vector<std::int32_t> index(rows * k, -7);
      std::vector<float> value(rows * k, -7.0f);
      reference::topk_rows(rows, cols, in.data(), bias.data(), masked ? allowed.data() : nullptr, k, counts.data(),
                           index.data(), value.data());
      Buffer<std::int64_t> dcounts(b(), rows);
      auto dindex = upload(b(), std::vector<std::int32_t>(rows * k, -7));
      auto dvalue = upload(b(), std::vector<float>(rows * k, -7.0f));
      b().topk_rows(rows, cols, din.data(), dbias.data(), masked ? dallowed.data() : nullptr, k, dcounts.data(),
                    dindex.data(), dvalue.data());
      EXPECT_EQ(dcounts.to_host(), counts) << "k=" << k;
      // Compare the used slots of each row through compaction, which also tests compact_rows.
      std::vector<std::int64_t> offsets(rows + 1);
      const std::int64_t nnz = reference::exclusive_scan(rows, counts.data(), offsets.data());
      std::vector<std::int32_t> cindex(nnz);
      std::vector<float> cvalue(nnz);
      reference::compact_rows(rows, k, offsets.data(), index.data(), value.data(), cindex.data(), cvalue.data());
      Buffer<std::int64_t> doffsets(b(), rows + 1);
      ASSERT_EQ(b().exclusive_scan(rows, dcounts.data(), doffsets.data()), nnz);
      Buffer<std::int32_t> dcindex(b(), nnz);
      Buffer<float> dcvalue(b(), nnz);
      b().compact_rows(rows, k, doffsets.data(), dindex.data(), dvalue.data(), dcindex.data(), dcvalue.data());
      EXPECT_EQ(dcindex.to_host(), cindex) << "k=" << k << " masked=" << masked;
      EXPECT_EQ(dcvalue.to_host(), cvalue) << "k=" << k << " masked=" << masked;
      for (std::int64_t e = 0; e < nnz; ++e) {
        EXPECT_GT(cvalue[e], 0.0f);
        if (masked) {
          EXPECT_TRUE(allowed[cindex[e]]);
        }
      }
    }
  }
}

TEST_P(SaeOps, SparseTransposeGroupsByColumnInRowOrder) {
  const auto codes = random_codes(211, 97, 0.1, 13);
  std::vector<std::int32_t> entry_rows(codes.nnz()), col_row(codes.nnz());
  std::vector<std::int64_t> col_offsets(codes.cols + 1), col_entry(codes.nnz());
  reference::sparse_transpose(codes.rows, codes.cols, codes.nnz(), codes.view(), entry_rows.data(),
                              col_offsets.data(), col_entry.data(), col_row.data());
  const auto d = to_device(b(), codes);
  EXPECT_EQ(d.entry_rows.to_host(), entry_rows);
  EXPECT_EQ(d.col_offsets.to_host(), col_offsets);
  EXPECT_EQ(d.col_entry.to_host(), col_entry);
  EXPECT_EQ(d.col_row.to_host(), col_row);
  for (std::int64_t j = 0; j < codes.cols; ++j)
    for (std::int64_t p = col_offsets[j]; p < col_offsets[j + 1]; ++p) {
      EXPECT_EQ(codes.index[col_entry[p]], j);
      if (p > col_offsets[j]) {
        EXPECT_LT(col_row[p - 1], col_row[p]);
      }
    }
  // An empty code transposes to empty columns.
  HostCodes empty{5, 7, std::vector<std::int64_t>(6, 0), {}, {}};
  const auto de = to_device(b(), empty);
  EXPECT_EQ(de.col_offsets.to_host(), std::vector<std::int64_t>(8, 0));
}

TEST_P(SaeOps, SparseProductsMatchReference) {
  const std::int64_t rows = 123, n = 301, d = 75;
  const auto codes = random_codes(rows, n, 0.08, 14);
  const auto weights = random_vector(n * d, 15), bias = random_vector(d, 16), g = random_vector(rows * d, 17);
  const auto xc = random_vector(rows * d, 18), coef_b = random_vector(codes.nnz(), 19);
  const auto dev = to_device(b(), codes);
  auto dweights = upload(b(), weights), dbias = upload(b(), bias), dg = upload(b(), g), dxc = upload(b(), xc);
  auto dcoef_b = upload(b(), coef_b);

  for (const bool with_bias : {true, false}) {
    std::vector<float> want(rows * d);
    reference::sparse_decode(rows, d, codes.view(), weights.data(), with_bias ? bias.data() : nullptr, want.data());
    Buffer<float> out(b(), want.size());
    b().sparse_decode(rows, d, dev.view(), dweights.data(), with_bias ? dbias.data() : nullptr, out.data());
    EXPECT_LT(nmse(out.to_host(), want), 1e-12);
  }

  std::vector<std::int32_t> entry_rows(codes.nnz());
  std::vector<std::int64_t> col_offsets(n + 1), col_entry(codes.nnz());
  std::vector<std::int32_t> col_row(codes.nnz());
  reference::sparse_transpose(rows, n, codes.nnz(), codes.view(), entry_rows.data(), col_offsets.data(),
                              col_entry.data(), col_row.data());
  const SparseColumns host_columns{col_offsets.data(), col_entry.data(), col_row.data()};

  std::vector<float> dots(codes.nnz());
  reference::sparse_row_dots(codes.nnz(), d, codes.view(), entry_rows.data(), g.data(), weights.data(), 3e-4f,
                             dots.data());
  Buffer<float> ddots(b(), dots.size());
  b().sparse_row_dots(codes.nnz(), d, dev.view(), dev.entry_rows.data(), dg.data(), dweights.data(), 3e-4f,
                      ddots.data());
  EXPECT_LT(nmse(ddots.to_host(), dots), 1e-12);

  // Both outputs, overwrite then accumulate; then the single-output form.
  std::vector<float> out_a = random_vector(n * d, 20), out_b = random_vector(n * d, 21);
  auto dout_a = upload(b(), out_a), dout_b = upload(b(), out_b);
  for (const bool accumulate : {false, true}) {
    reference::sparse_accumulate_rows(n, d, host_columns, codes.value.data(), g.data(), out_a.data(), coef_b.data(),
                                      xc.data(), out_b.data(), accumulate);
    b().sparse_accumulate_rows(n, d, dev.columns(), dev.value.data(), dg.data(), dout_a.data(), dcoef_b.data(),
                               dxc.data(), dout_b.data(), accumulate);
    EXPECT_LT(nmse(dout_a.to_host(), out_a), 1e-12) << accumulate;
    EXPECT_LT(nmse(dout_b.to_host(), out_b), 1e-12) << accumulate;
  }
  reference::sparse_accumulate_rows(n, d, host_columns, coef_b.data(), g.data(), out_a.data(), nullptr, nullptr,
                                    nullptr, true);
  b().sparse_accumulate_rows(n, d, dev.columns(), dcoef_b.data(), dg.data(), dout_a.data(), nullptr, nullptr, nullptr,
                             true);
  EXPECT_LT(nmse(dout_a.to_host(), out_a), 1e-12);

  std::vector<float> sums = random_vector(n, 22), counts(n);
  auto dsums = upload(b(), sums);
  reference::segment_sums(n, host_columns, coef_b.data(), true, sums.data());
  b().segment_sums(n, dev.columns(), dcoef_b.data(), true, dsums.data());
  EXPECT_LT(nmse(dsums.to_host(), sums), 1e-13);
  reference::segment_counts(n, col_offsets.data(), counts.data());
  Buffer<float> dcounts(b(), n);
  b().segment_counts(n, dev.col_offsets.data(), dcounts.data());
  EXPECT_EQ(dcounts.to_host(), counts);
}

// The fused decoder/residual/code-gradient sequence gives the bits of its three ops run apart.
TEST_P(SaeOps, FusedDecodeResidualRowDotsEqualsTheOpsInOrder) {
  const std::int64_t rows = 97, n = 211, d = 83;
  const auto codes = random_codes(rows, n, 0.06, 31);
  const auto weights = random_vector(n * d, 32), bias = random_vector(d, 33), x = random_vector(rows * d, 34);
  const auto xc = random_vector(rows * d, 35);
  const auto dev = to_device(b(), codes);
  auto dweights = upload(b(), weights), dbias = upload(b(), bias), dx = upload(b(), x), dxc = upload(b(), xc);
  Buffer<float> xhat(b(), rows * d), grad(b(), rows * d), stats(b(), rows * 3), dots(b(), codes.nnz());
  b().sparse_decode(rows, d, dev.view(), dweights.data(), dbias.data(), xhat.data());
  b().residual(rows, d, xhat.data(), dx.data(), dxc.data(), 0.375f, grad.data(), stats.data());
  b().sparse_row_dots(codes.nnz(), d, dev.view(), dev.entry_rows.data(), grad.data(), dweights.data(), 2e-3f,
                      dots.data());
  Buffer<float> fxhat(b(), rows * d), fgrad(b(), rows * d), fstats(b(), rows * 3), fdots(b(), codes.nnz());
  b().decode_residual_row_dots(rows, d, codes.nnz(), dev.view(), dev.entry_rows.data(), dweights.data(), dbias.data(),
                               dx.data(), dxc.data(), 0.375f, 2e-3f, fxhat.data(), fgrad.data(), fstats.data(),
                               fdots.data());
  EXPECT_EQ(fxhat.to_host(), xhat.to_host());
  EXPECT_EQ(fgrad.to_host(), grad.to_host());
  EXPECT_EQ(fstats.to_host(), stats.to_host());
  EXPECT_EQ(fdots.to_host(), dots.to_host());
}

TEST_P(SaeOps, AdamMatchesReference) {
  const std::int64_t count = 40000;
  const auto grad = random_vector(count, 23), param0 = random_vector(count, 24), m0 = random_vector(count, 25, -0.1f, 0.1f);
  auto v0 = random_vector(count, 26, 0.0f, 0.01f);
  const AdamParams p{1e-4f / 0.271f, 0.99f, 0.1f, 0.01f, 1e-8f, std::sqrt(0.049f), 0.5f};
  auto param = param0, m = m0, v = v0;
  reference::adam_update(count, p, grad.data(), param.data(), m.data(), v.data());
  auto dgrad = upload(b(), grad), dparam = upload(b(), param0), dm = upload(b(), m0), dv = upload(b(), v0);
  b().adam_update(count, p, dgrad.data(), dparam.data(), dm.data(), dv.data());
  EXPECT_LT(nmse(dm.to_host(), m), 1e-13);
  EXPECT_LT(nmse(dv.to_host(), v), 1e-13);
  // The update is what matters: compare it, not the parameter it is added to.
  const auto got = dparam.to_host();
  std::vector<float> want_step(count), got_step(count);
  for (std::int64_t i = 0; i < count; ++i) {
    want_step[i] = param[i] - param0[i];
    got_step[i] = got[i] - param0[i];
  }
  EXPECT_LT(nmse(got_step, want_step), 1e-10);
}

TEST_P(SaeOps, DecoderRowConstraintMatchesReference) {
  const std::int64_t rows = 157, cols = 67;
  const auto w = random_vector(rows * cols, 27), g0 = random_vector(rows * cols, 28);
  auto g = g0;
  reference::project_out_rows(rows, cols, w.data(), g.data());
  auto dw = upload(b(), w), dg = upload(b(), g0);
  b().project_out_rows(rows, cols, dw.data(), dg.data());
  const auto projected = dg.to_host();
  EXPECT_LT(nmse(projected, g), 1e-13);
  for (std::int64_t r = 0; r < rows; ++r) {  // orthogonal to the row afterwards
    double dot = 0.0, norm = 0.0;
    for (std::int64_t c = 0; c < cols; ++c) {
      dot += static_cast<double>(projected[r * cols + c]) * w[r * cols + c];
      norm += static_cast<double>(g0[r * cols + c]) * g0[r * cols + c];
    }
    EXPECT_LT(std::abs(dot), 1e-5 * std::sqrt(norm));
  }

  // All rows, then only listed rows (the others stay bit-identical).
  auto want = w;
  reference::normalize_rows(rows, cols, nullptr, 0.0f, want.data());
  b().normalize_rows(rows, cols, nullptr, 0.0f, dw.data());
  EXPECT_LT(nmse(dw.to_host(), want), 1e-14);
  const std::vector<std::int32_t> list = {3, 150, 7};
  auto scaled = w;
  for (auto& x : scaled) x *= 3.0f;
  want = scaled;
  reference::normalize_rows(3, cols, list.data(), 1e-6f, want.data());
  auto dscaled = upload(b(), scaled);
  auto dlist = upload(b(), list);
  b().normalize_rows(3, cols, dlist.data(), 1e-6f, dscaled.data());
  const auto normalized = dscaled.to_host();
  EXPECT_LT(nmse(normalized, want), 1e-14);
  for (std::int64_t c = 0; c < cols; ++c) EXPECT_EQ(normalized[c], scaled[c]);  // row 0 was not listed
}

TEST_P(SaeOps, UniformRowsAreAddressedByPresentedIndex) {
  // A stored 40×30 matrix that files present transposed (30×40): element (r, c) takes draw c·40 + r.
  const std::int64_t rows = 40, cols = 30;
  const UniformRowsParams p{0x1234u, 5, 0.25, 1, rows};
  std::vector<float> want(rows * cols);
  reference::uniform_rows(rows, cols, nullptr, p, want.data());
  Buffer<float> out(b(), want.size());
  b().uniform_rows(rows, cols, nullptr, p, out.data());
  EXPECT_EQ(out.to_host(), want);
  for (float x : want) {
    EXPECT_GE(x, -0.25f);
    EXPECT_LT(x, 0.25f);
  }
  // Redrawing listed rows reproduces exactly those rows.
  const std::vector<std::int32_t> list = {2, 39};
  auto dlist = upload(b(), list);
  Buffer<float> partial(b(), want.size());
  partial.zero();
  b().uniform_rows(2, cols, dlist.data(), p, partial.data());
  const auto got = partial.to_host();
  for (std::int64_t c = 0; c < cols; ++c) {
    EXPECT_EQ(got[2 * cols + c], want[2 * cols + c]);
    EXPECT_EQ(got[39 * cols + c], want[39 * cols + c]);
    EXPECT_EQ(got[1 * cols + c], 0.0f);
  }
}

INSTANTIATE_TEST_SUITE_P(AllBackends, SaeOps, ::testing::Values(DeviceRequest::Cpu, DeviceRequest::Cuda),
                         [](const auto& p) { return p.param == DeviceRequest::Cpu ? "cpu" : "cuda"; });

}  // namespace
}  // namespace coact::backend
