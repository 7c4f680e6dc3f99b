#include "coact/compare/feature_card.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <queue>

#include "coact/compare/comparison.h"
#include "coact/compare/pair_comparison.h"
#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/markdown.h"
#include "coact/core/strings.h"
#include "coact/data/tokenizer.h"
#include "coact/io/activation_store.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"

namespace coact::compare {

const options::Table<CardOptions>& card_table() {
  static const options::Table<CardOptions> table = [] {
    using namespace options;
    using O = CardOptions;
    Table<O> t;
    t.add(integer("feature", "feature index").at_least(0).below(2147483648.0, "feature indices are 32-bit"), &O::feature);
    t.add(integer("scan-tokens", "store rows scanned for top-activating tokens").at_least(1).at_most(1e12), &O::scan_tokens);
    t.add(integer("neighbours", "strongest neighbours listed").at_least(0).at_most(100000), &O::neighbours);
    t.add(integer("top", "top tokens and nearest nodes listed").at_least(1).at_most(100000), &O::top);
    return t;
  }();
  return table;
}

namespace fs = std::filesystem;

namespace {

// A path stored in one file, resolved as given or relative to that file's directory.
std::string resolve_beside(const std::string& stored, const std::string& file) {
  std::error_code ec;
  if (fs::exists(stored, ec)) return stored;
  const fs::path beside = fs::path(file).parent_path() / fs::path(stored).filename();
  return fs::exists(beside, ec) ? beside.string() : stored;
}

double distance(const double* a, const double* b) {
  double s = 0;
  for (int c = 0; c < kStatisticCount; ++c) s += (a[c] - b[c]) * (a[c] - b[c]);
  return std::sqrt(s);
}

// The top-activating rows of each of `features` over the first `limit` rows of a store, in one
// pass (best first per feature).
std::vector<std::vector<TopToken>> top_activations(backend::Backend& compute, const sae::Checkpoint& model,
                                                   const io::ActivationStore& store, std::span<const std::int64_t> features,
                                                   std::int64_t limit, int top, std::int64_t* scanned) {
  const std::int64_t d = model.config.d_in, n = model.config.n_features, rows = std::min(limit, store.rows());
  using Entry = std::pair<double, std::int64_t>;  // (activation, row): a min-heap keeps the best `top`
  using Heap = std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>>;
  std::vector<Heap> best(features.size());
  std::vector<std::int64_t> slot(static_cast<std::size_t>(n), -1);  // feature -> its heap
  for (std::size_t i = 0; i < features.size(); ++i) slot[static_cast<std::size_t>(features[i])] = static_cast<std::int64_t>(i);
  const auto offer = [&](std::int64_t i, double value, std::int64_t row) {
    Heap& heap = best[static_cast<std::size_t>(i)];
    heap.push({value, row});
    if (static_cast<int>(heap.size()) > top) heap.pop();
  };
  const std::int64_t block = 4096;
  std::vector<float> x(static_cast<std::size_t>(block * d));
  // A plain ReLU SAE (b_dec subtracted, no input normalisation) needs each feature's column
  // only; any other encoder is run whole (TopK: whether a feature is active depends on the row).
  const bool relu = model.encoder.kind == sae::EncoderKind::Relu && model.encoder.subtract_b_dec &&
                    model.encoder.input_norm == sae::InputNormKind::None;
  std::optional<sae::Sae> sae_model;
  std::optional<sae::Encoder> encoder;
  std::optional<backend::Buffer<float>> device_rows;
  if (!relu) {
    sae_model.emplace(sae::make_sae(compute, model));
    encoder.emplace(*sae_model, block);
    device_rows.emplace(compute, static_cast<std::size_t>(block * d));
  }
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    store.read_rows(first, count, x.data());
    if (relu) {
      // ReLU: z_f = max(0, (x − b_dec) · W_enc[:, f] + b_enc[f]) needs f's column only.
      for (std::size_t i = 0; i < features.size(); ++i) {
        const std::int64_t feature = features[i];
        for (std::int64_t r = 0; r < count; ++r) {
          double pre = model.params.b_enc[static_cast<std::size_t>(feature)];
          for (std::int64_t c = 0; c < d; ++c)
            pre += (static_cast<double>(x[static_cast<std::size_t>(r * d + c)]) - model.params.b_dec[static_cast<std::size_t>(c)]) *
                   model.params.w_enc[static_cast<std::size_t>(c * n + feature)];
          if (pre > 0) offer(static_cast<std::int64_t>(i), pre, first + r);
        }
      }
    } else {
      compute.copy_bytes(device_rows->data(), x.data(), static_cast<std::size_t>(count * d) * sizeof(float),
                         backend::CopyKind::HostToDevice);
      encoder->encode(device_rows->data(), count);
      const sae::SparseCodesHost codes = encoder->to_host();
      for (std::int64_t r = 0; r < count; ++r)
        for (auto e = codes.offsets[static_cast<std::size_t>(r)]; e < codes.offsets[static_cast<std::size_t>(r) + 1]; ++e) {
          const std::int64_t i = slot[static_cast<std::size_t>(codes.index[static_cast<std::size_t>(e)])];
          if (i >= 0) offer(i, codes.value[static_cast<std::size_t>(e)], first + r);
        }
    }
  }
  *scanned = rows;
  std::vector<std::vector<TopToken>> out(features.size());
  for (std::size_t i = 0; i < features.size(); ++i) {
    while (!best[i].empty()) {
      out[i].push_back({best[i].top().second, best[i].top().first, -1, ""});
      best[i].pop();
    }
    std::reverse(out[i].begin(), out[i].end());
  }
  return out;
}

}  // namespace

