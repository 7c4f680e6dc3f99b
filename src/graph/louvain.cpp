#include "coact/graph/louvain.h"

#include <omp.h>

#include <algorithm>
#include <numeric>

#include "coact/core/errors.h"
#include "coact/core/rng.h"
#include "coact/graph/label_propagation.h"
#include "coact/graph/modularity.h"

namespace coact::graph {

namespace {

// Below this many adjacency entries a level is aggregated on one thread: starting a team costs
// more than the loop (and much more when other processes hold the cores).
constexpr std::size_t kParallelEntries = std::size_t{1} << 17;

// One level's graph: symmetric adjacency without self loops, plus each node's self-loop weight
// (the weight of the edges inside the community it stands for, each edge once) and its
// weighted degree k(u) = Σ adjacency + 2 · self loop.
struct LevelGraph {
  std::int64_t n = 0;
  std::vector<std::int64_t> indptr;
  std::vector<std::int32_t> adjacent;
  std::vector<double> weight;
  std::vector<double> self_loop;
  std::vector<double> degree;
};

LevelGraph first_level(const CsrGraph& graph, EdgeWeighting weighting) {
  LevelGraph g;
  g.n = graph.num_nodes();
  g.indptr = graph.indptr();
  g.adjacent = graph.indices();
  g.weight.resize(g.adjacent.size());
  g.self_loop.assign(static_cast<std::size_t>(g.n), 0.0);
  g.degree.assign(static_cast<std::size_t>(g.n), 0.0);
#pragma omp parallel for schedule(dynamic, 256) if (g.adjacent.size() > kParallelEntries)
  for (std::int64_t u = 0; u < g.n; ++u) {
    double k = 0.0;
    for (std::int64_t e = g.indptr[static_cast<std::size_t>(u)]; e < g.indptr[static_cast<std::size_t>(u) + 1]; ++e) {
      const double w = edge_value(graph, e, weighting);
      g.weight[static_cast<std::size_t>(e)] = w;
      k += w;
    }
    g.degree[static_cast<std::size_t>(u)] = k;
  }
  return g;
}

// Local moving on one level. `community` (one per level node) is the output, numbered 0, 1, ...
// in order of first appearance; returns the number of moves.
// `community` may come in holding a starting partition (ids < n); empty means every node alone.
std::int64_t move_nodes(const LevelGraph& g, double twice_m, double resolution, std::uint64_t seed,
                        std::vector<std::int32_t>& community) {
  const std::int64_t n = g.n;
  std::vector<double> total(static_cast<std::size_t>(n), 0.0);  // tot(c): summed degree of c's members
  if (community.empty()) {
    community.resize(static_cast<std::size_t>(n));
    std::iota(community.begin(), community.end(), 0);
  }
  for (std::int64_t u = 0; u < n; ++u) total[static_cast<std::size_t>(community[static_cast<std::size_t>(u)])] += g.degree[static_cast<std::size_t>(u)];

  // Seeded visiting order (Fisher–Yates); nodes re-enter at the back when a neighbour moves.
  std::vector<std::int32_t> queue(static_cast<std::size_t>(n));
  std::iota(queue.begin(), queue.end(), 0);
  CounterRng rng(seed, 0);
  for (std::int64_t i = n - 1; i > 0; --i)
    std::swap(queue[static_cast<std::size_t>(i)], queue[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(i) + 1))]);
  std::vector<std::uint8_t> queued(static_cast<std::size_t>(n), 1);
  std::size_t head = 0, size = queue.size();  // a ring buffer of capacity n over `queue`

