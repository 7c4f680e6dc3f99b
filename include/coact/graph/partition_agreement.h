// How well a detected partition agrees with planted groups: the adjusted Rand index (Hubert &
// Arabie 1985) and normalized mutual information with the arithmetic-mean normaliser — the
// definitions of sklearn.metrics.adjusted_rand_score and normalized_mutual_info_score (natural
// log; NMI is 1 when both partitions are a single cluster, as sklearn returns).
#pragma once

#include <cstdint>
#include <span>

namespace coact::graph {

// Labels are arbitrary integers, one per item; InputError when the lengths differ.
double adjusted_rand_index(std::span<const std::int64_t> truth, std::span<const std::int64_t> found);
double normalized_mutual_information(std::span<const std::int64_t> truth, std::span<const std::int64_t> found);

}  // namespace coact::graph