FeatureCard feature_card(backend::Backend& compute, const CardOptions& o) {
  const GraphSide here = load_graph_statistics(o.graph);
  const std::int64_t n = here.file.graph.num_nodes(), f = o.feature;
  if (f < 0 || f >= n) throw UsageError(str("--feature ", f, " is outside the graph's features [0, ", n, ")"));
  FeatureCard card;
  card.feature = f;
  card.graph = o.graph;
  const auto uf = static_cast<std::size_t>(f);
  card.frequency = here.stats.frequency[uf];
  card.strength = here.stats.strength[uf];
  card.clustering = here.stats.clustering[uf];
  card.mean_neighbor_degree = here.stats.mean_neighbor_degree[uf];
  card.degree = static_cast<std::int64_t>(here.stats.degree[uf]);
  card.component_size = static_cast<std::int64_t>(here.stats.component_size[uf]);
  card.topk_count = here.file.nodes.topk_count[uf];
  card.component = here.file.nodes.component[uf];

  // Neighbours, strongest first by weight and by count.
  const auto neighbours = here.file.graph.neighbors(static_cast<graph::NodeId>(f));
  const auto weights = here.file.graph.edge_weights(static_cast<graph::NodeId>(f));
  const auto counts = here.file.graph.edge_counts(static_cast<graph::NodeId>(f));
  std::vector<Neighbour> all;
  for (std::size_t e = 0; e < neighbours.size(); ++e)
    all.push_back({neighbours[e], weights[e], counts[e], here.stats.frequency[static_cast<std::size_t>(neighbours[e])],
                   static_cast<std::int64_t>(here.stats.degree[static_cast<std::size_t>(neighbours[e])])});
  const auto keep = static_cast<std::size_t>(std::max(0, o.neighbours));
  card.by_weight = all;
  std::sort(card.by_weight.begin(), card.by_weight.end(), [](const Neighbour& a, const Neighbour& b) {
    return a.weight > b.weight || (a.weight == b.weight && a.feature < b.feature);
  });
  card.by_count = all;
  std::sort(card.by_count.begin(), card.by_count.end(), [](const Neighbour& a, const Neighbour& b) {
    return a.count > b.count || (a.count == b.count && a.feature < b.feature);
  });
  card.by_weight.resize(std::min(keep, card.by_weight.size()));
  card.by_count.resize(std::min(keep, card.by_count.size()));

  // Matches in the other seeds, from the comparison.
  if (!o.compare.empty()) {
    const ComparisonFile comparison = read_comparison(o.compare);
    std::int64_t mine = -1;
    for (std::size_t i = 0; i < comparison.saes.size(); ++i)
      if (comparison.saes[i].hash == here.file.attributes.sae_hash) mine = static_cast<std::int64_t>(i);
    if (mine < 0)
      throw InputError(str(o.compare, ": compares no SAE with hash ", here.file.attributes.sae_hash, " (the SAE of ", o.graph, ")"));
    card.seed = comparison.saes[static_cast<std::size_t>(mine)].seed;
    const io::File file = io::File::open(o.compare);
    for (const auto& pair : comparison.pairs) {
      if (pair.first != mine && pair.second != mine) continue;
      const bool forward = pair.first == mine;
      const std::string group = str("/pairs/", pair.first, "_", pair.second);
      const auto matching = file.dataset(group + "/matching").read_all<std::int64_t>();
      const auto decoder = file.dataset(group + "/decoder_cosine").read_all<float>();
      const auto encoder = file.dataset(group + "/encoder_cosine").read_all<float>();
      const auto shared = file.dataset(group + "/shared").read_all<std::uint8_t>();
      std::int64_t row = -1, other = -1;  // row of the pair arrays; the other SAE's feature
      if (forward) {
        row = f;
        other = matching[uf];
      } else {
        for (std::size_t i = 0; i < matching.size(); ++i)
          if (matching[i] == f) row = static_cast<std::int64_t>(i);
        other = row;
      }
      if (row < 0) continue;  // unmatched in a rectangular comparison
      const auto& other_sae = comparison.saes[static_cast<std::size_t>(forward ? pair.second : pair.first)];
      Match m;
      m.seed = other_sae.seed;
      m.graph = resolve_beside(other_sae.graph_path, o.compare);
      m.feature = other;
      m.decoder_cosine = decoder[static_cast<std::size_t>(row)];
      m.encoder_cosine = encoder[static_cast<std::size_t>(row)];
      m.shared = shared[static_cast<std::size_t>(row)] != 0;
      // Nearest nodes of the other graph by standardised statistics.
      const GraphSide there = load_graph_statistics(m.graph);
      const std::int64_t n2 = there.file.graph.num_nodes();
      std::vector<std::pair<double, std::int64_t>> order;
      for (std::int64_t v = 0; v < n2; ++v)
        order.push_back({distance(here.standardised.data() + f * kStatisticCount, there.standardised.data() + v * kStatisticCount), v});
      std::sort(order.begin(), order.end());
      for (std::size_t i = 0; i < order.size(); ++i)
        if (order[i].second == m.feature) m.rank_of_match = static_cast<std::int64_t>(i) + 1;
      for (std::size_t i = 0; i < order.size() && static_cast<int>(i) < o.top; ++i)
        m.nearest_by_statistics.push_back({order[i].second, order[i].first,
                                           there.stats.frequency[static_cast<std::size_t>(order[i].second)],
                                           static_cast<std::int64_t>(there.stats.degree[static_cast<std::size_t>(order[i].second)])});
      card.matches.push_back(std::move(m));
    }
  }

  // Top-activating tokens.
  if (!o.activations.empty()) {
    const std::string sae_path = o.sae.empty() ? resolve_beside(here.file.attributes.sae_file, o.graph) : o.sae;
    const std::int64_t features[] = {f};
    card.top_tokens = top_tokens(compute, sae_path, n, features, o, &card.tokens_scanned).front();
  }
  return card;
}