  std::vector<double> to_community(static_cast<std::size_t>(n), 0.0);  // w(u, c)
  std::vector<std::int32_t> touched;
  std::int64_t moves = 0;
  const double scale = resolution / twice_m;
  while (size > 0) {
    const std::int32_t u = queue[head];
    head = head + 1 == queue.size() ? 0 : head + 1;
    --size;
    queued[static_cast<std::size_t>(u)] = 0;
    const std::int64_t first = g.indptr[static_cast<std::size_t>(u)], last = g.indptr[static_cast<std::size_t>(u) + 1];
    if (first == last) continue;
    const std::int32_t current = community[static_cast<std::size_t>(u)];
    for (std::int64_t e = first; e < last; ++e) {
      const std::int32_t c = community[static_cast<std::size_t>(g.adjacent[static_cast<std::size_t>(e)])];
      if (to_community[static_cast<std::size_t>(c)] == 0.0) touched.push_back(c);
      to_community[static_cast<std::size_t>(c)] += g.weight[static_cast<std::size_t>(e)];
    }
    const double k = g.degree[static_cast<std::size_t>(u)];
    total[static_cast<std::size_t>(current)] -= k;
    std::int32_t best = current;
    double best_gain = to_community[static_cast<std::size_t>(current)] - scale * total[static_cast<std::size_t>(current)] * k;
    // A move must win by more than rounding, so the level always ends.
    const double margin = 1e-12 * k;
    for (const std::int32_t c : touched) {
      const double gain = to_community[static_cast<std::size_t>(c)] - scale * total[static_cast<std::size_t>(c)] * k;
      if (gain > best_gain + margin) {
        best_gain = gain;
        best = c;
      }
      to_community[static_cast<std::size_t>(c)] = 0.0;
    }
    // Zero-weight edges leave a touched entry at 0 and may list a community twice: harmless.
    touched.clear();
    total[static_cast<std::size_t>(best)] += k;
    if (best != current) {
      community[static_cast<std::size_t>(u)] = best;
      ++moves;
      for (std::int64_t e = first; e < last; ++e) {
        const std::int32_t v = g.adjacent[static_cast<std::size_t>(e)];
        if (!queued[static_cast<std::size_t>(v)] && community[static_cast<std::size_t>(v)] != best) {
          queued[static_cast<std::size_t>(v)] = 1;
          std::size_t tail = head + size;
          if (tail >= queue.size()) tail -= queue.size();
          queue[tail] = v;
          ++size;
        }
      }
    }
  }
  // Renumber 0, 1, ... by first appearance.
  std::vector<std::int32_t> id(static_cast<std::size_t>(n), -1);
  std::int32_t next = 0;
  for (auto& c : community) {
    std::int32_t& slot = id[static_cast<std::size_t>(c)];
    if (slot < 0) slot = next++;
    c = slot;
  }
  return moves;
}

// Modularity of a level partition on the level graph (the sum networkx evaluates between levels).
double level_modularity(const LevelGraph& g, const std::vector<std::int32_t>& community, std::int64_t communities,
                        double twice_m, double resolution) {
  std::vector<double> inside(static_cast<std::size_t>(communities), 0.0), total(static_cast<std::size_t>(communities), 0.0);
  for (std::int64_t u = 0; u < g.n; ++u) {
    const std::int32_t c = community[static_cast<std::size_t>(u)];
    total[static_cast<std::size_t>(c)] += g.degree[static_cast<std::size_t>(u)];
    double in = g.self_loop[static_cast<std::size_t>(u)];
    for (std::int64_t e = g.indptr[static_cast<std::size_t>(u)]; e < g.indptr[static_cast<std::size_t>(u) + 1]; ++e)
      if (community[static_cast<std::size_t>(g.adjacent[static_cast<std::size_t>(e)])] == c) in += 0.5 * g.weight[static_cast<std::size_t>(e)];
    inside[static_cast<std::size_t>(c)] += in;
  }
  double q = 0.0;
  for (std::int64_t c = 0; c < communities; ++c) {
    const double share = total[static_cast<std::size_t>(c)] / twice_m;
    q += 2.0 * inside[static_cast<std::size_t>(c)] / twice_m - resolution * share * share;
  }
  return q;
}

