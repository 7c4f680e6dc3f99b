// describe / --check of sae files, and the root-attribute checks every reader makes.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "coact/core/errors.h"
#include "coact/io/h5.h"
#include "coact/sae/checkpoint.h"
#include "coact/sae/checkpoint_check.h"
#include "support/temp_dir.h"

namespace coact::sae {
namespace {

constexpr std::int64_t kD = 6, kN = 10;

SaeTensors filled(float start) {
  SaeTensors t = SaeTensors::zeros(kD, kN);
  for (auto* v : {&t.w_enc, &t.b_enc, &t.w_dec, &t.b_dec})
    for (std::size_t i = 0; i < v->size(); ++i) (*v)[i] = start + 0.01f * static_cast<float>(i % 17);
  return t;
}

// A checkpoint of a run stopped at step 40 of 100, with optimiser state and two metrics rows.
Checkpoint stopped_run() {
  Checkpoint c;
  c.config = default_config(Recipe::TopK, kD, kN, 7);
  c.config.k = 3;
  c.params = filled(-0.2f);
  TrainerState s;
  s.step = 40;
  s.adam_m = filled(0.001f);
  s.adam_v = filled(0.0001f);
  s.tokens_since_fired.assign(kN, 12);
  s.window_fires.assign(kN, 3.0);
  c.state = s;
  for (std::int64_t step : {20, 40}) {
    StepMetrics m;
    m.step = step;
    m.tokens = 256;
    m.loss = 1.0 / static_cast<double>(step);
    m.l0 = 3;
    m.fvu = 0.25;
    m.dead_fraction = 0.1;
    c.metrics.append(m, 1000.0, static_cast<double>(step));
  }
  c.total_steps = 100;
  c.complete = false;
  c.data.activations = "acts.h5";
  c.data.normalisation = "scale";
  return c;
}

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no InputError";
  return "";
}

class SaeFileChecks : public ::testing::Test {
 protected:
  void SetUp() override { write_checkpoint(path_, true, stopped_run(), {}); }
  void set_attribute(const std::string& name, std::int64_t value) {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.attributes().set(name, value);
  }
  void set_attribute(const std::string& name, const std::string& value) {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.attributes().set(name, value);
  }
  // The refusal of every reader: describe, --check and the checkpoint loader.
  std::string refused_everywhere() {
    const std::string loaded = message_of([&] { read_checkpoint(path_, false); });
    EXPECT_EQ(message_of([&] { describe_sae(path_); }), loaded);
    EXPECT_EQ(message_of([&] { check_sae(path_); }), loaded);
    return loaded;
  }
  testing::TempDir dir_;
  std::string path_ = dir_.file("sae_7.h5");
};

TEST_F(SaeFileChecks, DescribeSummarisesWithoutReadingParameters) {
  const SaeSummary s = describe_sae(path_);
  EXPECT_EQ(s.d_in, kD);
  EXPECT_EQ(s.n_features, kN);
  EXPECT_EQ(s.recipe, "topk");
  EXPECT_EQ(s.seed, 7);
  EXPECT_EQ(s.step, 40);
  EXPECT_EQ(s.total_steps, 100);
  EXPECT_FALSE(s.complete);
  EXPECT_TRUE(s.has_optimizer_state);
  EXPECT_EQ(s.normalisation, "scale");
  EXPECT_EQ(s.activations, "acts.h5");
  EXPECT_EQ(s.metric_rows, 2);
  ASSERT_TRUE(s.last.has_value());
  EXPECT_EQ(s.last->step, 40);
  EXPECT_DOUBLE_EQ(s.last->loss, 1.0 / 40.0);
  EXPECT_DOUBLE_EQ(s.last->fvu, 0.25);
  const SaeCheckReport r = check_sae(path_);
  EXPECT_EQ(r.parameters, 2 * kD * kN + kD + kN);
  EXPECT_EQ(r.optimizer_values, 2 * r.parameters);
  EXPECT_EQ(r.metric_rows, 2);
}

TEST_F(SaeFileChecks, ShapeAttributesMustAgreeWithTheConfiguration) {
  set_attribute("d_in", 99);
  const std::string message = refused_everywhere();
  EXPECT_NE(message.find(path_ + ":/: attribute 'd_in' is 99 but 'cfg_d_in' is 6"), std::string::npos) << message;
}

TEST_F(SaeFileChecks, RecipeMustBeKnownAndAgree) {
  set_attribute("recipe", "bogus");
  EXPECT_NE(refused_everywhere().find("attribute 'recipe' is 'bogus'"), std::string::npos);
  set_attribute("recipe", "nanda-1l");
  EXPECT_NE(refused_everywhere().find("'cfg_recipe' is 'topk'"), std::string::npos);
}

TEST_F(SaeFileChecks, CompleteMustBeZeroOrOneAndAgreeWithTheSteps) {
  set_attribute("complete", 2);
  EXPECT_NE(refused_everywhere().find("attribute 'complete' is 2, expected 0 or 1"), std::string::npos);
  set_attribute("complete", 1);  // step 40 of 100
  EXPECT_NE(refused_everywhere().find("is 1 but step 40 is short of total_steps 100"), std::string::npos);
  set_attribute("complete", 0);
  set_attribute("step", 140);
  EXPECT_NE(refused_everywhere().find("is 0 but step 140 is past total_steps 100"), std::string::npos);
}

TEST_F(SaeFileChecks, NormalisationMustBeKnown) {
  set_attribute("data_normalisation", "whiten");
  EXPECT_NE(refused_everywhere().find("attribute 'data_normalisation' is 'whiten'"), std::string::npos);
}

TEST_F(SaeFileChecks, ShapesMustFollowTheRootAttributes) {
  // Both shape attributes changed consistently: the datasets no longer fit them.
  set_attribute("n_features", 12);
  set_attribute("cfg_n_features", 12);
  const std::string message = message_of([&] { describe_sae(path_); });
  EXPECT_NE(message.find(path_ + ":/W_enc: shape [6, 10], expected [6, 12]"), std::string::npos) << message;
}

TEST_F(SaeFileChecks, CheckScansMomentsCountersAndMetrics) {
  EXPECT_NO_THROW(read_checkpoint(path_, true));
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    std::vector<float> v = f.dataset("/optimizer/adam_v/W_dec").read_all<float>();
    v[5] = -1e-3f;
    f.dataset("/optimizer/adam_v/W_dec").write<float>(v);
  }
  EXPECT_NO_THROW(read_checkpoint(path_, true)) << "the loader reads; only --check scans values";
  const std::string moment = message_of([&] { check_sae(path_); });
  EXPECT_NE(moment.find(path_ + ":/optimizer/adam_v/W_dec: element 5 is -0.001"), std::string::npos) << moment;
  SetUp();
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.dataset("/metrics/loss").write<double>(std::vector<double>{0.05, std::nan("")});
  }
  EXPECT_NE(message_of([&] { check_sae(path_); }).find(":/metrics/loss: element 1 is nan"), std::string::npos);
  SetUp();
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.dataset("/metrics/step").write<std::int64_t>(std::vector<std::int64_t>{20, 60});
  }
  EXPECT_NE(message_of([&] { check_sae(path_); }).find(":/metrics/step: row 1 is step 60"), std::string::npos);
}