std::string card_text(const FeatureCard& c) {
  std::string out = str("feature ", c.feature, c.seed ? str(" of seed ", c.seed) : std::string(), " (", c.graph, ")\n\n");
  out += markdown_table({"statistic", "value"},
                        {{"frequency", fixed_with_commas(c.frequency, 6)},
                         {"top-k count", with_commas(c.topk_count)},
                         {"degree", with_commas(c.degree)},
                         {"strength (mean edge weight)", fixed_with_commas(c.strength, 4)},
                         {"clustering", fixed_with_commas(c.clustering, 4)},
                         {"mean neighbour degree", fixed_with_commas(c.mean_neighbor_degree, 2)},
                         {"component (size)", str(c.component, " (", with_commas(c.component_size), ")")}});
  for (const auto& [title, list] : {std::pair{"Strongest neighbours by weight", &c.by_weight}, std::pair{"Most frequent co-activations", &c.by_count}}) {
    out += str("\n", title, "\n\n");
    std::vector<std::vector<std::string>> rows;
    for (const auto& nb : *list)
      rows.push_back({std::to_string(nb.feature), fixed_with_commas(nb.weight, 4), with_commas(nb.count),
                      fixed_with_commas(nb.frequency, 6), with_commas(nb.degree)});
    out += rows.empty() ? "(isolated: no neighbours)\n" : markdown_table({"feature", "weight", "count", "frequency", "degree"}, rows);
  }
  for (const auto& m : c.matches) {
    out += str("\nMatch in seed ", m.seed, ": feature ", m.feature, ", decoder cosine ", fixed_with_commas(m.decoder_cosine, 3),
               ", encoder cosine ", fixed_with_commas(m.encoder_cosine, 3), m.shared ? " (shared)" : " (not shared)",
               "; by node statistics it ranks ", m.rank_of_match, " in that graph. Nearest by statistics:\n\n");
    std::vector<std::vector<std::string>> rows;
    for (const auto& node : m.nearest_by_statistics)
      rows.push_back({std::to_string(node.feature), fixed_with_commas(node.distance, 3), fixed_with_commas(node.frequency, 6),
                      with_commas(node.degree), node.feature == m.feature ? "yes" : "no"});
    out += markdown_table({"feature", "distance", "frequency", "degree", "is the match"}, rows);
  }
  if (c.tokens_scanned > 0) {
    out += str("\nTop activations over the first ", with_commas(c.tokens_scanned), " tokens\n\n");
    std::vector<std::vector<std::string>> rows;
    for (const auto& t : c.top_tokens)
      rows.push_back({with_commas(t.row), fixed_with_commas(t.activation, 4), t.token >= 0 ? std::to_string(t.token) : "-", t.text});
    out += rows.empty() ? "(never active)\n" : markdown_table({"row", "activation", "token", "context [[token]]"}, rows);
  }
  return out;
}

