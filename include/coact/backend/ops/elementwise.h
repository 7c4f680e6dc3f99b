// Element-wise arithmetic shared by every backend: one functor per op, called with the flat
// index of the element it produces. cpu runs it in an OpenMP loop, cuda in a grid. Ops over a
// rows×cols matrix with a per-column vector also take (row, column): the cpu runs rows in
// parallel with a plain column loop it vectorises, where a flat index costs a division each.
#pragma once

#include <cstdint>

#include "coact/core/hd.h"

namespace coact::backend::ops {

struct Axpy {
  float alpha;
  const float* x;
  float* y;
  COACT_HD void operator()(std::int64_t i) const { y[i] += alpha * x[i]; }
};

struct Fill {
  float value;
  float* x;
  COACT_HD void operator()(std::int64_t i) const { x[i] = value; }
};

struct BiasRelu {
  std::int64_t cols;
  const float* bias;
  const float* in;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    const std::int64_t i = r * cols + c;
    const float v = in[i] + bias[c];
    out[i] = v > 0.0f ? v : 0.0f;
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

struct AddRowVector {
  std::int64_t cols;
  float alpha;
  const float* v;
  const float* in;
  float* out;
  COACT_HD void operator()(std::int64_t r, std::int64_t c) const {
    const std::int64_t i = r * cols + c;
    out[i] = in[i] + alpha * v[c];
  }
  COACT_HD void operator()(std::int64_t i) const { (*this)(i / cols, i % cols); }
};

// The ReLU backward of the SAE encoder with its L1 term: where the code is active the gradient
// of the pre-activation is dL/dz + λ (d|z|/dz = 1 for z > 0); elsewhere it is zero.
struct ReluBackward {
  float l1;
  const float* dz;
  float* z_dpre;
  COACT_HD void operator()(std::int64_t i) const { z_dpre[i] = z_dpre[i] > 0.0f ? dz[i] + l1 : 0.0f; }
};

}  // namespace coact::backend::ops
