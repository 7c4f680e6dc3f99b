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
  std::vector<double> target_norm(static_cast<std::size_t>(m));
  for (std::int64_t j = 0; j < m; ++j) {
    double s = 0;
    for (std::int64_t c = 0; c < d; ++c) s += static_cast<double>(targets[static_cast<std::size_t>(j * d + c)]) * targets[static_cast<std::size_t>(j * d + c)];
    target_norm[static_cast<std::size_t>(j)] = std::max(std::sqrt(s), 1e-12);
  }
  NearestRows out;
  out.index.assign(static_cast<std::size_t>(count), 0);
  out.cosine.assign(static_cast<std::size_t>(count), 0.0);
#pragma omp parallel for schedule(static)
  for (std::int64_t i = 0; i < count; ++i) {
    const float* r = rows.data() + i * d;
    double rn = 0;
    for (std::int64_t c = 0; c < d; ++c) rn += static_cast<double>(r[c]) * r[c];
    rn = std::max(std::sqrt(rn), 1e-12);
    double best = -2;
    std::int64_t best_index = 0;
    for (std::int64_t j = 0; j < m; ++j) {
      const float* t = targets.data() + j * d;
      double dot = 0;
      for (std::int64_t c = 0; c < d; ++c) dot += static_cast<double>(r[c]) * t[c];
      const double cosine = dot / (rn * target_norm[static_cast<std::size_t>(j)]);
      if (cosine > best) {
        best = cosine;
        best_index = j;
      }
    }
    out.index[static_cast<std::size_t>(i)] = best_index;
    out.cosine[static_cast<std::size_t>(i)] = m > 0 ? best : 0.0;
  }
  return out;
}

}  // namespace coact::data