TEST_F(SaeFileChecks, NonFiniteParametersAreRefusedByEveryReader) {
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    std::vector<float> v = f.dataset("/W_enc").read_all<float>();
    v[3] = std::numeric_limits<float>::infinity();
    f.dataset("/W_enc").write<float>(v);
  }
  EXPECT_NE(message_of([&] { check_sae(path_); }).find(":/W_enc: element 3 is inf"), std::string::npos);
}

TEST_F(SaeFileChecks, AShardReadsItsLatentsOfTheWholeFile) {
  // Uneven shards (10 latents over 3: 3, 3, 4): each reads its hyperslabs, and the shards
  // joined are the whole checkpoint's parameters and state.
  const Checkpoint whole = read_checkpoint(path_, true);
  std::vector<SaeTensors> params, moments;
  std::vector<std::int64_t> since;
  for (int s = 0; s < 3; ++s) {
    const FeatureShard shard = FeatureShard::of(kN, s, 3);
    const Checkpoint part = read_checkpoint(path_, true, shard);
    EXPECT_EQ(part.params, whole.params.features(shard.first, shard.count)) << "shard " << s;
    params.push_back(part.params);
    moments.push_back(part.state->adam_v);
    since.insert(since.end(), part.state->tokens_since_fired.begin(), part.state->tokens_since_fired.end());
    EXPECT_EQ(part.state->step, 40);
  }
  EXPECT_EQ(SaeTensors::join_features(params), whole.params);
  EXPECT_EQ(SaeTensors::join_features(moments), whole.state->adam_v);
  EXPECT_EQ(since, whole.state->tokens_since_fired);
  EXPECT_THROW(read_checkpoint(path_, false, FeatureShard{8, 4, kN}), UsageError);
  EXPECT_THROW(read_checkpoint(path_, false, FeatureShard{0, 5, kN + 1}), UsageError);
}