std::string card_json(const FeatureCard& c) {
  JsonWriter j;
  j.begin_object().field("feature", c.feature).field("seed", c.seed).field("graph", c.graph);
  j.field("frequency", c.frequency).field("topk_count", c.topk_count).field("degree", c.degree).field("strength", c.strength);
  j.field("clustering", c.clustering).field("mean_neighbor_degree", c.mean_neighbor_degree);
  j.field("component", c.component).field("component_size", c.component_size);
  for (const auto& [key, list] : {std::pair{"neighbours_by_weight", &c.by_weight}, std::pair{"neighbours_by_count", &c.by_count}}) {
    j.key(key).begin_array();
    for (const auto& nb : *list)
      j.begin_object().field("feature", nb.feature).field("weight", nb.weight).field("count", nb.count)
          .field("frequency", nb.frequency).field("degree", nb.degree).end_object();
    j.end_array();
  }
  j.key("matches").begin_array();
  for (const auto& m : c.matches) {
    j.begin_object().field("seed", m.seed).field("graph", m.graph).field("feature", m.feature);
    j.field("decoder_cosine", m.decoder_cosine).field("encoder_cosine", m.encoder_cosine).field("shared", m.shared);
    j.field("rank_by_statistics", m.rank_of_match).key("nearest_by_statistics").begin_array();
    for (const auto& node : m.nearest_by_statistics)
      j.begin_object().field("feature", node.feature).field("distance", node.distance).field("frequency", node.frequency)
          .field("degree", node.degree).end_object();
    j.end_array().end_object();
  }
  j.end_array().field("tokens_scanned", c.tokens_scanned).key("top_activations").begin_array();
  for (const auto& t : c.top_tokens)
    j.begin_object().field("row", t.row).field("activation", t.activation).field("token", static_cast<std::int64_t>(t.token)).field("text", t.text).end_object();
  j.end_array().end_object();
  return j.str();
}

std::vector<std::vector<TopToken>> top_tokens(backend::Backend& compute, const std::string& sae_path, std::int64_t n,
                                              std::span<const std::int64_t> features, const CardOptions& o,
                                              std::int64_t* scanned) {
  const sae::Checkpoint model = sae::read_checkpoint(sae_path, false);
  if (model.config.n_features != n) throw InputError(str(sae_path, ": has ", model.config.n_features, " features, the graph ", n));
  const io::ActivationStore store = io::ActivationStore::open(o.activations);
  if (store.d() != model.config.d_in)
    throw InputError(str(o.activations, ": d = ", store.d(), " but ", sae_path, " has d_in = ", model.config.d_in));
  std::vector<std::vector<TopToken>> out = top_activations(compute, model, store, features, o.scan_tokens, o.top, scanned);
  if (!store.metadata().has_tokens) return out;
  std::optional<data::Tokenizer> tokenizer;
  if (!o.tokenizer.empty()) tokenizer.emplace(data::Tokenizer::from_file(o.tokenizer));
  for (auto& list : out)
    for (auto& t : list) {
      store.read_tokens(t.row, 1, &t.token);
      if (!tokenizer) continue;
      // Context: earlier rows of the same sequence (positions tell where it starts).
      std::int32_t position = static_cast<std::int32_t>(std::min<std::int64_t>(t.row, o.context));
      if (store.metadata().has_positions) {
        store.read_positions(t.row, 1, &position);
        position = std::min(position, o.context);
      }
      std::vector<std::int32_t> ids(static_cast<std::size_t>(position) + 1);
      store.read_tokens(t.row - position, position + 1, ids.data());
      const std::string before = tokenizer->decode(std::span<const std::int32_t>(ids.data(), ids.size() - 1));
      t.text = before + "[[" + tokenizer->decode(std::span<const std::int32_t>(&ids.back(), 1)) + "]]";
    }
  return out;
}

std::string resolve_sae_of_graph(const std::string& stored, const std::string& graph) { return resolve_beside(stored, graph); }

}  // namespace coact::compare
