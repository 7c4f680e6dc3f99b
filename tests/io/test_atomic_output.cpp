#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/io/atomic_output.h"
#include "coact/io/h5.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;

class Atomic : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("coact_atomic_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir_)) ++n;
    return n;
  }
  fs::path dir_;
};

TEST_F(Atomic, CommitMovesTheFinishedFileIntoPlace) {
  const std::string final_path = (dir_ / "out.h5").string();
  {
    AtomicOutput out(final_path, false);
    EXPECT_NE(out.temporary_path(), final_path);
    EXPECT_EQ(fs::path(out.temporary_path()).parent_path(), dir_) << "same directory, so rename is atomic";
    File f = File::create(out.temporary_path());
    f.write_dataset<float>("/x", std::vector<float>{1, 2, 3}, {3});
    f.close();
    EXPECT_FALSE(fs::exists(final_path)) << "nothing at the final name before commit";
    out.commit();
    EXPECT_TRUE(out.committed());
  }
  EXPECT_TRUE(fs::exists(final_path));
  EXPECT_EQ(entries(), 1u) << "no temporary left behind";
  EXPECT_EQ(File::open(final_path).dataset("/x").read_all<float>()[2], 3.0f);
}

TEST_F(Atomic, AbandonedOutputLeavesNothing) {
  const std::string final_path = (dir_ / "out.h5").string();
  {
    AtomicOutput out(final_path, false);
    std::ofstream(out.temporary_path()) << "half written";
    // ... an error is thrown here in real code; the destructor cleans up.
  }
  EXPECT_FALSE(fs::exists(final_path));
  EXPECT_EQ(entries(), 0u);
}

TEST_F(Atomic, RefusesToOverwriteWithoutForceAndKeepsTheOldOutput) {
  const std::string final_path = (dir_ / "out.txt").string();
  std::ofstream(final_path) << "previous";
  try {
    AtomicOutput out(final_path, false);
    FAIL() << "expected OutputExistsError";
  } catch (const OutputExistsError& e) {
    EXPECT_NE(std::string(e.what()).find("--force"), std::string::npos) << e.what();
  }
  EXPECT_THROW(require_writable_output(final_path, false), OutputExistsError);
  EXPECT_NO_THROW(require_writable_output(final_path, true));
  {
    // With --force, a failed run still leaves the previous output untouched.
    AtomicOutput out(final_path, true);
    std::ofstream(out.temporary_path()) << "new but failed";
  }
  std::ifstream in(final_path);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "previous");
  {
    AtomicOutput out(final_path, true);
    std::ofstream(out.temporary_path()) << "replacement";
    out.commit();
  }
  std::ifstream again(final_path);
  std::getline(again, content);
  EXPECT_EQ(content, "replacement");
}

TEST_F(Atomic, CreatesParentDirectoriesAndRejectsDirectories) {
  const std::string nested = (dir_ / "a" / "b" / "out.h5").string();
  AtomicOutput out(nested, false);
  EXPECT_TRUE(fs::is_directory(dir_ / "a" / "b"));
  EXPECT_THROW(AtomicOutput(dir_.string(), true), OutputExistsError);
}

TEST_F(Atomic, PendingOutputsAreRemovedOnTheAbortPath) {
  const std::string final_path = (dir_ / "out.h5").string();
  AtomicOutput out(final_path, false);
  std::ofstream(out.temporary_path()) << "partial";
  ASSERT_TRUE(fs::exists(out.temporary_path()));
  remove_pending_outputs();  // what main() does right before MPI_Abort
  EXPECT_FALSE(fs::exists(out.temporary_path()));
}

}  // namespace
}  // namespace coact::io
