// Non-owning views of row-major matrices. Ownership lives in backend::Buffer or std::vector.
#pragma once

#include <cstddef>
#include <cstdint>

#include "coact/core/hd.h"

namespace coact {

template <class T>
struct MatrixView {
  T* data = nullptr;
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::int64_t stride = 0;  // elements between the starts of consecutive rows (>= cols)

  COACT_HD MatrixView() = default;
  COACT_HD MatrixView(T* d, std::int64_t r, std::int64_t c) : data(d), rows(r), cols(c), stride(c) {}
  COACT_HD MatrixView(T* d, std::int64_t r, std::int64_t c, std::int64_t s) : data(d), rows(r), cols(c), stride(s) {}

  COACT_HD T& operator()(std::int64_t r, std::int64_t c) const { return data[r * stride + c]; }
  COACT_HD T* row(std::int64_t r) const { return data + r * stride; }
  COACT_HD std::int64_t size() const { return rows * cols; }
  COACT_HD operator MatrixView<const T>() const { return {data, rows, cols, stride}; }
  // Rows [first, first + count).
  COACT_HD MatrixView rows_slice(std::int64_t first, std::int64_t count) const {
    return {data + first * stride, count, cols, stride};
  }
};

}  // namespace coact
