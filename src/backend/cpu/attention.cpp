// cpu: multi-head attention. One item per (sequence, head), run by one thread: its q, k and v
// are read in place from the packed rows (no copies; a grouped-query head reads its key/value
// head), and the products go to single-threaded OpenBLAS calls (the OpenMP OpenBLAS runs
// serially inside a parallel region). Queries are taken in blocks of kQueryBlock rows, each
// against only the keys up to the last one the block can see, which skips most of the causal
// mask's future: 62.5% of the full products at 128 positions.
#include <cblas.h>

#include <algorithm>
#include <vector>

#include "coact/backend/ops/attention.h"
#include "cpu/cpu_backend.h"

namespace coact::backend::cpu {
namespace {

constexpr std::int64_t kQueryBlock = 32;

void attend_one_head(const AttentionShape& shape, const float* qkv, float* out, std::int64_t sequence,
                     std::int64_t head, std::vector<float>& scores) {
  const std::int64_t T = shape.seq_len, dh = shape.head_dim, width = shape.width(), ld = shape.input_width();
  const std::int64_t kv_head = head / (shape.heads / shape.groups());
  const float* q = qkv + sequence * T * ld + head * dh;
  const float* k = qkv + sequence * T * ld + width + kv_head * dh;
  const float* v = k + shape.kv_width();
  float* o = out + sequence * T * width + head * dh;
  const std::int64_t valid = shape.lengths ? std::clamp<std::int64_t>(shape.lengths[sequence], 0, T) : T;
  // Scores of query t sit in row t of a T×T matrix, so the shared softmax applies as it does on
  // every backend.
  const ops::AttentionSoftmaxRows softmax{shape, 0, scores.data()};
  for (std::int64_t first = 0; first < T; first += kQueryBlock) {
    const std::int64_t rows = std::min(kQueryBlock, T - first);
    const std::int64_t keys = std::min(shape.causal ? first + rows : T, valid);
    if (keys == 0) {
      for (std::int64_t t = first; t < first + rows; ++t) std::fill(o + t * width, o + t * width + dh, 0.0f);
      continue;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<blasint>(rows), static_cast<blasint>(keys),
                static_cast<blasint>(dh), 1.0f, q + first * ld, static_cast<blasint>(ld), k, static_cast<blasint>(ld),
                0.0f, scores.data() + first * T, static_cast<blasint>(T));
    for (std::int64_t t = first; t < first + rows; ++t) softmax.row(scores.data() + t * T, sequence, t);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(rows), static_cast<blasint>(dh),
                static_cast<blasint>(keys), 1.0f, scores.data() + first * T, static_cast<blasint>(T), v,
                static_cast<blasint>(ld), 0.0f, o + first * width, static_cast<blasint>(width));
  }
}

}  // namespace

void CpuBackend::attention(const AttentionShape& shape, const float* qkv, float* out) {
  const std::int64_t items = shape.sequences * shape.heads;
  if (items == 0 || shape.seq_len == 0) return;
#pragma omp parallel if (items > 1)
  {
    std::vector<float> scores(static_cast<std::size_t>(shape.seq_len * shape.seq_len));
#pragma omp for schedule(static)
    for (std::int64_t item = 0; item < items; ++item)
      attend_one_head(shape, qkv, out, item / shape.heads, item % shape.heads, scores);
  }
}

}  // namespace coact::backend::cpu
