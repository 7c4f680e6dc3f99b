#include "coact/pipeline/resources.h"

#include <algorithm>
#include <filesystem>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/compare/comparison_resources.h"
#include "coact/graph/build_resources.h"
#include "coact/model/inputs.h"
#include "coact/sae/sae.h"
#include "coact/sae/training_resources.h"

namespace coact::pipeline {
namespace {

// The activations the train stage will read: the synthetic store as [synth] describes it, the
// store [record] will write (from the model's config and the tokens, before it exists), or an
// existing store's shape.
sae::StoreShape planned_store(const Study& s) {
  if (s.job.source == Source::Synthetic) {
    sae::StoreShape shape;
    shape.rows = s.synth.rows;
    shape.d = s.synth.d;
    shape.element_bytes = s.synth.dtype == io::ElementType::F16 ? 2 : 4;
    return shape;
  }
  std::error_code ec;
  if (s.job.source == Source::Record && !std::filesystem::exists(s.store_path(), ec)) {
    model::PlannedRecording recording;
    try {
      recording = model::plan_recording(s.record_inputs);
    } catch (const Error& e) {
      throw ConfigError(str("record: ", e.what()));
    }
    // coact record writes unfiltered chunks, which the store memory-maps.
    sae::StoreShape shape;
    shape.rows = recording.sequences * recording.seq_len;
    shape.d = recording.width;
    shape.element_bytes = s.record.dtype == io::ElementType::F16 ? 2 : 4;
    return shape;
  }
  try {
    return sae::store_shape(io::ActivationStore::open(s.store_path()));
  } catch (const Error& e) {
    throw ConfigError(str("data.store: ", e.what()));
  }
}

// One SAE per seed, all of the train stage's shape, with the graph stage's edge bound.
StageResources planned_comparison(const Study& s, const graph::SaeShape& sae, const sae::StoreShape& store, int ranks) {
  compare::ComparisonShape shape;
  const compare::SaeShape one{sae.d, sae.n};
  const auto edges = static_cast<std::int64_t>(graph::graph_edge_bound(s.graph, sae.n, store.rows));
  for (std::size_t i = 0; i < s.seeds().size(); ++i) {
    shape.saes.push_back(one);
    shape.graphs.push_back({sae.n, edges});
  }
  shape.threads = static_cast<int>(s.job.threads.value_or(1));
  StageResources r = compare::comparison_resources(s.compare, shape, ranks);
  r.notes.push_back("each graph counted at the graph stage's bound of " + with_commas(edges) + " edges");
  if (!s.compare.truth_store.empty()) r.notes.push_back("compare.truth's ground-truth directions are not counted");
  if (!s.job.threads) r.notes.push_back("threads per rank not set: planned as 1 (the candidate pass keeps lists per thread)");
  return r;
}

}  // namespace

int train_groups(const Study& s, int ranks) {
  return s.job.parallel_seeds > 0 ? static_cast<int>(s.job.parallel_seeds)
                                  : static_cast<int>(std::min<std::size_t>(s.seeds().size(), static_cast<std::size_t>(ranks)));
}

std::vector<StageResources> plan_resources(const Study& s, int ranks) {
  COACT_REQUIRE(ranks >= 1, ConfigError, "run.ranks: ", ranks, " ranks; a job has at least one");
  if (s.job.ranks > 0 && s.job.ranks != ranks)
    throw ConfigError(str("run.ranks: the study asks for ", s.job.ranks, " ranks but the plan is for ", ranks));
  const int groups = train_groups(s, ranks);
  if (groups > ranks)
    throw ConfigError(str("train.parallel-seeds: ", groups, " seed groups need at least as many ranks; the plan is for ", ranks));
  std::vector<StageResources> stages;
  if (!s.runs(Stage::Train)) return stages;
  const sae::StoreShape store = planned_store(s);
  try {
    stages.push_back(sae::training_resources(s.train, store, ranks, groups));
    if (s.runs(Stage::Graph)) {
      graph::SaeShape shape;
      shape.d = store.d;
      shape.n = sae::resolved_width(s.train, store.d);
      sae::SaeConfig config = s.train.config;
      config.d_in = shape.d;
      config.n_features = shape.n;
      const sae::EncoderSpec spec = sae::encoder_spec(config);
      shape.kind = spec.kind;
      shape.l0_assumed = !sae::uses_k(spec.kind);
      shape.l0 = shape.l0_assumed ? static_cast<double>(shape.n) / 100 : static_cast<double>(spec.k);
      try {
        stages.push_back(graph::graph_resources(s.graph, shape, store, ranks));
      } catch (const UsageError& e) {
        throw ConfigError(str("graph: ", e.what()));
      }
      if (s.runs(Stage::Compare)) stages.push_back(planned_comparison(s, shape, store, ranks));
    }
  } catch (const UsageError& e) {
    throw ConfigError(str("train: ", e.what()));
  } catch (const InputError& e) {
    throw ConfigError(str("train: ", e.what()));
  }
  return stages;
}

}  // namespace coact::pipeline
