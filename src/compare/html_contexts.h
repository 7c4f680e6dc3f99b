// Top-activating token contexts of every feature of one SAE, for the HTML report's feature
// pages: one pass over the first rows of the SAE's activation store through its own encoder
// (whatever its kind), keeping each feature's best rows; then the tokens around each row
// (the store's /tokens), decoded when a tokenizer is given.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "coact/backend/backend.h"

namespace coact::compare {

struct TokenContext {
  double activation = 0;
  std::int64_t row = 0;
  std::string before, token, after;  // decoded text, or "#id" per token without a tokenizer
};

struct FeatureContexts {
  std::vector<std::vector<TokenContext>> per_feature;  // best first
  std::int64_t rows = 0;     // store rows scanned
  bool tokens = false;       // the store has /tokens (else contexts carry rows only)
  std::string note;          // why there are none, when there are none
};

// `sae_path`'s store (its recorded training store, or `store` when given), first `rows` rows.
// An SAE or store that cannot be read gives no contexts and a note, never a failure: the rest
// of the report does not need them.
FeatureContexts feature_contexts(backend::Backend& compute, const std::string& sae_path, std::int64_t n_features,
                                 std::int64_t rows, int keep, int before, const std::string& tokenizer);

}  // namespace coact::compare
