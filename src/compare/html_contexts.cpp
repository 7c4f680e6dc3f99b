#include "html_contexts.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <span>

#include "coact/backend/buffer.h"
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/data/tokenizer.h"
#include "coact/io/activation_store.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/encoder.h"
#include "coact/sae/sae.h"

namespace coact::compare {

namespace {

// Each feature's best `keep` rows, kept sorted best first (ties: the earlier row).
struct BestRows {
  std::vector<std::pair<float, std::int64_t>> entries;  // per feature, `keep` slots
  std::vector<int> used;
  int keep = 0;
  BestRows(std::int64_t n, int k) : entries(static_cast<std::size_t>(n * k)), used(static_cast<std::size_t>(n), 0), keep(k) {}
  void offer(std::int64_t f, float value, std::int64_t row) {
    auto* e = entries.data() + f * keep;
    int& u = used[static_cast<std::size_t>(f)];
    if (u == keep && !(value > e[keep - 1].first)) return;
    int at = u < keep ? u++ : keep - 1;
    while (at > 0 && value > e[at - 1].first) {
      e[at] = e[at - 1];
      --at;
    }
    e[at] = {value, row};
  }
};

std::string token_text(const std::optional<data::Tokenizer>& tokenizer, std::span<const std::int32_t> ids) {
  if (tokenizer) return tokenizer->decode(ids);
  std::string out;
  for (const auto id : ids) out += str(out.empty() ? "" : " ", "#", id);
  return out;
}

}  // namespace

FeatureContexts feature_contexts(backend::Backend& compute, const std::string& sae_path, std::int64_t n, std::int64_t limit,
                                 int keep, int before, const std::string& tokenizer_path) {
  FeatureContexts out;
  out.per_feature.resize(static_cast<std::size_t>(n));
  if (limit <= 0 || keep <= 0) {
    out.note = "contexts were not asked for";
    return out;
  }
  std::error_code ec;
  if (!std::filesystem::exists(sae_path, ec)) {
    out.note = str("no contexts: the SAE file ", sae_path, " was not found");
    return out;
  }
  const sae::Checkpoint model = sae::read_checkpoint(sae_path, false);
  if (model.config.n_features != n) throw InputError(str(sae_path, ": has ", model.config.n_features, " features, its graph ", n));
  const std::string& store_path = model.data.activations;
  if (store_path.empty() || !std::filesystem::exists(store_path, ec)) {
    out.note = str("no contexts: the SAE's activation store ", store_path.empty() ? "(none recorded)" : store_path, " was not found");
    return out;
  }
  const io::ActivationStore store = io::ActivationStore::open(store_path);
  if (store.d() != model.config.d_in)
    throw InputError(str(store_path, ": d = ", store.d(), " but ", sae_path, " has d_in = ", model.config.d_in));
  const std::int64_t d = model.config.d_in, rows = std::min(limit, store.rows());
  const io::Normalisation normalisation = io::parse_normalisation(model.data.normalisation);
  sae::Sae sae_model(compute, model.config);
  sae_model.from_host(model.params);
  const std::int64_t block = std::clamp<std::int64_t>((64ll << 20) / std::max<std::int64_t>(1, 4 * n), 16, 4096);
  sae::Encoder encoder(sae_model, block);
  backend::Buffer<float> device_rows(compute, static_cast<std::size_t>(block * d));
  std::vector<float> x(static_cast<std::size_t>(block * d));
  BestRows best(n, keep);
  for (std::int64_t first = 0; first < rows; first += block) {
    const std::int64_t count = std::min(block, rows - first);
    store.read_rows(first, count, x.data());
    store.normalise(normalisation, count, x.data());
    compute.copy_bytes(device_rows.data(), x.data(), static_cast<std::size_t>(count * d) * sizeof(float), backend::CopyKind::HostToDevice);
    encoder.encode(device_rows.data(), count);
    const sae::SparseCodesHost codes = encoder.to_host();
    for (std::int64_t r = 0; r < count; ++r)
      for (auto e = codes.offsets[static_cast<std::size_t>(r)]; e < codes.offsets[static_cast<std::size_t>(r) + 1]; ++e)
        if (codes.value[static_cast<std::size_t>(e)] > 0)
          best.offer(codes.index[static_cast<std::size_t>(e)], codes.value[static_cast<std::size_t>(e)], first + r);
  }
  out.rows = rows;
  out.tokens = store.metadata().has_tokens;
  std::optional<data::Tokenizer> tokenizer;
  if (out.tokens && !tokenizer_path.empty()) tokenizer.emplace(data::Tokenizer::from_hf_json(tokenizer_path));
  const bool positions = store.metadata().has_positions;
  const std::int64_t after = 2;
  for (std::int64_t f = 0; f < n; ++f) {
    auto& list = out.per_feature[static_cast<std::size_t>(f)];
    for (int k = 0; k < best.used[static_cast<std::size_t>(f)]; ++k) {
      const auto [value, row] = best.entries[static_cast<std::size_t>(f * keep + k)];
      TokenContext c;
      c.activation = value;
      c.row = row;
      if (out.tokens) {
        // Context inside the row's sequence: positions say where it starts (and whether the
        // next rows continue it); without positions the rows are taken as one sequence.
        std::int64_t back = std::min<std::int64_t>(row, before);
        std::int64_t ahead = std::min<std::int64_t>(store.rows() - 1 - row, after);
        if (positions) {
          std::int32_t position = 0;
          store.read_positions(row, 1, &position);
          back = std::min<std::int64_t>(back, position);
          std::vector<std::int32_t> next(static_cast<std::size_t>(ahead));
          if (ahead > 0) store.read_positions(row + 1, ahead, next.data());
          std::int64_t keep_ahead = 0;
          while (keep_ahead < ahead && next[static_cast<std::size_t>(keep_ahead)] == position + keep_ahead + 1) ++keep_ahead;
          ahead = keep_ahead;
        }
        std::vector<std::int32_t> ids(static_cast<std::size_t>(back + 1 + ahead));
        store.read_tokens(row - back, static_cast<std::int64_t>(ids.size()), ids.data());
        const std::span<const std::int32_t> all(ids);
        c.before = token_text(tokenizer, all.subspan(0, static_cast<std::size_t>(back)));
        c.token = token_text(tokenizer, all.subspan(static_cast<std::size_t>(back), 1));
        c.after = token_text(tokenizer, all.subspan(static_cast<std::size_t>(back + 1)));
        if (!tokenizer) {  // ids are shown apart
          if (!c.before.empty()) c.before += " ";
          if (!c.after.empty()) c.after = " " + c.after;
        }
      }
      list.push_back(std::move(c));
    }
  }
  if (!out.tokens) out.note = str("the store ", store_path, " has no /tokens: contexts show rows only");
  return out;
}

}  // namespace coact::compare
