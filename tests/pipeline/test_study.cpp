// The study description: from a file or built in code, checked before any work, with the
// fingerprint texts a re-run compares.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/pipeline/plan.h"
#include "coact/pipeline/study.h"

namespace coact::pipeline {
namespace {

std::string error_of(const std::string& text, const StudyTexts& overrides = {}) {
  const std::string path = (std::filesystem::temp_directory_path() / "coact_study_test.ini").string();
  std::ofstream(path) << text;
  try {
    load_study(path, overrides, "test");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(accepted)";
}

// Everything but where the outputs go.
std::string without_out(const Study& s) {
  std::string text = study_text(s);
  return text.substr(text.find('\n') + 1);
}

TEST(Study, DemoFileIsTheBuiltInDemo) {
  const Study file = load_study(std::string(COACT_SOURCE_DIR) + "/jobs/configs/demo.ini", {}, "test");
  const Study built = demo_study(DemoOptions{}, "test");
  EXPECT_EQ(without_out(file), without_out(built));
  EXPECT_EQ(file.train_text, built.train_text);
  EXPECT_EQ(file.report_text, built.report_text);
}

TEST(Study, KeysAreTypedAndRangeChecked) {
  const std::string good = "out = x\n[train]\nseeds = 52,55\nsteps = 10\n";
  EXPECT_EQ(error_of(good), "(accepted)");
  EXPECT_EQ(error_of(good + "bogus = 1\n").rfind("coact_study_test.ini: unrecognised option 'train.bogus'", std::string::npos) !=
                std::string::npos,
            true);
  EXPECT_EQ(error_of("out = x\n[train]\nseeds = 52,x\nsteps = 10\n").rfind("train.seeds = 52,x:", 0), 0u);
  EXPECT_EQ(error_of("out = x\n[train]\nseeds = 52,55\n").rfind("train.steps", 0), 0u);
  EXPECT_EQ(error_of(good + "lr = nan\n").rfind("train.lr = nan: not a finite number", 0), 0u);
  EXPECT_EQ(error_of(good + "[synth]\nrows = -5\n").rfind("synth.rows = -5: too small", 0), 0u);
  EXPECT_EQ(error_of(good + "[synth]\noffset-norm = 1e300\n").rfind("synth.offset-norm = 1e+300: too large", 0), 0u);
  EXPECT_EQ(error_of(good + "[graph]\nk = 1\n").rfind("graph.k = 1: too small", 0), 0u);
  EXPECT_EQ(error_of(good + "[nonsense]\nx = 1\n").find("unknown section [nonsense]") != std::string::npos, true);
  // The line of the file is named after the key.
  EXPECT_NE(error_of(good + "recipe = relu\n").find("line 5"), std::string::npos);
  // The command line wins, and is named as such.
  EXPECT_NE(error_of(good, {{"train", {{"steps", "0"}}}}).find("train.steps = 0: too small"), std::string::npos);
  EXPECT_NE(error_of(good, {{"train", {{"steps", "0"}}}}).find("(command line)"), std::string::npos);
}

TEST(Study, FingerprintsHoldEveryValueInEffect) {
  const Study s = demo_study(DemoOptions{}, "test");
  // Recipe defaults appear although the file never names them; seeds do not enter the SAEs'.
  EXPECT_NE(s.train_text.find("adam-beta2 = 0.999\n"), std::string::npos) << s.train_text;
  EXPECT_EQ(s.train_text.find("seeds"), std::string::npos);
  EXPECT_NE(s.compare_text.find("seeds = 52,55"), std::string::npos);
  // Performance knobs never invalidate work.
  EXPECT_EQ(s.train_text.find("log-every"), std::string::npos);
  EXPECT_EQ(s.graph_text.find("encode-rows"), std::string::npos);
  DemoOptions other;
  other.steps = 100;
  const Study t = demo_study(other, "test");
  EXPECT_EQ(first_difference(s.train_text, t.train_text), "train.steps is 100 here, 1500 in the file");
  EXPECT_EQ(s.data_text, t.data_text);
}

}  // namespace
}  // namespace coact::pipeline
