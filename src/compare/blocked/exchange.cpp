#include "blocked/exchange.h"

#include <algorithm>

namespace coact::compare::blocked {

std::vector<std::uint8_t> gather_bytes(dist::Comm& comm, const std::vector<std::uint8_t>& mine) {
  const int ranks = comm.size();
  if (ranks == 1) return mine;
  std::vector<std::uint64_t> sizes(static_cast<std::size_t>(ranks));
  const std::uint64_t my_size = mine.size();
  comm.allgather(&my_size, sizes.data(), sizeof(std::uint64_t));
  const std::uint64_t longest = *std::max_element(sizes.begin(), sizes.end());
  if (longest == 0) return {};
  std::vector<std::uint8_t> padded(longest, 0);
  std::copy(mine.begin(), mine.end(), padded.begin());
  std::vector<std::uint8_t> all(static_cast<std::size_t>(longest) * static_cast<std::size_t>(ranks));
  comm.allgather(padded.data(), all.data(), longest);
  std::vector<std::uint8_t> out;
  out.reserve(all.size());
  for (int r = 0; r < ranks; ++r) {
    const auto* begin = all.data() + static_cast<std::size_t>(r) * longest;
    out.insert(out.end(), begin, begin + sizes[static_cast<std::size_t>(r)]);
  }
  return out;
}

double min_over_ranks(dist::Comm& comm, double value) {
  std::vector<double> all(static_cast<std::size_t>(comm.size()));
  comm.allgather(&value, all.data(), sizeof(double));
  return *std::min_element(all.begin(), all.end());
}

std::int64_t max_over_ranks(dist::Comm& comm, std::int64_t value) {
  std::vector<std::int64_t> all(static_cast<std::size_t>(comm.size()));
  comm.allgather(&value, all.data(), sizeof(std::int64_t));
  return *std::max_element(all.begin(), all.end());
}

}  // namespace coact::compare::blocked
