#include <gtest/gtest.h>

#include <cmath>

#include "coact/core/errors.h"
#include "coact/sae/config.h"

namespace coact::sae {
namespace {

std::string usage_message(const SaeConfig& c) {
  try {
    validate(c);
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(valid)";
}

TEST(SaeConfig, NandaDefaultsAreTheSeedRecipe) {
  const SaeConfig c = default_config(Recipe::Nanda1L, 2048, 16384, 52);
  EXPECT_EQ(c.recipe, Recipe::Nanda1L);
  EXPECT_EQ(c.lr, 1e-4);
  EXPECT_EQ(c.adam_beta1, 0.9);
  EXPECT_EQ(c.adam_beta2, 0.99);
  EXPECT_EQ(c.adam_eps, 1e-8);
  EXPECT_EQ(c.l1_coeff, 3e-4);
  EXPECT_EQ(c.resample_every, 30000);
  EXPECT_DOUBLE_EQ(c.resample_threshold, std::pow(10.0, -5.5));
  EXPECT_TRUE(c.project_decoder_grad);
  EXPECT_TRUE(c.renormalize_decoder);
  EXPECT_EQ(c.lr_warmup_steps, 0);
  EXPECT_EQ(c.seed, 52u);
  EXPECT_NO_THROW(validate(c));
}

TEST(SaeConfig, TopkDefaultsFollowEleutherAi) {
  const SaeConfig c = default_config(Recipe::TopK, 2048, 65536);
  EXPECT_DOUBLE_EQ(c.lr, 2e-4 / 2.0);  // 2e-4 / sqrt(2^16 / 2^14)
  EXPECT_EQ(c.adam_beta2, 0.999);
  EXPECT_EQ(c.lr_warmup_steps, 1000);
  EXPECT_EQ(c.k, 32);
  EXPECT_EQ(effective_k_aux(c), 1024);
  EXPECT_DOUBLE_EQ(c.auxk_alpha, 1.0 / 32.0);
  EXPECT_EQ(c.dead_tokens, 10'000'000);
  EXPECT_EQ(c.l1_coeff, 0.0);
  EXPECT_EQ(c.resample_every, 0);
  EXPECT_NO_THROW(validate(c));
}

TEST(SaeConfig, ValidationNamesTheField) {
  const SaeConfig good = default_config(Recipe::Nanda1L, 16, 32);
  auto bad = good;
  bad.lr = -1;
  EXPECT_NE(usage_message(bad).find("sae config: lr = -1"), std::string::npos) << usage_message(bad);
  bad = good;
  bad.adam_beta2 = 1.0;
  EXPECT_NE(usage_message(bad).find("adam_beta2"), std::string::npos);
  bad = good;
  bad.n_features = 0;
  EXPECT_NE(usage_message(bad).find("n_features"), std::string::npos);
  bad = good;
  bad.resample_threshold = NAN;
  EXPECT_NE(usage_message(bad).find("resample_threshold"), std::string::npos);
  bad = good;
  bad.lr_warmup_steps = 10;
  bad.lr_decay_steps = 5;
  EXPECT_NE(usage_message(bad).find("lr_decay_steps"), std::string::npos);
  bad = good;
  bad.sparse_max_density = 2;
  EXPECT_NE(usage_message(bad).find("sparse_max_density"), std::string::npos);

  auto topk = default_config(Recipe::TopK, 16, 32);
  topk.k = 33;
  EXPECT_NE(usage_message(topk).find("sae config: k = 33"), std::string::npos) << usage_message(topk);
  topk = default_config(Recipe::TopK, 16, 32);
  topk.l1_coeff = 1e-3;
  EXPECT_NE(usage_message(topk).find("l1_coeff"), std::string::npos);
  topk = default_config(Recipe::TopK, 16, 32);
  topk.resample_every = 10;
  EXPECT_NE(usage_message(topk).find("resample_every"), std::string::npos);
}

TEST(SaeConfig, MatryoshkaNeedsIncreasingWidthsEndingAtTheWidthAndTheSparsePath) {
  SaeConfig m = default_config(Recipe::Matryoshka, 16, 32);
  EXPECT_EQ(m.threshold_beta, 0.999);  // batchtopk's threshold and optimiser
  EXPECT_EQ(m.lr_warmup_steps, 1000);
  EXPECT_NE(usage_message(m).find("matryoshka_widths = ''"), std::string::npos) << usage_message(m);
  m.matryoshka_widths = "4,8,32";
  EXPECT_NO_THROW(validate(m));
  EXPECT_EQ(matryoshka_widths(m), (std::vector<std::int64_t>{4, 8, 32}));
  for (const char* bad : {"8,4,32", "0,32", "4,8,16", "4,,32", "4,x,32", "4,8,32,"}) {
    m.matryoshka_widths = bad;
    EXPECT_NE(usage_message(m).find("matryoshka_widths"), std::string::npos) << bad << ": " << usage_message(m);
  }
  m.matryoshka_widths = "4,8,32";
  m.path = ComputePath::Dense;
  EXPECT_NE(usage_message(m).find("sparse path"), std::string::npos) << usage_message(m);
  SaeConfig b = default_config(Recipe::BatchTopK, 16, 32);
  b.matryoshka_widths = "4,32";
  EXPECT_NE(usage_message(b).find("is a matryoshka setting"), std::string::npos) << usage_message(b);
}

TEST(SaeConfig, ParsesNames) {
  EXPECT_EQ(parse_recipe("nanda-1l"), Recipe::Nanda1L);
  EXPECT_EQ(parse_recipe("topk"), Recipe::TopK);
  EXPECT_THROW(parse_recipe("relu"), UsageError);
  EXPECT_EQ(parse_compute_path("sparse"), ComputePath::Sparse);
  EXPECT_STREQ(to_string(parse_compute_path("dense")), "dense");
  EXPECT_THROW(parse_compute_path("fast"), UsageError);
}

}  // namespace
}  // namespace coact::sae
