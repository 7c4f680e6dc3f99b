#include "coact/compare/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>

#include "coact/compare/stability.h"
#include "coact/compare/pair_comparison.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/graph/connected_components.h"
#include "coact/io/directory_output.h"
#include "coact/io/h5.h"
#include "coact/version.h"
#include "html_contexts.h"

namespace coact::compare {

namespace fs = std::filesystem;

namespace {

// ---- small JSON pieces (compact numbers: the data files are the report's bulk) -------------

std::string num(double x) {
  if (!std::isfinite(x)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", x);
  return buf;
}
std::string quote(const std::string& s) { return json_quote(s); }

template <class T>
std::string typed_array(const std::vector<T>& v) {
  return quote(base64(v.data(), v.size() * sizeof(T)));
}

// A data file: registers its value under its key when a <script> tag loads it.
std::string registration(const std::string& key, const std::string& json) {
  return str("COACT.register(", quote(key), ",", json, ");\n");
}

// A path stored in compare.h5, as given or beside the comparison file.
std::string resolve_beside(const std::string& stored, const std::string& file) {
  std::error_code ec;
  if (fs::exists(stored, ec)) return stored;
  const fs::path beside = fs::path(file).parent_path() / fs::path(stored).filename();
  return fs::exists(beside, ec) ? beside.string() : stored;
}

std::int64_t block_count(std::int64_t n, std::int64_t block) { return (n + block - 1) / block; }

std::string pair_key(std::int64_t i, std::int64_t j) { return str("pair", i, "_", j); }

struct PairData {
  std::int64_t first = 0, second = 0;
  std::vector<std::int64_t> matching;   // first's feature -> second's
  std::vector<std::int64_t> inverse;    // second's feature -> first's (-1 unmatched)
  std::vector<float> cosine;            // matched decoder cosine, by first's feature
  std::vector<std::uint8_t> shared;
};

struct SaeData {
  GraphSide graph;
  std::vector<std::int64_t> component;       // connected component of each node
  std::vector<std::int64_t> community;       // Louvain, else label propagation, else component
  std::string community_source;
  std::vector<std::int64_t> community_size;
  FeatureContexts contexts;
  LogitEffectsTable effects;  // empty without a model
};

// Strongest neighbours by weight (ties: lower id), at most k.
std::vector<std::int64_t> strongest(const graph::CsrGraph& g, std::int64_t f, int k) {
  const auto nb = g.neighbors(static_cast<graph::NodeId>(f));
  const auto w = g.edge_weights(static_cast<graph::NodeId>(f));
  std::vector<std::size_t> order(nb.size());
  for (std::size_t e = 0; e < order.size(); ++e) order[e] = e;
  const std::size_t keep = std::min(order.size(), static_cast<std::size_t>(std::max(0, k)));
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(), [&](std::size_t a, std::size_t b) {
    return w[a] > w[b] || (w[a] == w[b] && nb[a] < nb[b]);
  });
  std::vector<std::int64_t> out;
  for (std::size_t e = 0; e < keep; ++e) out.push_back(order[e]);
  return out;
}

// One feature's record (the feature page's data).
std::string feature_json(const ComparisonFile& c, std::size_t s, std::int64_t f, const SaeData& sae,
                         const std::vector<PairData>& pairs, const std::optional<Stability>& stability, const HtmlReportOptions& o) {
  const auto u = static_cast<std::size_t>(f);
  const graph::CsrGraph& g = sae.graph.file.graph;
  const NodeStatistics& st = sae.graph.stats;
  std::string j = "{";
  j += str("\"f\":", f, ",\"fr\":", num(st.frequency[u]), ",\"tk\":", sae.graph.file.nodes.topk_count[u], ",\"dg\":", g.degree(static_cast<graph::NodeId>(f)),
           ",\"st\":", num(st.strength[u]), ",\"cl\":", num(st.clustering[u]), ",\"mnd\":", num(st.mean_neighbor_degree[u]),
           ",\"co\":", sae.component[u], ",\"cz\":", num(st.component_size[u]), ",\"cm\":", sae.community[u],
           ",\"cs\":", sae.community_size[static_cast<std::size_t>(sae.community[u])], ",\"kc\":", num(st.core_number[u]),
           ",\"pr\":", num(st.pagerank[u]), ",\"bt\":", num(st.betweenness[u]));
  // Strongest neighbours, and the edges among the feature and them (the graph view).
  const auto nb = g.neighbors(static_cast<graph::NodeId>(f));
  const auto w = g.edge_weights(static_cast<graph::NodeId>(f));
  const auto cnt = g.edge_counts(static_cast<graph::NodeId>(f));
  const auto top = strongest(g, f, o.neighbours);
  std::vector<std::int64_t> ego{f};
  j += ",\"nb\":[";
  for (std::size_t k = 0; k < top.size(); ++k) {
    const auto e = static_cast<std::size_t>(top[k]);
    const auto v = static_cast<std::size_t>(nb[e]);
    ego.push_back(nb[e]);
    j += str(k ? "," : "", "[", nb[e], ",", num(w[e]), ",", cnt[e], ",", num(st.frequency[v]), ",", g.degree(nb[e]), ",",
             sae.community[v], "]");
  }
  j += "],\"eg\":[";
  bool first_edge = true;
  for (std::size_t a = 1; a < ego.size(); ++a)
    for (std::size_t b = a + 1; b < ego.size(); ++b) {
      const auto row = g.neighbors(static_cast<graph::NodeId>(ego[a]));
      if (!std::binary_search(row.begin(), row.end(), static_cast<graph::NodeId>(ego[b]))) continue;
      j += str(first_edge ? "" : ",", "[", a, ",", b, "]");
      first_edge = false;
    }
  // Its match in every other seed.
  j += "],\"m\":[";
  bool first_match = true;
  for (const PairData& p : pairs) {
    std::int64_t other = -1, row = -1, sae_other = -1;
    if (static_cast<std::size_t>(p.first) == s) {
      row = f;
      other = p.matching[u];
      sae_other = p.second;
    } else if (static_cast<std::size_t>(p.second) == s) {
      row = p.inverse[u];
      other = row;
      sae_other = p.first;
    } else {
      continue;
    }
    if (row < 0) continue;
    j += str(first_match ? "" : ",", "[", sae_other, ",", other, ",", num(p.cosine[static_cast<std::size_t>(row)]), ",",
             static_cast<int>(p.shared[static_cast<std::size_t>(row)]), "]");
    first_match = false;
  }
  j += "]";
  if (stability) {
    const SaeStability& x = stability->per_sae[s];
    const std::size_t n = x.mean_matched_cosine.size();
    j += str(",\"sc\":", x.stable_count[stability->threshold_index * n + u], ",\"nsc\":", x.null_stable_count[stability->threshold_index * n + u],
             ",\"mc\":", num(x.mean_matched_cosine[u]));
  }
  const auto& contexts = sae.contexts.per_feature[u];
  if (!contexts.empty()) {
    j += ",\"cx\":[";
    for (std::size_t k = 0; k < contexts.size(); ++k) {
      const TokenContext& t = contexts[k];
      j += str(k ? "," : "", "[", num(t.activation), ",", t.row, ",", quote(t.before), ",", quote(t.token), ",", quote(t.after), "]");
    }
    j += "]";
  }
  if (!sae.effects.features.empty()) {
    const FeatureLogitEffects& e = sae.effects.features[u];
    const auto list = [](const std::vector<TokenEffect>& v) {
      std::string out = "[";
      for (std::size_t k = 0; k < v.size(); ++k) out += str(k ? "," : "", "[", v[k].token, ",", quote(v[k].text), ",", num(v[k].effect), "]");
      return out + "]";
    };
    j += str(",\"le\":[", list(e.promoted), ",", list(e.suppressed), "]");
  }
  (void)c;
  return j + "}";
}

std::string sae_file(std::size_t s, const std::string& what) { return str("sae", s, "_", what, ".js"); }

}  // namespace

std::string base64(const void* data, std::size_t bytes) {
  static const char* const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out;
  out.reserve((bytes + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes; i += 3) {
    const unsigned v = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  if (i < bytes) {
    const unsigned v = (p[i] << 16) | (i + 1 < bytes ? p[i + 1] << 8 : 0);
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < bytes ? alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::vector<std::string> html_report_files(const ComparisonFile& c, const HtmlReportOptions& o) {
  std::vector<std::string> files;
  for (const auto& [name, text] : html_report_assets())
    if (name != "index.html") files.push_back(name);
  files.push_back("study.js");
  for (const auto& p : c.pairs) files.push_back(pair_key(p.first, p.second) + ".js");
  for (std::size_t s = 0; s < c.saes.size(); ++s) {
    for (const char* what : {"columns", "stats", "communities", "search"}) files.push_back(sae_file(s, what));
    for (std::int64_t b = 0; b < block_count(c.saes[s].n_features, o.block_features); ++b) files.push_back(sae_file(s, str("b", b)));
  }
  files.push_back("index.html");  // last: it refers to the others
  return files;
}

std::vector<std::string> write_html_report(backend::Backend& compute, const ComparisonFile& c, const std::string& markdown,
                                           const HtmlReportOptions& o) {
  if (o.block_features < 1) throw UsageError(str("html block size must be at least 1 (got ", o.block_features, ")"));
  io::DirectoryOutput output(o.flag, o.directory, html_report_files(c, o), o.force);
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream stream(output.temporary_path(name), std::ios::binary);
    stream << text;
    stream.close();
    if (!stream) throw IoError(str(output.final_path(name), ": writing failed"));
  };
  for (const auto& [name, text] : html_report_assets()) write(name, text);

  const std::optional<Stability> stability = read_stability(c.path);
  const io::File file = io::File::open(c.path);
  std::vector<PairData> pairs;
  for (const auto& p : c.pairs) {
    PairData d;
    d.first = p.first;
    d.second = p.second;
    const std::string group = str("/pairs/", p.first, "_", p.second);
    d.matching = file.dataset(group + "/matching").read_all<std::int64_t>();
    d.cosine = file.dataset(group + "/decoder_cosine").read_all<float>();
    d.shared = file.dataset(group + "/shared").read_all<std::uint8_t>();
    d.inverse.assign(static_cast<std::size_t>(c.saes[static_cast<std::size_t>(p.second)].n_features), -1);
    for (std::size_t i = 0; i < d.matching.size(); ++i) d.inverse[static_cast<std::size_t>(d.matching[i])] = static_cast<std::int64_t>(i);
    pairs.push_back(std::move(d));
  }

  // The study page: the tables (report.md's text), the SAEs, the pairs' values, stability.
  {
    std::string j = str("{\"version\":", quote(COACT_VERSION_STRING), ",\"compare\":", quote(c.path), ",\"threshold\":", num(c.threshold),
                        ",\"match\":", quote(c.match), ",\"block\":", o.block_features, ",\"markdown\":", quote(markdown), ",\"saes\":[");
    for (std::size_t s = 0; s < c.saes.size(); ++s) j += str(s ? "," : "", "{\"seed\":", c.saes[s].seed, ",\"n\":", c.saes[s].n_features,
                                                           ",\"path\":", quote(c.saes[s].path), ",\"graph\":", quote(c.saes[s].graph_path), "}");
    j += "],\"pairs\":[";
    for (std::size_t k = 0; k < c.pairs.size(); ++k) {
      const auto& p = c.pairs[k];
      j += str(k ? "," : "", "{\"first\":", p.first, ",\"second\":", p.second, ",\"values\":{");
      bool first = true;
      for (const auto& field : pair_summary_fields()) {
        const std::optional<double> value = field.get(p.values);
        if (!value) continue;
        j += str(first ? "" : ",", quote(field.name), ":", num(*value));
        first = false;
      }
      j += "}}";
    }
    j += "]";
    if (stability) {
      j += str(",\"stability\":{\"threshold\":", num(stability->threshold), ",\"thresholds\":[");
      for (std::size_t t = 0; t < stability->thresholds.size(); ++t) j += str(t ? "," : "", num(stability->thresholds[t]));
      j += "],\"pairs\":[";
      for (std::size_t k = 0; k < stability->pairs.size(); ++k) {
        const PairStability& p = stability->pairs[k];
        const auto list = [](const std::vector<double>& v) {
          std::string out = "[";
          for (std::size_t t = 0; t < v.size(); ++t) out += str(t ? "," : "", num(v[t]));
          return out + "]";
        };
        j += str(k ? "," : "", "{\"first\":", p.first, ",\"second\":", p.second, ",\"pw_mcc\":", num(p.pw_mcc), ",\"null_pw_mcc\":",
                 num(p.null_pw_mcc), ",\"shared\":", list(p.shared_fraction_at), ",\"best\":", list(p.max_fraction_at),
                 ",\"null_best\":", list(p.null_max_fraction_at), "}");
      }
      j += "],\"counts\":[";
      for (std::size_t s = 0; s < stability->per_sae.size(); ++s) {
        const SaeStability& x = stability->per_sae[s];
        const std::size_t t = stability->threshold_index, count = stability->saes;
        std::string real = "[", null = "[", best = "[";
        for (std::size_t k = 0; k < count; ++k) {
          real += str(k ? "," : "", x.count_histogram[t * count + k]);
          null += str(k ? "," : "", x.null_count_histogram[t * count + k]);
          best += str(k ? "," : "", x.best_count_histogram[t * count + k]);
        }
        j += str(s ? "," : "", "{\"real\":", real, "],\"null\":", null, "],\"best\":", best, "]}");
      }
      j += "]}";
    }
    write("study.js", registration("study", j + "}"));
  }

  // Per pair: the matching and its cosines (the matched-pair charts), with the null's best
  // cosines when the comparison stored stability.
  for (std::size_t k = 0; k < pairs.size(); ++k) {
    const PairData& p = pairs[k];
    std::vector<std::int32_t> matching(p.matching.begin(), p.matching.end());
    std::string j = str("{\"matching\":", typed_array(matching), ",\"cosine\":", typed_array(p.cosine));
    if (stability) {
      j += str(",\"best\":", typed_array(stability->pairs[k].max_cosine_first), ",\"null_best\":",
               typed_array(stability->pairs[k].null_max_cosine_first));
    }
    write(pair_key(p.first, p.second) + ".js", registration(pair_key(p.first, p.second), j + "}"));
  }

  for (std::size_t s = 0; s < c.saes.size(); ++s) {
    const ComparedSae& compared = c.saes[s];
    const std::string graph_path = resolve_beside(compared.graph_path, c.path);
    log::info("html report: seed ", compared.seed, " (", graph_path, ")");
    SaeData sae;
    sae.graph = load_graph_statistics(graph_path);
    const std::int64_t n = sae.graph.file.graph.num_nodes();
    if (n != compared.n_features)
      throw InputError(str(graph_path, ": has ", n, " nodes but ", c.path, " says its SAE has ", compared.n_features, " features"));
    {
      graph::ConnectedComponents components(sae.graph.file.graph);
      components.run();
      sae.component = components.component_of();
    }
    const graph::NodeAnalytics& analytics = sae.graph.file.analytics;
    if (analytics.community_louvain.present) {
      sae.community_source = "Louvain";
      sae.community = analytics.community_louvain.values;
    } else if (analytics.community_label_propagation.present) {
      sae.community_source = "label propagation";
      sae.community = analytics.community_label_propagation.values;
    } else {
      sae.community_source = "connected component";
      sae.community = sae.component;
    }
    sae.community_size.assign(static_cast<std::size_t>(n), 0);
    for (const auto m : sae.community) ++sae.community_size[static_cast<std::size_t>(m)];
    sae.contexts = feature_contexts(compute, resolve_beside(compared.path, c.path), n, o.scan_tokens, o.contexts, o.context_tokens,
                                    o.tokenizer);
    if (!sae.contexts.note.empty()) log::info("html report: seed ", compared.seed, ": ", sae.contexts.note);
    std::string effects_note = "no model was given";
    if (o.logit_effects) {
      const std::string sae_path = resolve_beside(compared.path, c.path);
      std::error_code ec;
      if (fs::exists(sae_path, ec)) {
        sae.effects = o.logit_effects(sae_path);
        if (static_cast<std::int64_t>(sae.effects.features.size()) != n)
          throw Error(str("logit effects of ", sae.effects.features.size(), " features for ", n));
        effects_note.clear();
      } else {
        effects_note = str("the SAE file ", sae_path, " was not found");
      }
    }

    // Columns for the overview charts (every feature, typed arrays).
    {
      const NodeStatistics& st = sae.graph.stats;
      std::vector<std::int32_t> degree(static_cast<std::size_t>(n)), community(static_cast<std::size_t>(n));
      std::vector<float> frequency(static_cast<std::size_t>(n)), strength(static_cast<std::size_t>(n));
      std::vector<std::int8_t> stable(static_cast<std::size_t>(n), -1);
      for (std::int64_t f = 0; f < n; ++f) {
        const auto u = static_cast<std::size_t>(f);
        degree[u] = static_cast<std::int32_t>(st.degree[u]);
        frequency[u] = static_cast<float>(st.frequency[u]);
        strength[u] = static_cast<float>(st.strength[u]);
        community[u] = static_cast<std::int32_t>(sae.community[u]);
        if (stability)
          stable[u] = static_cast<std::int8_t>(stability->per_sae[s].stable_count[stability->threshold_index * static_cast<std::size_t>(n) + u]);
      }
      std::string j = str("{\"n\":", n, ",\"edges\":", sae.graph.file.graph.num_edges(), ",\"community_source\":", quote(sae.community_source),
                          ",\"contexts_note\":", quote(sae.contexts.note), ",\"contexts_rows\":", sae.contexts.rows,
                          ",\"tokens\":", sae.contexts.tokens ? "true" : "false", ",\"effects_hook\":", quote(sae.effects.hook),
                          ",\"effects_note\":", quote(effects_note), ",\"degree\":", typed_array(degree),
                          ",\"frequency\":", typed_array(frequency), ",\"strength\":", typed_array(strength),
                          ",\"community\":", typed_array(community));
      if (stability) j += str(",\"stable\":", typed_array(stable));
      write(sae_file(s, "columns"), registration(str("sae", s, "_columns"), j + "}"));
    }
    // Standardised statistics (nearest nodes by statistics, computed in the page).
    {
      std::vector<float> z(sae.graph.standardised.begin(), sae.graph.standardised.end());
      write(sae_file(s, "stats"), registration(str("sae", s, "_stats"), str("{\"columns\":", kStatisticCount, ",\"z\":", typed_array(z), "}")));
    }
    // Communities: size and their members of highest degree (the graph view's community list).
    {
      std::map<std::int64_t, std::vector<std::int64_t>> members;
      for (std::int64_t f = 0; f < n; ++f)
        if (sae.community_size[static_cast<std::size_t>(sae.community[static_cast<std::size_t>(f)])] >= 2)
          members[sae.community[static_cast<std::size_t>(f)]].push_back(f);
      std::string j = "{";
      bool first = true;
      for (auto& [id, list] : members) {
        const std::size_t keep = std::min<std::size_t>(list.size(), 24);
        std::partial_sort(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(keep), list.end(), [&](std::int64_t a, std::int64_t b) {
          const double da = sae.graph.stats.degree[static_cast<std::size_t>(a)], db = sae.graph.stats.degree[static_cast<std::size_t>(b)];
          return da > db || (da == db && a < b);
        });
        j += str(first ? "" : ",", "\"", id, "\":[", list.size(), ",[");
        for (std::size_t k = 0; k < keep; ++k) j += str(k ? "," : "", list[k]);
        j += "]]";
        first = false;
      }
      write(sae_file(s, "communities"), registration(str("sae", s, "_communities"), j + "}"));
    }
    // Search: each feature's activating tokens (best context first), for search by text.
    {
      std::string j = "[";
      for (std::int64_t f = 0; f < n; ++f) {
        const auto& list = sae.contexts.per_feature[static_cast<std::size_t>(f)];
        std::vector<std::string> seen;
        for (const auto& t : list)
          if (sae.contexts.tokens && std::find(seen.begin(), seen.end(), t.token) == seen.end()) seen.push_back(t.token);
        j += f ? "," : "";
        if (seen.empty()) {
          j += "0";
        } else {
          std::string joined;
          for (const auto& t : seen) joined += (joined.empty() ? "" : "\x1f") + t;
          j += quote(joined);
        }
      }
      write(sae_file(s, "search"), registration(str("sae", s, "_search"), j + "]"));
    }
    // Feature records, one file per block.
    for (std::int64_t b = 0; b < block_count(n, o.block_features); ++b) {
      std::string j = "[";
      for (std::int64_t f = b * o.block_features; f < std::min(n, (b + 1) * o.block_features); ++f)
        j += (f > b * o.block_features ? ",\n" : "") + feature_json(c, s, f, sae, pairs, stability, o);
      write(sae_file(s, str("b", b)), registration(str("sae", s, "_b", b), j + "]"));
    }
  }
  output.commit();
  return output.files();
}

}  // namespace coact::compare
