#include "search_helpers.h"

#include <algorithm>

#include "blocked/exchange.h"
#include "coact/compare/blocked_matching.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::compare {
namespace {

// What the root tells the other ranks before each search (or that there are no more).
struct Job {
  std::int64_t search = 0;  // 0: released
  std::int64_t stats1 = 0, stats2 = 0, queries = 0, target = 0;  // lengths of the arrays that follow
  std::int64_t columns = 0;
};

template <class T>
void broadcast_vector(dist::Comm& comm, std::vector<T>& values, std::int64_t length) {
  values.resize(static_cast<std::size_t>(length));
  comm.broadcast(std::span<T>(values), 0);
}

}  // namespace

std::vector<double> SearchHelpers::share_of(std::span<const double> stats1, std::span<const double> stats2,
                                            std::span<const std::int64_t> queries, std::span<const std::int64_t> target,
                                            int columns) {
  const RowShare share = row_share(static_cast<std::int64_t>(queries.size()), comm_.rank(), comm_.size());
  // The record: a status (1: ranked, kFailed: not), then one rank per query of the share, so
  // that the root finds every rank's record at the same place either way.
  std::vector<double> record(static_cast<std::size_t>(1 + share.count()), 1.0);
  try {
    const std::vector<double> ranks = global_ranks(
        stats1, stats2, queries.subspan(static_cast<std::size_t>(share.begin), static_cast<std::size_t>(share.count())), target,
        columns);
    std::copy(ranks.begin(), ranks.end(), record.begin() + 1);
  } catch (const std::exception&) {
    record.front() = kFailed;
  }
  return record;
}

std::vector<double> SearchHelpers::gathered(const std::vector<double>& mine, std::int64_t count) {
  blocked::BytePacker packed;
  packed.put_all(std::span<const double>(mine));
  const std::vector<std::uint8_t> all = blocked::gather_bytes(comm_, packed.bytes());
  std::vector<double> ranks;
  ranks.reserve(static_cast<std::size_t>(count));
  blocked::ByteReader reader(all);
  int failed = -1;
  for (int r = 0; r < comm_.size(); ++r) {
    if (reader.get<double>() != 1.0 && failed < 0) failed = r;
    const RowShare share = row_share(count, r, comm_.size());
    for (std::int64_t q = 0; q < share.count(); ++q) ranks.push_back(reader.get<double>());
  }
  // Only the root throws, after the collective: the others go on serving until it releases them.
  if (failed >= 0 && comm_.is_root()) {
    throw Error(str("Q2 global search: rank ", failed, " could not rank its ", row_share(count, failed, comm_.size()).count(),
                    " queries"));
  }
  return ranks;
}

std::vector<double> SearchHelpers::ranks(std::span<const double> stats1, std::span<const double> stats2,
                                         std::span<const std::int64_t> queries, std::span<const std::int64_t> target,
                                         int columns) {
  COACT_REQUIRE(comm_.is_root() && !released_, Error, "SearchHelpers::ranks: called on rank ", comm_.rank(),
                released_ ? " after release" : "");
  if (comm_.size() == 1) return global_ranks(stats1, stats2, queries, target, columns);
  // Copies the root sends from (a broadcast's buffer is not const; a few MiB at n 131,072),
  // made before the job is announced: from then on nothing on the root throws before the
  // gather, so the ranks stay in step.
  std::vector<double> s1(stats1.begin(), stats1.end()), s2(stats2.begin(), stats2.end());
  std::vector<std::int64_t> q(queries.begin(), queries.end()), t(target.begin(), target.end());
  const Job job{1, static_cast<std::int64_t>(s1.size()), static_cast<std::int64_t>(s2.size()),
                static_cast<std::int64_t>(q.size()), static_cast<std::int64_t>(t.size()), columns};
  comm_.broadcast_value(job, 0);
  comm_.broadcast(std::span<double>(s1), 0);
  comm_.broadcast(std::span<double>(s2), 0);
  comm_.broadcast(std::span<std::int64_t>(q), 0);
  comm_.broadcast(std::span<std::int64_t>(t), 0);
  return gathered(share_of(stats1, stats2, queries, target, columns), job.queries);
}

void SearchHelpers::release() noexcept {
  if (released_ || comm_.size() == 1 || !comm_.is_root()) return;
  released_ = true;
  comm_.broadcast_value(Job{}, 0);
}

void SearchHelpers::serve() {
  if (comm_.is_root() || comm_.size() == 1) return;
  std::vector<double> s1, s2;
  std::vector<std::int64_t> q, t;
  for (;;) {
    const Job job = comm_.broadcast_value(Job{}, 0);
    if (job.search == 0) return;
    broadcast_vector(comm_, s1, job.stats1);
    broadcast_vector(comm_, s2, job.stats2);
    broadcast_vector(comm_, q, job.queries);
    broadcast_vector(comm_, t, job.target);
    gathered(share_of(s1, s2, q, t, static_cast<int>(job.columns)), job.queries);
  }
}

}  // namespace coact::compare