// The graph whose nodes are the communities of `g`.
LevelGraph aggregate(const LevelGraph& g, const std::vector<std::int32_t>& community, std::int64_t communities) {
  // Members of each community, contiguous.
  std::vector<std::int64_t> start(static_cast<std::size_t>(communities) + 1, 0);
  for (const auto c : community) ++start[static_cast<std::size_t>(c) + 1];
  std::partial_sum(start.begin(), start.end(), start.begin());
  std::vector<std::int32_t> members(static_cast<std::size_t>(g.n));
  {
    std::vector<std::int64_t> next(start.begin(), start.end() - 1);
    for (std::int64_t u = 0; u < g.n; ++u)
      members[static_cast<std::size_t>(next[static_cast<std::size_t>(community[static_cast<std::size_t>(u)])]++)] = static_cast<std::int32_t>(u);
  }
  LevelGraph out;
  out.n = communities;
  out.self_loop.assign(static_cast<std::size_t>(communities), 0.0);
  out.degree.assign(static_cast<std::size_t>(communities), 0.0);
  std::vector<std::vector<std::int32_t>> rows(static_cast<std::size_t>(communities));
  std::vector<std::vector<double>> row_weights(static_cast<std::size_t>(communities));
#pragma omp parallel if (g.adjacent.size() > kParallelEntries)
  {
    std::vector<double> sum(static_cast<std::size_t>(communities), 0.0);
    std::vector<std::uint8_t> seen(static_cast<std::size_t>(communities), 0);
    std::vector<std::int32_t> touched;
#pragma omp for schedule(dynamic, 16)
    for (std::int64_t c = 0; c < communities; ++c) {
      double inside = 0.0, degree = 0.0;
      for (std::int64_t i = start[static_cast<std::size_t>(c)]; i < start[static_cast<std::size_t>(c) + 1]; ++i) {
        const std::int32_t u = members[static_cast<std::size_t>(i)];
        inside += g.self_loop[static_cast<std::size_t>(u)];
        degree += g.degree[static_cast<std::size_t>(u)];
        for (std::int64_t e = g.indptr[static_cast<std::size_t>(u)]; e < g.indptr[static_cast<std::size_t>(u) + 1]; ++e) {
          const std::int32_t d = community[static_cast<std::size_t>(g.adjacent[static_cast<std::size_t>(e)])];
          const double w = g.weight[static_cast<std::size_t>(e)];
          if (d == c) {
            inside += 0.5 * w;  // seen from both ends
          } else {
            if (!seen[static_cast<std::size_t>(d)]) {
              seen[static_cast<std::size_t>(d)] = 1;
              touched.push_back(d);
            }
            sum[static_cast<std::size_t>(d)] += w;
          }
        }
      }
      std::sort(touched.begin(), touched.end());
      auto& row = rows[static_cast<std::size_t>(c)];
      auto& weights = row_weights[static_cast<std::size_t>(c)];
      row.assign(touched.begin(), touched.end());
      weights.resize(touched.size());
      for (std::size_t i = 0; i < touched.size(); ++i) {
        weights[i] = sum[static_cast<std::size_t>(touched[i])];
        sum[static_cast<std::size_t>(touched[i])] = 0.0;
        seen[static_cast<std::size_t>(touched[i])] = 0;
      }
      touched.clear();
      out.self_loop[static_cast<std::size_t>(c)] = inside;
      out.degree[static_cast<std::size_t>(c)] = degree;
    }
  }
  out.indptr.assign(static_cast<std::size_t>(communities) + 1, 0);
  for (std::int64_t c = 0; c < communities; ++c)
    out.indptr[static_cast<std::size_t>(c) + 1] = out.indptr[static_cast<std::size_t>(c)] + static_cast<std::int64_t>(rows[static_cast<std::size_t>(c)].size());
  out.adjacent.resize(static_cast<std::size_t>(out.indptr.back()));
  out.weight.resize(out.adjacent.size());
  for (std::int64_t c = 0; c < communities; ++c) {
    std::copy(rows[static_cast<std::size_t>(c)].begin(), rows[static_cast<std::size_t>(c)].end(),
              out.adjacent.begin() + out.indptr[static_cast<std::size_t>(c)]);
    std::copy(row_weights[static_cast<std::size_t>(c)].begin(), row_weights[static_cast<std::size_t>(c)].end(),
              out.weight.begin() + out.indptr[static_cast<std::size_t>(c)]);
  }
  return out;
}

}  // namespace

Louvain::Louvain(const CsrGraph& graph, const LouvainOptions& options) : graph_(graph), options_(options) {
  if (!(options.resolution > 0)) throw UsageError(str("Louvain: resolution must be positive (got ", options.resolution, ")"));
  if (!(options.threshold >= 0)) throw UsageError(str("Louvain: threshold must be >= 0 (got ", options.threshold, ")"));
  if (options.max_levels < 1) throw UsageError(str("Louvain: max levels must be at least 1 (got ", options.max_levels, ")"));
  if (options.trials < 0) throw UsageError(str("Louvain: trials must be >= 0 (0: by graph size; got ", options.trials, ")"));
  if (options.refinement_rounds < 0)
    throw UsageError(str("Louvain: refinement rounds must be >= 0 (got ", options.refinement_rounds, ")"));
  require_non_negative_weights(graph, options.weighting, "Louvain");
}

