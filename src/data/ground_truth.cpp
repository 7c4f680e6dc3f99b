#include "coact/data/ground_truth.h"

#include <algorithm>
#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"

namespace coact::data {

std::optional<GroundTruth> read_ground_truth(const std::string& store) {
  const std::vector<std::string> files = io::expand_store_spec(store);
  const io::File f = io::File::open(files.front());
  if (!f.has("/ground_truth/directions")) return std::nullopt;
  GroundTruth t;
  t.file = files.front();
  const io::Dataset directions = f.dataset("/ground_truth/directions");
  const io::Shape shape = directions.shape();
  if (shape.size() != 2) throw InputError(str(directions.where(), ": shape ", io::shape_string(shape), ", expected [features, d]"));
  t.features = shape[0];
  t.d = shape[1];
  t.directions = directions.read_all<float>();
  if (f.has("/ground_truth/group")) {
    t.group = f.dataset("/ground_truth/group").read_all<std::int64_t>();
    if (static_cast<std::int64_t>(t.group.size()) != t.features)
      throw InputError(str(t.file, ":/ground_truth/group: ", t.group.size(), " entries for ", t.features, " true features"));
  } else {
    t.group.assign(static_cast<std::size_t>(t.features), -1);
  }
  return t;
}

NearestRows nearest_rows(const std::vector<float>& rows, const std::vector<float>& targets, std::int64_t d) {
  const std::int64_t count = static_cast<std::int64_t>(rows.size()) / d, m = static_cast<std::int64_t>(targets.size()) / d;
  // Targets transposed to d × m doubles, so that one row's dots with a block of targets are
  // independent sums the compiler vectorises across the targets, each still accumulated over
  // the coordinates in order (the same sums as one dot at a time). A wide SAE against its true
  // features (2^20 × 4,096 at d 64) went from minutes of latency-bound scalar sums to seconds.
  std::vector<double> transposed(static_cast<std::size_t>(d * m));
  std::vector<double> target_norm(static_cast<std::size_t>(m));
  for (std::int64_t j = 0; j < m; ++j) {
    double s = 0;
    for (std::int64_t c = 0; c < d; ++c) {
      const double t = targets[static_cast<std::size_t>(j * d + c)];
      s += t * t;
      transposed[static_cast<std::size_t>(c * m + j)] = t;
    }
    target_norm[static_cast<std::size_t>(j)] = std::max(std::sqrt(s), 1e-12);
  }
  NearestRows out;
  out.index.assign(static_cast<std::size_t>(count), 0);
  out.cosine.assign(static_cast<std::size_t>(count), 0.0);
  constexpr std::int64_t kRows = 4, kTargets = 256;  // rows sharing each target load; dots held per block
  const std::int64_t blocks = (count + kRows - 1) / kRows;
#pragma omp parallel for schedule(dynamic, 16)
  for (std::int64_t b = 0; b < blocks; ++b) {
    const std::int64_t first = b * kRows, rows_here = std::min(kRows, count - first);
    double norm[kRows], best[kRows];
    std::int64_t best_index[kRows];
    for (std::int64_t q = 0; q < rows_here; ++q) {
      const float* r = rows.data() + (first + q) * d;
      double rn = 0;
      for (std::int64_t c = 0; c < d; ++c) rn += static_cast<double>(r[c]) * r[c];
      norm[q] = std::max(std::sqrt(rn), 1e-12);
      best[q] = -2;
      best_index[q] = 0;
    }
    double dots[kRows][kTargets];
    for (std::int64_t j0 = 0; j0 < m; j0 += kTargets) {
      const std::int64_t width = std::min(kTargets, m - j0);
      for (std::int64_t q = 0; q < rows_here; ++q) std::fill(dots[q], dots[q] + width, 0.0);
      for (std::int64_t c = 0; c < d; ++c) {
        const double* t = transposed.data() + c * m + j0;
        for (std::int64_t q = 0; q < rows_here; ++q) {
          const double x = rows[static_cast<std::size_t>((first + q) * d + c)];
          double* dot = dots[q];
          for (std::int64_t j = 0; j < width; ++j) dot[j] += x * t[j];
        }
      }
      for (std::int64_t q = 0; q < rows_here; ++q)
        for (std::int64_t j = 0; j < width; ++j) {  // ascending: the lower index keeps a tie
          const double cosine = dots[q][j] / (norm[q] * target_norm[static_cast<std::size_t>(j0 + j)]);
          if (cosine > best[q]) {
            best[q] = cosine;
            best_index[q] = j0 + j;
          }
        }
    }
    for (std::int64_t q = 0; q < rows_here; ++q) {
      out.index[static_cast<std::size_t>(first + q)] = best_index[q];
      out.cosine[static_cast<std::size_t>(first + q)] = m > 0 ? best[q] : 0.0;
    }
  }
  return out;
}

}  // namespace coact::data
