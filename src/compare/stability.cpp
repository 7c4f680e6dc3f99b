#include "coact/compare/stability.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/memory.h"
#include "coact/core/rng.h"
#include "coact/core/strings.h"
#include "coact/graph/connected_components.h"
#include "coact/io/h5.h"

namespace coact::compare {

namespace {

// NumPy's median (mean of the two middle values for an even count); NaN when empty.
double median(std::vector<double> v) {
  if (v.empty()) return std::nan("");
  const std::size_t h = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h), v.end());
  const double upper = v[h];
  if (v.size() % 2) return upper;
  return 0.5 * (upper + *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(h)));
}

double mean(const std::vector<float>& v) {
  double s = 0;
  for (float x : v) s += x;
  return v.empty() ? std::nan("") : s / static_cast<double>(v.size());
}

// The per-SAE view of a pair: feature f of `sae` ↦ its matched cosine in the pair's other SAE
// (NaN when unmatched), and its best cosines there (real and null).
struct Side {
  std::size_t other = 0;
  std::vector<float> matched, best, null_best;
};

StabilityGroup describe_group(const std::string& name, const std::vector<std::int64_t>& members, const GraphSide& graph,
                              const std::vector<std::int64_t>& community, const std::vector<std::int64_t>& community_size) {
  StabilityGroup g;
  g.name = name;
  g.features = static_cast<std::int64_t>(members.size());
  std::vector<double> frequency, degree, sizes;
  double clustering = 0;
  std::int64_t isolated = 0;
  std::set<std::int64_t> seen;
  for (const std::int64_t f : members) {
    const auto u = static_cast<std::size_t>(f);
    frequency.push_back(graph.stats.frequency[u]);
    degree.push_back(graph.stats.degree[u]);
    clustering += graph.stats.clustering[u];
    isolated += graph.stats.degree[u] == 0;
    sizes.push_back(static_cast<double>(community_size[static_cast<std::size_t>(community[u])]));
    seen.insert(community[u]);
  }
  const double count = static_cast<double>(members.size());
  g.median_frequency = median(frequency);
  g.median_degree = median(degree);
  g.mean_clustering = members.empty() ? std::nan("") : clustering / count;
  g.isolated_fraction = members.empty() ? std::nan("") : static_cast<double>(isolated) / count;
  g.median_community_size = median(sizes);
  g.communities = static_cast<std::int64_t>(seen.size());
  return g;
}

}  // namespace

std::vector<float> random_rotation(std::int64_t d, std::uint64_t seed) {
  std::vector<double> q(static_cast<std::size_t>(d * d));
  for (std::int64_t r = 0; r < d; ++r) {
    CounterRng rng(mix_seed(seed, 0x5AB1), static_cast<std::uint64_t>(r));
    for (std::int64_t c = 0; c < d; ++c) q[static_cast<std::size_t>(r * d + c)] = rng.normal();
  }
  // Gram–Schmidt on the rows, each row projected twice against the earlier ones (classical
  // Gram–Schmidt with reorthogonalisation: as accurate as the modified form, and parallel):
  // Haar-distributed rows of an orthogonal matrix (the QR of a Gaussian matrix with R's
  // diagonal positive, which Gram–Schmidt gives directly).
  std::vector<double> dots(static_cast<std::size_t>(d));
  for (std::int64_t r = 0; r < d; ++r) {
    double* row = q.data() + r * d;
    for (int pass = 0; pass < 2; ++pass) {
      // Eight earlier rows at a time: eight independent sums, each over c in order as one
      // scalar dot would take it (the same doubles), which the core runs side by side.
#pragma omp parallel for schedule(static)
      for (std::int64_t p0 = 0; p0 < r; p0 += 8) {
        const std::int64_t rows = std::min<std::int64_t>(8, r - p0);
        double dot[8] = {};
        const double* prev = q.data() + p0 * d;
        if (rows == 8) {
          for (std::int64_t c = 0; c < d; ++c)
            for (int k = 0; k < 8; ++k) dot[k] += row[c] * prev[k * d + c];
        } else {
          for (std::int64_t c = 0; c < d; ++c)
            for (std::int64_t k = 0; k < rows; ++k) dot[k] += row[c] * prev[k * d + c];
        }
        for (std::int64_t k = 0; k < rows; ++k) dots[static_cast<std::size_t>(p0 + k)] = dot[k];
      }
      // Σ_p dots[p]·q[p][c] for every c, p in order from 0 as a scalar sum would take it, but
      // reading the earlier rows along their length: slices of 256 columns down the rows.
#pragma omp parallel for schedule(static)
      for (std::int64_t c0 = 0; c0 < d; c0 += 256) {
        const std::int64_t end = std::min(d, c0 + 256);
        double sum[256] = {};
        for (std::int64_t p = 0; p < r; ++p) {
          const double weight = dots[static_cast<std::size_t>(p)];
          const double* prev = q.data() + p * d;
#pragma omp simd
          for (std::int64_t c = c0; c < end; ++c) sum[c - c0] += weight * prev[c];
        }
        for (std::int64_t c = c0; c < end; ++c) row[c] -= sum[c - c0];
      }
    }
    double norm = 0;
    for (std::int64_t c = 0; c < d; ++c) norm += row[c] * row[c];
    norm = std::sqrt(norm);
    if (!(norm > 1e-12)) throw NumericError(str("random_rotation: a degenerate Gaussian draw at row ", r, " (d = ", d, ")"));
    for (std::int64_t c = 0; c < d; ++c) row[c] /= norm;
  }
  return std::vector<float>(q.begin(), q.end());
}