namespace {

// Levels of moving and aggregation from `assignment` (the level-0 partition to start from, ids
// < n): the level-0 nodes are moved starting from it, then its communities become the nodes of
// the next level, and so on while a level raises modularity by more than the threshold.
// Updates `assignment`; returns the moves made and counts the levels kept.
std::int64_t run_levels(const LevelGraph& level0, double twice_m, const LouvainOptions& options, std::uint64_t seed,
                        std::vector<std::int64_t>& assignment, std::int64_t& levels) {
  std::int64_t moves = 0;
  std::vector<std::int32_t> community(assignment.begin(), assignment.end());
  std::int64_t communities = level0.n;
  double previous = level_modularity(level0, community, communities, twice_m, options.resolution);
  std::vector<std::int32_t> alone(static_cast<std::size_t>(level0.n));
  std::iota(alone.begin(), alone.end(), 0);
  if (std::equal(community.begin(), community.end(), alone.begin())) community.clear();
  LevelGraph aggregated;
  const LevelGraph* level = &level0;
  for (std::int64_t depth = 0; depth < options.max_levels; ++depth) {
    const std::int64_t moved = move_nodes(*level, twice_m, options.resolution, mix_seed(seed, static_cast<std::uint64_t>(depth)), community);
    if (moved == 0 && depth > 0) break;  // nothing changed: the previous level's partition stands
    moves += moved;
    communities = community.empty() ? 0 : *std::max_element(community.begin(), community.end()) + 1;
    if (depth == 0) {
      for (std::size_t u = 0; u < assignment.size(); ++u) assignment[u] = community[u];
    } else {
      for (auto& a : assignment) a = community[static_cast<std::size_t>(a)];
    }
    const double current = level_modularity(*level, community, communities, twice_m, options.resolution);
    if (moved > 0) ++levels;
    if (moved == 0 || current - previous <= options.threshold) break;
    previous = current;
    aggregated = aggregate(*level, community, communities);
    level = &aggregated;
    community.clear();
  }
  return moves;
}

}  // namespace

void Louvain::run() {
  const std::int64_t n = graph_.num_nodes();
  const LevelGraph level0 = first_level(graph_, options_.weighting);
  double twice_m = 0.0;
  for (const double k : level0.degree) twice_m += k;
  levels_ = 0;
  moves_ = 0;
  std::vector<std::int64_t> best(static_cast<std::size_t>(n));
  std::iota(best.begin(), best.end(), 0);
  double best_modularity = -1e300;
  trials_ = options_.trials;
  if (trials_ == 0) {
    const auto work = static_cast<double>(n) + static_cast<double>(level0.adjacent.size());
    trials_ = std::clamp(static_cast<std::int64_t>(4194304.0 / std::max(work, 1.0)), std::int64_t{2}, std::int64_t{32});
  }
  for (std::int64_t trial = 0; trial < trials_ && twice_m > 0.0; ++trial) {
    const std::uint64_t seed = trial == 0 ? options_.seed : mix_seed(options_.seed, 0x7B1A1000u + static_cast<std::uint64_t>(trial));
    std::vector<std::int64_t> assignment(static_cast<std::size_t>(n));
    std::iota(assignment.begin(), assignment.end(), 0);
    std::int64_t levels = 0;
    std::int64_t moves = run_levels(level0, twice_m, options_, seed, assignment, levels);
    // Refinement: restart the levels from the partition found (level-0 nodes may now sit
    // better elsewhere); each round can only raise modularity, and stops when it does not.
    for (std::int64_t round = 0; round < options_.refinement_rounds; ++round) {
      const std::int64_t moved = run_levels(level0, twice_m, options_, mix_seed(seed, 0x5EF1u + static_cast<std::uint64_t>(round)), assignment, levels);
      moves += moved;
      if (moved == 0) break;
    }
    std::vector<std::int64_t> labels = assignment;
    renumber_by_first_node(labels);
    const double q = graph::modularity(graph_, labels, options_.weighting, options_.resolution);
    moves_ += moves;
    if (q > best_modularity) {
      best_modularity = q;
      best = std::move(labels);
      levels_ = levels;
    }
  }
  community_ = std::move(best);
  communities_ = renumber_by_first_node(community_);
  modularity_ = graph::modularity(graph_, community_, options_.weighting, options_.resolution);
  mark_finished();
}

const std::vector<std::int64_t>& Louvain::community_of() const {
  assure_finished("Louvain");
  return community_;
}

std::int64_t Louvain::num_communities() const {
  assure_finished("Louvain");
  return communities_;
}

double Louvain::modularity() const {
  assure_finished("Louvain");
  return modularity_;
}

std::int64_t Louvain::levels() const {
  assure_finished("Louvain");
  return levels_;
}

std::int64_t Louvain::trials() const {
  assure_finished("Louvain");
  return trials_;
}

std::int64_t Louvain::moves() const {
  assure_finished("Louvain");
  return moves_;
}

}  // namespace coact::graph
