#include "coact/compare/planted_groups.h"

#include <algorithm>
#include <set>

#include "coact/core/errors.h"
#include "coact/data/ground_truth.h"
#include "coact/graph/partition_agreement.h"

namespace coact::compare {

PlantedGroups planted_groups(const sae::SaeTensors& sae, const std::string& store, double threshold) {
  const auto truth = data::read_ground_truth(store);
  if (!truth) throw InputError(str(store, ": no /ground_truth/directions (community scoring needs a synthetic store)"));
  const std::int64_t d = sae.d_in, n = sae.n_features, m = truth->features;
  if (truth->d != d)
    throw InputError(str(truth->file, ":/ground_truth/directions: width ", truth->d, ", expected ", d, " (the SAE's d_in)"));
  PlantedGroups out;
  out.true_features = m;
  std::set<std::int64_t> groups;
  for (const auto g : truth->group)
    if (g >= 0) groups.insert(g);
  out.true_groups = static_cast<std::int64_t>(groups.size());
  out.group.assign(static_cast<std::size_t>(n), -1);
  out.truth.assign(static_cast<std::size_t>(n), -1);
  out.cosine.assign(static_cast<std::size_t>(n), -1.0);
  if (m == 0) return out;
  const data::NearestRows nearest = data::nearest_rows(sae.w_dec, truth->directions, d);
  for (std::size_t f = 0; f < static_cast<std::size_t>(n); ++f) {
    const std::int64_t best = nearest.index[f];
    out.truth[f] = best;
    out.cosine[f] = nearest.cosine[f];
    if (out.cosine[f] >= threshold && truth->group[static_cast<std::size_t>(best)] >= 0) {
      out.group[f] = truth->group[static_cast<std::size_t>(best)];
      ++out.grouped;
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
