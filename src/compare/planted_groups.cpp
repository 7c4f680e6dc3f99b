#include "coact/compare/planted_groups.h"

#include <algorithm>
#include <set>

#include "coact/compare/cosine_cost.h"
#include "coact/core/errors.h"
#include "coact/graph/partition_agreement.h"
#include "coact/io/h5.h"

namespace coact::compare {

PlantedGroups planted_groups(backend::Backend& compute, const sae::SaeTensors& sae, const std::string& store,
                             double threshold) {
  const io::File file = io::File::open(store);
  for (const char* name : {"/ground_truth/directions", "/ground_truth/group"})
    if (!file.has(name)) throw InputError(str(store, ": no ", name, " (community scoring needs a synthetic store)"));
  const io::Dataset directions = file.dataset("/ground_truth/directions");
  const io::Shape shape = directions.shape();
  const std::int64_t d = sae.d_in, n = sae.n_features;
  if (shape.size() != 2 || shape[1] != d)
    throw InputError(str(directions.where(), ": shape ", io::shape_string(shape), ", expected [n_true, ", d, "] (the SAE's d_in)"));
  const std::int64_t m = shape[0];
  const std::vector<float> truth = directions.read_all<float>();
  const std::vector<std::int64_t> group = file.dataset("/ground_truth/group").read_all<std::int64_t>();
  if (static_cast<std::int64_t>(group.size()) != m)
    throw InputError(str(store, ":/ground_truth/group: ", group.size(), " entries for ", m, " true features"));

  PlantedGroups out;
  out.true_features = m;
  std::set<std::int64_t> groups;
  for (const auto g : group)
    if (g >= 0) groups.insert(g);
  out.true_groups = static_cast<std::int64_t>(groups.size());
  out.group.assign(static_cast<std::size_t>(n), -1);
  out.truth.assign(static_cast<std::size_t>(n), -1);
  out.cosine.assign(static_cast<std::size_t>(n), -1.0);
  if (m == 0) return out;
  // cost = 1 − cos, one GEMM; a few thousand rows at a time bounds the n × m block.
  const std::int64_t rows = std::max<std::int64_t>(1, std::min<std::int64_t>(n, (std::int64_t{1} << 26) / m));
  for (std::int64_t first = 0; first < n; first += rows) {
    const std::int64_t count = std::min(rows, n - first);
    const std::vector<float> cost = cosine_cost(compute, MatrixView<const float>(sae.w_dec.data() + first * d, count, d),
                                                MatrixView<const float>(truth.data(), m, d));
    for (std::int64_t i = 0; i < count; ++i) {
      const float* row = cost.data() + i * m;
      std::int64_t best = 0;
      for (std::int64_t t = 1; t < m; ++t)
        if (row[t] < row[best]) best = t;
      const auto f = static_cast<std::size_t>(first + i);
      out.truth[f] = best;
      out.cosine[f] = 1.0 - static_cast<double>(row[best]);
      if (out.cosine[f] >= threshold && group[static_cast<std::size_t>(best)] >= 0) {
        out.group[f] = group[static_cast<std::size_t>(best)];
        ++out.grouped;
      }
    }
  }
  return out;
}

CommunityScore score_communities(std::span<const std::int64_t> community, const PlantedGroups& planted) {
  if (community.size() != planted.group.size())
    throw InputError(str("community scoring: ", community.size(), " community ids for ", planted.group.size(), " features"));
  std::vector<std::int64_t> truth, found;
  for (std::size_t f = 0; f < community.size(); ++f)
    if (planted.group[f] >= 0) {
      truth.push_back(planted.group[f]);
      found.push_back(community[f]);
    }
  CommunityScore s;
  s.nodes = static_cast<std::int64_t>(truth.size());
  s.planted = static_cast<std::int64_t>(std::set<std::int64_t>(truth.begin(), truth.end()).size());
  s.found = static_cast<std::int64_t>(std::set<std::int64_t>(found.begin(), found.end()).size());
  if (s.nodes > 0) {
    s.adjusted_rand = graph::adjusted_rand_index(truth, found);
    s.nmi = graph::normalized_mutual_information(truth, found);
  }
  return s;
}

}  // namespace coact::compare
