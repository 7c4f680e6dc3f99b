// Ground truth for community detection on synthetic data (`coact communities --truth`): a
// synthetic store plants groups of true features that tend to fire together
// (/ground_truth/group). Each SAE feature is mapped to the true feature its decoder row is
// closest to (largest cosine); its planted group is that feature's group when the cosine
// reaches `threshold` and the true feature is grouped, else none. Detected communities are
// then scored on the features that have a planted group: adjusted Rand index and NMI.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/sae/sae.h"

namespace coact::compare {

struct PlantedGroups {
  std::vector<std::int64_t> group;  // per SAE feature: planted group, -1 when none
  std::vector<std::int64_t> truth;  // per SAE feature: its closest true feature
  std::vector<double> cosine;       // ... and the cosine to it
  std::int64_t true_features = 0;
  std::int64_t true_groups = 0;     // distinct groups >= 0 among the true features
  std::int64_t grouped = 0;         // SAE features with a planted group
};

// Reads the store's ground truth (data::read_ground_truth; InputError when absent or when the
// widths differ) and maps the SAE's decoder rows onto the true features (data::nearest_rows).
PlantedGroups planted_groups(const sae::SaeTensors& sae, const std::string& store, double threshold);

struct CommunityScore {
  std::int64_t nodes = 0;               // features scored (those with a planted group)
  std::int64_t planted = 0;             // distinct planted groups among them
  std::int64_t found = 0;               // distinct detected communities among them
  double adjusted_rand = 0, nmi = 0;
};

// Scores `community` (one id per SAE feature) on the features with a planted group.
CommunityScore score_communities(std::span<const std::int64_t> community, const PlantedGroups& planted);

}  // namespace coact::compare