std::optional<Stability> feature_stability(const std::vector<SaeSide>& saes, const std::vector<GraphSide>& graphs,
                                           const std::vector<PairResult>& pairs, const std::vector<PairNearest>& nearest,
                                           const StabilityOptions& o) {
  const std::size_t count = saes.size();
  for (const auto& s : saes)
    if (s.d_in != saes.front().d_in) return std::nullopt;
  COACT_REQUIRE(nearest.size() == pairs.size(), Error, "feature_stability: nearest cosines of ", nearest.size(), " pairs for ",
                pairs.size(), " pairs");
  Stability st;
  st.thresholds = o.thresholds;
  st.thresholds.push_back(o.threshold);
  std::sort(st.thresholds.begin(), st.thresholds.end());
  st.thresholds.erase(std::unique(st.thresholds.begin(), st.thresholds.end()), st.thresholds.end());
  st.threshold = o.threshold;
  st.threshold_index = static_cast<std::size_t>(std::find(st.thresholds.begin(), st.thresholds.end(), o.threshold) - st.thresholds.begin());
  st.null_seed = o.null_seed;
  st.saes = count;
  const std::size_t t_count = st.thresholds.size();
  const double nan = std::nan("");
  st.pw_mcc.assign(count * count, nan);
  st.null_pw_mcc.assign(count * count, nan);

  std::vector<std::vector<Side>> sides(count);
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const PairResult& r = pairs[k];
    const SaeSide& a = saes[r.first];
    const SaeSide& b = saes[r.second];
    const std::int64_t n1 = a.n_features, n2 = b.n_features;
    const PairNearest& found = nearest[k];
    for (const NearestCosines* c : {&found.decoder, &found.null})
      COACT_REQUIRE(static_cast<std::int64_t>(c->row.size()) == n1 && static_cast<std::int64_t>(c->column.size()) == n2, Error,
                    "feature_stability: nearest cosines of ", c->row.size(), " and ", c->column.size(), " features for seeds ",
                    a.seed, " and ", b.seed);
    PairStability p;
    p.first = r.first;
    p.second = r.second;
    p.max_cosine_first = found.decoder.row;
    p.max_cosine_second = found.decoder.column;
    p.null_max_cosine_first = found.null.row;
    p.null_max_cosine_second = found.null.column;
    p.pw_mcc = 0.5 * (mean(p.max_cosine_first) + mean(p.max_cosine_second));
    p.null_pw_mcc = 0.5 * (mean(p.null_max_cosine_first) + mean(p.null_max_cosine_second));
    st.pw_mcc[r.first * count + r.second] = st.pw_mcc[r.second * count + r.first] = p.pw_mcc;
    st.null_pw_mcc[r.first * count + r.second] = st.null_pw_mcc[r.second * count + r.first] = p.null_pw_mcc;
    // Matched cosines seen from each side (the second side through the inverse matching).
    Side first{r.second, r.decoder_cosine, p.max_cosine_first, p.null_max_cosine_first};
    Side second{r.first, std::vector<float>(static_cast<std::size_t>(n2), std::nanf("")), p.max_cosine_second, p.null_max_cosine_second};
    for (std::size_t i = 0; i < r.matching.size(); ++i) second.matched[static_cast<std::size_t>(r.matching[i])] = r.decoder_cosine[i];
    for (const double t : st.thresholds) {
      std::int64_t shared = 0, best = 0, null_best = 0;
      for (const float c : r.decoder_cosine) shared += c >= t;
      for (const auto* v : {&p.max_cosine_first, &p.max_cosine_second})
        for (const float c : *v) best += c >= t;
      for (const auto* v : {&p.null_max_cosine_first, &p.null_max_cosine_second})
        for (const float c : *v) null_best += c >= t;
      p.shared_fraction_at.push_back(n1 ? static_cast<double>(shared) / static_cast<double>(n1) : nan);
      p.max_fraction_at.push_back(n1 + n2 ? static_cast<double>(best) / static_cast<double>(n1 + n2) : nan);
      p.null_max_fraction_at.push_back(n1 + n2 ? static_cast<double>(null_best) / static_cast<double>(n1 + n2) : nan);
    }
    sides[r.first].push_back(std::move(first));
    sides[r.second].push_back(std::move(second));
    st.pairs.push_back(std::move(p));
  }

  for (std::size_t s = 0; s < count; ++s) {
    const std::int64_t n = saes[s].n_features;
    SaeStability out;
    out.stable_count.assign(t_count * static_cast<std::size_t>(n), 0);
    out.null_stable_count.assign(t_count * static_cast<std::size_t>(n), 0);
    out.mean_matched_cosine.assign(static_cast<std::size_t>(n), std::nanf(""));
    out.count_histogram.assign(t_count * count, 0);
    out.null_count_histogram.assign(t_count * count, 0);
    out.best_count_histogram.assign(t_count * count, 0);
    std::vector<std::int32_t> best_count(t_count);
    for (std::int64_t f = 0; f < n; ++f) {
      const auto u = static_cast<std::size_t>(f);
      double sum = 0;
      int matched = 0;
      std::fill(best_count.begin(), best_count.end(), 0);
      for (const Side& side : sides[s]) {
        const float c = side.matched[u];
        if (!std::isnan(c)) {
          sum += c;
          ++matched;
        }
        for (std::size_t t = 0; t < t_count; ++t) {
          out.stable_count[t * static_cast<std::size_t>(n) + u] += c >= st.thresholds[t];
          out.null_stable_count[t * static_cast<std::size_t>(n) + u] += side.null_best[u] >= st.thresholds[t];
          best_count[t] += side.best[u] >= st.thresholds[t];
        }
      }
      if (matched) out.mean_matched_cosine[u] = static_cast<float>(sum / matched);
      for (std::size_t t = 0; t < t_count; ++t) {
        ++out.count_histogram[t * count + static_cast<std::size_t>(out.stable_count[t * static_cast<std::size_t>(n) + u])];
        ++out.null_count_histogram[t * count + static_cast<std::size_t>(out.null_stable_count[t * static_cast<std::size_t>(n) + u])];
        ++out.best_count_histogram[t * count + static_cast<std::size_t>(best_count[t])];
      }
    }
    // Groups at the study's threshold, compared on node statistics and community size.
    const GraphSide& graph = graphs[s];
    const graph::NodeAnalytics& analytics = graph.file.analytics;
    std::vector<std::int64_t> community;
    if (analytics.community_louvain.present) {
      out.community_source = "louvain";
      community = analytics.community_louvain.values;
    } else if (analytics.community_label_propagation.present) {
      out.community_source = "label_propagation";
      community = analytics.community_label_propagation.values;
    } else {
      out.community_source = "component";
      graph::ConnectedComponents components(graph.file.graph);
      components.run();
      community = components.component_of();
    }
    std::vector<std::int64_t> community_size(static_cast<std::size_t>(n), 0);
    for (const auto c : community) ++community_size[static_cast<std::size_t>(c)];
    std::vector<std::int64_t> stable, partial, unstable;
    const std::int32_t others = static_cast<std::int32_t>(count - 1);
    for (std::int64_t f = 0; f < n; ++f) {
      const std::int32_t c = out.stable_count[st.threshold_index * static_cast<std::size_t>(n) + static_cast<std::size_t>(f)];
      (c == others ? stable : c == 0 ? unstable : partial).push_back(f);
    }
    out.groups.push_back(describe_group("stable", stable, graph, community, community_size));
    if (count > 2) out.groups.push_back(describe_group("partial", partial, graph, community, community_size));
    out.groups.push_back(describe_group("unstable", unstable, graph, community, community_size));
    st.per_sae.push_back(std::move(out));
  }
  return st;
}

