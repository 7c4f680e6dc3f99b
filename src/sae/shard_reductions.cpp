#include "shard_reductions.h"

#include <algorithm>
#include <cstring>

#include "coact/core/errors.h"

namespace coact::sae::detail {

std::vector<double> max_over_ranks(dist::MpiComm& comm, const std::vector<double>& mine) {
  // Gathered on rank 0 and broadcast: a handful of values per true feature.
  const auto gathered = comm.gather_bytes(mine.data(), mine.size() * sizeof(double), 0);
  std::vector<double> out = mine;
  if (comm.rank() == 0) {
    COACT_REQUIRE(gathered.size() == mine.size() * sizeof(double) * static_cast<std::size_t>(comm.size()), Error,
                  "max_over_ranks: vectors of different lengths");
    for (int r = 0; r < comm.size(); ++r)
      for (std::size_t i = 0; i < mine.size(); ++i) {
        double v = 0.0;
        std::memcpy(&v, gathered.data() + (static_cast<std::size_t>(r) * mine.size() + i) * sizeof v, sizeof v);
        out[i] = std::max(out[i], v);
      }
  }
  comm.broadcast(out.data(), out.size() * sizeof(double), 0);
  return out;
}

}  // namespace coact::sae::detail