TEST_F(SaeFileChecks, TheRecordIsTheCheckpointWithoutItsTensors) {
  // What a planner reads: every field but the tensors, with the same checks of the attributes.
  const Checkpoint whole = read_checkpoint(path_, true);
  const Checkpoint record = read_checkpoint_record(path_);
  EXPECT_TRUE(record.params.w_enc.empty());
  EXPECT_TRUE(record.params.w_dec.empty());
  EXPECT_FALSE(record.state.has_value());
  EXPECT_TRUE(resume_differences(record, whole.config, whole.data, whole.ranks, whole.latent_shards).empty());
  EXPECT_EQ(record.encoder, whole.encoder);
  EXPECT_EQ(record.total_steps, whole.total_steps);
  EXPECT_EQ(record.complete, whole.complete);
  EXPECT_EQ(record.ranks, whole.ranks);
  EXPECT_EQ(record.latent_shards, whole.latent_shards);
  EXPECT_EQ(record.metrics.step, whole.metrics.step);
  EXPECT_EQ(record.metrics.loss, whole.metrics.loss);
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.attributes().set("complete", std::int64_t{7});
  }
  EXPECT_THROW(read_checkpoint_record(path_), InputError);
}

TEST_F(SaeFileChecks, ParameterRowsAreTheCheckpointsRows) {
  // What the comparison reads: blocks of W_dec's latents and of W_enc's input coordinates.
  const Checkpoint whole = read_checkpoint(path_, false);
  {
    const ParameterRows rows(path_);  // holds the file open until the end of this block
    EXPECT_EQ(rows.record().config.n_features, kN);
    const std::vector<float> dec = rows.read("W_dec", 3, 4);
    EXPECT_EQ(dec, std::vector<float>(whole.params.w_dec.begin() + 3 * kD, whole.params.w_dec.begin() + 7 * kD));
    const std::vector<float> enc = rows.read("W_enc", 1, 2);
    EXPECT_EQ(enc, std::vector<float>(whole.params.w_enc.begin() + kN, whole.params.w_enc.begin() + 3 * kN));
    EXPECT_TRUE(rows.read("W_dec", kN, 0).empty());
    EXPECT_THROW(rows.read("W_dec", 8, 3), UsageError);
    EXPECT_THROW(rows.read("W_enc", -1, 1), UsageError);
    EXPECT_THROW(rows.read("b_enc", 0, 1), UsageError);
  }
  {
    io::File f = io::File::open(path_, io::File::Mode::ReadWrite);
    f.dataset("/W_dec").write<float>(std::vector<float>{std::nanf("")}, {5, 2}, {1, 1});
  }
  const ParameterRows broken(path_);
  EXPECT_EQ(broken.read("W_dec", 0, 5), std::vector<float>(whole.params.w_dec.begin(), whole.params.w_dec.begin() + 5 * kD));
  const std::string message = message_of([&] { broken.read("W_dec", 4, 2); });
  EXPECT_NE(message.find("element 32 is nan"), std::string::npos) << message;
}

}  // namespace
}  // namespace coact::sae