namespace {

const char* const kGroupFields[] = {"features", "median_frequency", "median_degree", "mean_clustering",
                                    "isolated_fraction", "median_community_size", "communities"};

double group_field(const StabilityGroup& g, std::size_t k) {
  switch (k) {
    case 0: return static_cast<double>(g.features);
    case 1: return g.median_frequency;
    case 2: return g.median_degree;
    case 3: return g.mean_clustering;
    case 4: return g.isolated_fraction;
    case 5: return g.median_community_size;
    default: return static_cast<double>(g.communities);
  }
}

void set_group_field(StabilityGroup& g, std::size_t k, double v) {
  switch (k) {
    case 0: g.features = static_cast<std::int64_t>(v); break;
    case 1: g.median_frequency = v; break;
    case 2: g.median_degree = v; break;
    case 3: g.mean_clustering = v; break;
    case 4: g.isolated_fraction = v; break;
    case 5: g.median_community_size = v; break;
    default: g.communities = static_cast<std::int64_t>(v); break;
  }
}

}  // namespace

void write_stability(io::File& f, const Stability& st) {
  const auto s = static_cast<std::int64_t>(st.saes), t = static_cast<std::int64_t>(st.thresholds.size());
  f.create_group("/stability");
  auto a = f.group_attributes("/stability");
  a.set("threshold", st.threshold);
  a.set("null_seed", static_cast<std::int64_t>(st.null_seed));
  a.set("null", "random rotation of the second SAE's decoder (Haar); counts and fractions by best cosine");
  f.write_dataset<double>("/stability/thresholds", st.thresholds, {t});
  f.write_dataset<double>("/stability/pw_mcc", st.pw_mcc, {s, s});
  f.write_dataset<double>("/stability/null_pw_mcc", st.null_pw_mcc, {s, s});
  f.create_group("/stability/pairs");
  for (const PairStability& p : st.pairs) {
    const std::string g = str("/stability/pairs/", p.first, "_", p.second);
    f.create_group(g);
    const auto n1 = static_cast<std::int64_t>(p.max_cosine_first.size()), n2 = static_cast<std::int64_t>(p.max_cosine_second.size());
    f.write_dataset<float>(g + "/max_cosine_first", p.max_cosine_first, {n1});
    f.write_dataset<float>(g + "/max_cosine_second", p.max_cosine_second, {n2});
    f.write_dataset<float>(g + "/null_max_cosine_first", p.null_max_cosine_first, {n1});
    f.write_dataset<float>(g + "/null_max_cosine_second", p.null_max_cosine_second, {n2});
    f.write_dataset<double>(g + "/shared_fraction_at", p.shared_fraction_at, {t});
    f.write_dataset<double>(g + "/max_fraction_at", p.max_fraction_at, {t});
    f.write_dataset<double>(g + "/null_max_fraction_at", p.null_max_fraction_at, {t});
    auto ga = f.group_attributes(g);
    ga.set("first", static_cast<std::int64_t>(p.first));
    ga.set("second", static_cast<std::int64_t>(p.second));
    ga.set("pw_mcc", p.pw_mcc);
    ga.set("null_pw_mcc", p.null_pw_mcc);
  }
  f.create_group("/stability/saes");
  for (std::size_t i = 0; i < st.per_sae.size(); ++i) {
    const SaeStability& x = st.per_sae[i];
    const std::string g = str("/stability/saes/", i);
    f.create_group(g);
    const auto n = static_cast<std::int64_t>(x.mean_matched_cosine.size());
    f.write_dataset<std::int32_t>(g + "/stable_count", x.stable_count, {t, n});
    f.write_dataset<std::int32_t>(g + "/null_stable_count", x.null_stable_count, {t, n});
    f.write_dataset<float>(g + "/mean_matched_cosine", x.mean_matched_cosine, {n});
    f.write_dataset<std::int64_t>(g + "/count_histogram", x.count_histogram, {t, s});
    f.write_dataset<std::int64_t>(g + "/null_count_histogram", x.null_count_histogram, {t, s});
    f.write_dataset<std::int64_t>(g + "/best_count_histogram", x.best_count_histogram, {t, s});
    std::vector<double> groups;
    std::vector<std::string> names;
    for (const auto& grp : x.groups)
      for (std::size_t k = 0; k < std::size(kGroupFields); ++k) groups.push_back(group_field(grp, k));
    f.write_dataset<double>(g + "/groups", groups, {static_cast<std::int64_t>(x.groups.size()), static_cast<std::int64_t>(std::size(kGroupFields))});
    auto ga = f.group_attributes(g);
    ga.set("community_source", x.community_source);
    std::string group_names, field_names;
    for (const auto& grp : x.groups) group_names += (group_names.empty() ? "" : ",") + grp.name;
    for (const char* k : kGroupFields) field_names += (field_names.empty() ? "" : ",") + std::string(k);
    ga.set("group_names", group_names);
    ga.set("group_fields", field_names);
  }
}

std::optional<Stability> read_stability(const std::string& path) {
  const io::File f = io::File::open(path);
  if (!f.has("/stability")) return std::nullopt;
  Stability st;
  const auto a = f.group_attributes("/stability");
  st.threshold = a.get_double("threshold");
  st.null_seed = static_cast<std::uint64_t>(a.get_int("null_seed"));
  st.thresholds = f.dataset("/stability/thresholds").read_all<double>();
  st.pw_mcc = f.dataset("/stability/pw_mcc").read_all<double>();
  st.null_pw_mcc = f.dataset("/stability/null_pw_mcc").read_all<double>();
  st.saes = static_cast<std::size_t>(std::llround(std::sqrt(static_cast<double>(st.pw_mcc.size()))));
  const auto it = std::find(st.thresholds.begin(), st.thresholds.end(), st.threshold);
  if (it == st.thresholds.end()) throw InputError(str(path, ": /stability threshold ", st.threshold, " is not among /stability/thresholds"));
  st.threshold_index = static_cast<std::size_t>(it - st.thresholds.begin());
  const std::size_t t = st.thresholds.size();
  for (std::size_t i = 0; i < st.saes; ++i)
    for (std::size_t j = i + 1; j < st.saes; ++j) {
      const std::string g = str("/stability/pairs/", i, "_", j);
      if (!f.has(g)) throw InputError(str(path, ": missing group ", g));
      PairStability p;
      p.first = i;
      p.second = j;
      p.max_cosine_first = f.dataset(g + "/max_cosine_first").read_all<float>();
      p.max_cosine_second = f.dataset(g + "/max_cosine_second").read_all<float>();
      p.null_max_cosine_first = f.dataset(g + "/null_max_cosine_first").read_all<float>();
      p.null_max_cosine_second = f.dataset(g + "/null_max_cosine_second").read_all<float>();
      p.shared_fraction_at = f.dataset(g + "/shared_fraction_at").read_all<double>();
      p.max_fraction_at = f.dataset(g + "/max_fraction_at").read_all<double>();
      p.null_max_fraction_at = f.dataset(g + "/null_max_fraction_at").read_all<double>();
      if (p.shared_fraction_at.size() != t || p.max_fraction_at.size() != t || p.null_max_fraction_at.size() != t)
        throw InputError(str(path, ": ", g, " has fractions of another length than /stability/thresholds (", t, ")"));
      const auto ga = f.group_attributes(g);
      p.pw_mcc = ga.get_double("pw_mcc");
      p.null_pw_mcc = ga.get_double("null_pw_mcc");
      st.pairs.push_back(std::move(p));
    }
  for (std::size_t i = 0; i < st.saes; ++i) {
    const std::string g = str("/stability/saes/", i);
    SaeStability x;
    x.stable_count = f.dataset(g + "/stable_count").read_all<std::int32_t>();
    x.null_stable_count = f.dataset(g + "/null_stable_count").read_all<std::int32_t>();
    x.mean_matched_cosine = f.dataset(g + "/mean_matched_cosine").read_all<float>();
    x.count_histogram = f.dataset(g + "/count_histogram").read_all<std::int64_t>();
    x.null_count_histogram = f.dataset(g + "/null_count_histogram").read_all<std::int64_t>();
    x.best_count_histogram = f.dataset(g + "/best_count_histogram").read_all<std::int64_t>();
    if (x.stable_count.size() != t * x.mean_matched_cosine.size() || x.count_histogram.size() != t * st.saes ||
        x.null_count_histogram.size() != t * st.saes || x.best_count_histogram.size() != t * st.saes)
      throw InputError(str(path, ": ", g, " datasets disagree with /stability/thresholds (", t, ") and the SAE count (", st.saes, ")"));
    const auto ga = f.group_attributes(g);
    x.community_source = ga.get_string("community_source");
    const auto names = split(ga.get_string("group_names"), ',');
    const auto values = f.dataset(g + "/groups").read_all<double>();
    if (values.size() != names.size() * std::size(kGroupFields))
      throw InputError(str(path, ": ", g, "/groups has ", values.size(), " values for ", names.size(), " groups"));
    for (std::size_t k = 0; k < names.size(); ++k) {
      StabilityGroup grp;
      grp.name = names[k];
      for (std::size_t c = 0; c < std::size(kGroupFields); ++c) set_group_field(grp, c, values[k * std::size(kGroupFields) + c]);
      x.groups.push_back(std::move(grp));
    }
    st.per_sae.push_back(std::move(x));
  }
  return st;
}

}  // namespace coact::compare
