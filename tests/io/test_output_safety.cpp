// The output-safety layer: early path checks, outputs that are inputs, one writer per output,
// stale temporaries, multi-file folder outputs, and temporaries of killed writers.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/io/atomic_output.h"
#include "coact/io/command_outputs.h"
#include "coact/io/directory_output.h"
#include "coact/io/h5.h"
#include "coact/io/output_lock.h"
#include "coact/io/output_paths.h"
#include "support/temp_dir.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;
using coact::testing::TempDir;

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

template <class ErrorType, class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const ErrorType& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected the error was not thrown";
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::size_t partials_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(dir))
    if (contains(entry.path().filename().string(), ".partial-")) ++n;
  return n;
}

// ---- check_output_path / check_output_directory -------------------------------------------

TEST(OutputPaths, EarlyChecksNameTheFlag) {
  TempDir dir;
  EXPECT_TRUE(contains(error_of<UsageError>([] { check_output_path("--out", ""); }), "--out: empty file name"));
  const std::string missing = dir.file("no_such_folder/out.h5");
  const std::string message = error_of<UsageError>([&] { check_output_path("--out", missing); });
  EXPECT_TRUE(contains(message, "--out " + missing)) << message;
  EXPECT_TRUE(contains(message, "does not exist")) << message;
  EXPECT_FALSE(fs::exists(dir.file("no_such_folder"))) << "missing folders are never created";
  EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_path("--out", dir.path().string()); }), "is a folder"));
  EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_path("--out", dir.file("x/")); }), "names a folder"));
  std::ofstream(dir.file("plain")) << "x";
  EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_path("--out", dir.file("plain/out.h5")); }), "is not a folder"));
  EXPECT_TRUE(contains(error_of<UsageError>([] { check_output_path("--out", "/dev/null"); }), "not a regular file"));
  EXPECT_NO_THROW(check_output_path("--out", dir.file("new.h5")));
  EXPECT_NO_THROW(check_output_path("--out", dir.file("plain")));  // existing files are --force's business

  if (::geteuid() != 0) {  // root may write anywhere
    fs::create_directory(dir.file("locked"));
    fs::permissions(dir.file("locked"), fs::perms::owner_read | fs::perms::owner_exec);
    EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_path("--out", dir.file("locked/out.h5")); }), "cannot write"));
    fs::permissions(dir.file("locked"), fs::perms::owner_all);
  }

  EXPECT_NO_THROW(check_output_directory("--out", dir.file("new_folder")));
  EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_directory("--out", dir.file("a/b")); }), "does not exist"));
  EXPECT_TRUE(contains(error_of<UsageError>([&] { check_output_directory("--out", dir.file("plain")); }), "not a folder"));
}

// ---- require_outputs_not_inputs -----------------------------------------------------------

class OutputsNotInputs : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(dir_.path() / "a");
    std::ofstream(input_) << "activations";
  }
  std::string refusal(const std::string& output) {
    const std::vector<LabelledPath> inputs{{"--activations", input_}};
    const std::vector<OutputSpec> outputs{OutputSpec::file("--out", output)};
    return error_of<UsageError>([&] { require_outputs_not_inputs(inputs, outputs); });
  }
  TempDir dir_;
  std::string input_ = dir_.file("a/acts.h5");
};

TEST_F(OutputsNotInputs, TheSameFileUnderAnyNameIsRefusedNamingBothFlags) {
  const std::string plain = refusal(input_);
  EXPECT_TRUE(contains(plain, "--out")) << plain;
  EXPECT_TRUE(contains(plain, "--activations " + input_)) << plain;
  EXPECT_TRUE(contains(plain, "even with --force")) << plain;
  refusal(dir_.file("a/../a/acts.h5"));
  fs::create_hard_link(input_, dir_.file("hard.h5"));
  refusal(dir_.file("hard.h5"));
  fs::create_symlink(input_, dir_.file("soft.h5"));
  refusal(dir_.file("soft.h5"));
  fs::create_directory_symlink(dir_.path() / "a", dir_.path() / "alias");
  refusal(dir_.file("alias/acts.h5"));
  // Relative against absolute spelling.
  const fs::path previous = fs::current_path();
  fs::current_path(dir_.path());
  refusal("a/acts.h5");
  fs::current_path(previous);
}

TEST_F(OutputsNotInputs, NotYetExistingPathsAreComparedResolved) {
  const std::vector<LabelledPath> inputs{{"--activations", dir_.file("a/later.h5")}};
  const std::vector<OutputSpec> outputs{OutputSpec::file("--out", dir_.file("alias_missing/../a/later.h5"))};
  fs::create_directory(dir_.path() / "alias_missing");
  EXPECT_THROW(require_outputs_not_inputs(inputs, outputs), UsageError);
  const std::vector<OutputSpec> other{OutputSpec::file("--out", dir_.file("a/other.h5"))};
  EXPECT_NO_THROW(require_outputs_not_inputs(inputs, other));
}

TEST_F(OutputsNotInputs, AFolderOutputMayNotReplaceAnInputInsideIt) {
  // train --activations DIR/sae_9.h5 --out DIR writing sae_9.h5 would replace its input.
  const std::vector<LabelledPath> inputs{{"--activations", dir_.file("a/sae_9.h5")}};
  std::ofstream(dir_.file("a/sae_9.h5")) << "x";
  const std::vector<OutputSpec> clash{OutputSpec::folder("--out", dir_.file("a"), {"sae_8.h5", "sae_9.h5"})};
  const std::string message = error_of<UsageError>([&] { require_outputs_not_inputs(inputs, clash); });
  EXPECT_TRUE(contains(message, "sae_9.h5")) << message;
  const std::vector<OutputSpec> fine{OutputSpec::folder("--out", dir_.file("a"), {"sae_8.h5"})};
  EXPECT_NO_THROW(require_outputs_not_inputs(inputs, fine));
}

TEST_F(OutputsNotInputs, OutputsInsideAnInputFolderAndDuplicateOutputsAreRefused) {
  const std::vector<LabelledPath> shards{{"--activations", dir_.file("a")}};
  const std::vector<OutputSpec> inside{OutputSpec::file("--out", dir_.file("a/graph.h5"))};
  EXPECT_TRUE(contains(error_of<UsageError>([&] { require_outputs_not_inputs(shards, inside); }), "inside --activations"));
  const std::vector<OutputSpec> twice{OutputSpec::file("--out", dir_.file("r.md")),
                                      OutputSpec::folder("--plots-dir", dir_.path().string(), {"r.md"})};
  EXPECT_TRUE(contains(error_of<UsageError>([&] { require_outputs_not_inputs({}, twice); }), "are the same file"));
}

TEST(StoreInputs, GlobsExpandAndFoldersStay) {
  TempDir dir;
  std::ofstream(dir.file("s0.h5")) << "0";
  std::ofstream(dir.file("s1.h5")) << "1";
  const auto files = store_inputs("--activations", dir.file("s*.h5"));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[1].path, dir.file("s1.h5"));
  EXPECT_EQ(files[1].flag, "--activations");
  EXPECT_EQ(store_inputs("--activations", dir.path().string()).size(), 1u);
  EXPECT_EQ(store_inputs("--activations", dir.file("none*.h5")).front().path, dir.file("none*.h5"));
}

// ---- OutputLock ---------------------------------------------------------------------------

TEST(OutputLocks, ASecondWriterFailsAtOnceNamingTheHolder) {
  TempDir dir;
  const std::string output = dir.file("graph.h5");
  {
    OutputLock first(output, "coact graph");
    EXPECT_TRUE(first.held());
    EXPECT_EQ(first.lock_path(), dir.file(".graph.h5.lock"));
    EXPECT_TRUE(contains(read_text(first.lock_path()), "pid " + std::to_string(::getpid())));
    const std::string message = error_of<OutputBusyError>([&] { OutputLock second(output, "coact graph"); });
    EXPECT_TRUE(contains(message, output)) << message;
    EXPECT_TRUE(contains(message, "pid " + std::to_string(::getpid()))) << message;
    EXPECT_TRUE(contains(message, " on host ")) << message;
    EXPECT_TRUE(contains(message, "coact graph")) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
  }
  EXPECT_FALSE(fs::exists(dir.file(".graph.h5.lock"))) << "released locks leave no file";
  EXPECT_NO_THROW(OutputLock again(output, "coact graph"));
}

TEST(OutputLocks, AKilledHolderReleasesTheLock) {
  TempDir dir;
  const std::string output = dir.file("sae_1.h5");
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    OutputLock held(output, "coact train");
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    ::pause();
    ::_exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  const std::string message = error_of<OutputBusyError>([&] { OutputLock mine(output, "coact train"); });
  EXPECT_TRUE(contains(message, "pid " + std::to_string(child))) << message;
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(fs::exists(dir.file(".sae_1.h5.lock"))) << "SIGKILL leaves the file but not the lock";
  OutputLock mine(output, "coact train");
  EXPECT_TRUE(contains(read_text(mine.lock_path()), "pid " + std::to_string(::getpid())));
  ::close(ready[0]);
  ::close(ready[1]);
}

TEST(OutputLocks, StalePartialsOfTheOutputAreRemovedAndOthersKept) {
  TempDir dir;
  const std::string output = dir.file("acts.h5");
  std::ofstream(dir.file(".acts.h5.partial-00ab")) << std::string(1000, 'x');
  fs::create_directory(dir.file(".acts.h5.partial-00cd.d"));
  std::ofstream(dir.file(".acts.h5.partial-00cd.d/plot.png")) << "png";
  std::ofstream(dir.file(".other.h5.partial-00ef")) << "another output's";
  std::ofstream(dir.file("acts.h5")) << "the previous output";
  EXPECT_EQ(remove_stale_partials(output), 2u);
  EXPECT_FALSE(fs::exists(dir.file(".acts.h5.partial-00ab")));
  EXPECT_FALSE(fs::exists(dir.file(".acts.h5.partial-00cd.d")));
  EXPECT_TRUE(fs::exists(dir.file(".other.h5.partial-00ef")));
  EXPECT_EQ(read_text(output), "the previous output");
}

// ---- CommandOutputs -----------------------------------------------------------------------

TEST(CommandOutputsGuard, ChecksLocksSweepsAndRefusesExistingOutputs) {
  TempDir dir;
  const std::string acts = dir.file("acts.h5");
  std::ofstream(acts) << "input";
  const std::string out = dir.file("graph.h5");
  std::ofstream(dir.file(".graph.h5.partial-1234")) << "left by a killed run";
  {
    CommandOutputs guard("coact graph", {{"--activations", acts}}, {OutputSpec::file("--out", out)}, false);
    ASSERT_EQ(guard.locks().size(), 1u);
    EXPECT_EQ(partials_in(dir.path()), 0u) << "the stale temporary is swept under the lock";
    EXPECT_THROW(CommandOutputs("coact graph", {}, {OutputSpec::file("--out", out)}, true), OutputBusyError);
    std::ofstream(out) << "written";
  }
  const std::string exists = error_of<OutputExistsError>(
      [&] { CommandOutputs again("coact graph", {{"--activations", acts}}, {OutputSpec::file("--out", out)}, false); });
  EXPECT_TRUE(contains(exists, "--out " + out)) << exists;
  EXPECT_TRUE(contains(exists, "--force")) << exists;
  EXPECT_FALSE(fs::exists(lock_path_of(out))) << "a refused command leaves no lock";
  EXPECT_NO_THROW(CommandOutputs("coact graph", {{"--activations", acts}}, {OutputSpec::file("--out", out)}, true));
  // An in-place update (communities) or a resume decides about the existing file itself.
  EXPECT_NO_THROW(CommandOutputs("coact communities", {},
                                 {OutputSpec::file("--graph", out, ExistingOutput::CommandDecides)}, false));
  // --force never lets an output replace an input.
  EXPECT_THROW(CommandOutputs("coact graph", {{"--activations", acts}}, {OutputSpec::file("--out", acts)}, true),
               UsageError);
}

TEST(CommandOutputsGuard, AFolderOutputIsCreatedAndRemovedAgainWhenNothingWasWritten) {
  TempDir dir;
  const std::string folder = dir.file("saes");
  {
    CommandOutputs guard("coact train", {}, {OutputSpec::folder("--out", folder, {"sae_1.h5", "sae_2.h5"})}, false);
    EXPECT_TRUE(fs::is_directory(folder));
    EXPECT_EQ(guard.locks().size(), 2u);
    EXPECT_TRUE(fs::exists(dir.file("saes/.sae_2.h5.lock")));
  }
  EXPECT_FALSE(fs::exists(folder)) << "an empty folder the guard made is removed";
  {
    CommandOutputs guard("coact train", {}, {OutputSpec::folder("--out", folder, {"sae_1.h5"})}, false);
    std::ofstream(dir.file("saes/sae_1.h5")) << "trained";
  }
  EXPECT_TRUE(fs::exists(dir.file("saes/sae_1.h5")));
  EXPECT_THROW(CommandOutputs("coact train", {}, {OutputSpec::folder("--out", folder, {"sae_1.h5"})}, false),
               OutputExistsError);
  EXPECT_NO_THROW(CommandOutputs("coact train", {},
                                 {OutputSpec::folder("--out", folder, {"sae_1.h5"}, ExistingOutput::CommandDecides)}, false));
  EXPECT_THROW(CommandOutputs("coact train", {}, {OutputSpec::folder("--out", dir.file("x/y"), {"a.h5"})}, false), UsageError);
}

// ---- DirectoryOutput ----------------------------------------------------------------------

TEST(FolderOutputs, NothingChangesUntilEveryFileIsCommitted) {
  TempDir dir;
  const std::string folder = dir.file("export");
  {
    DirectoryOutput out("--out", folder, {"weights.bin", "cfg.json"}, false);
    std::ofstream(out.temporary_path("weights.bin")) << "first weights";
    std::ofstream(out.temporary_path("cfg.json")) << "first cfg";
    out.commit();
  }
  EXPECT_EQ(read_text(dir.file("export/cfg.json")), "first cfg");
  // A second export without --force is refused before anything is written.
  const std::string message = error_of<OutputExistsError>([&] { DirectoryOutput again("--out", folder, {"weights.bin", "cfg.json"}, false); });
  EXPECT_TRUE(contains(message, "weights.bin")) << message;
  // With --force, a run that fails before commit leaves the first export whole.
  {
    DirectoryOutput out("--out", folder, {"weights.bin", "cfg.json"}, true);
    std::ofstream(out.temporary_path("weights.bin")) << "second weights";
    EXPECT_THROW(out.commit(), IoError) << "cfg.json was never written";
  }
  EXPECT_EQ(read_text(dir.file("export/weights.bin")), "first weights");
  EXPECT_EQ(read_text(dir.file("export/cfg.json")), "first cfg");
  EXPECT_EQ(partials_in(folder), 0u);
  EXPECT_THROW(DirectoryOutput("--out", dir.file("no/such"), {"a"}, false), UsageError) << "parents are never created";
}

TEST(FolderOutputs, ToolsWriteIntoTheStagingFolder) {
  TempDir dir;
  const std::string folder = dir.file("plots");
  DirectoryOutput out("--plots-dir", folder, {"degree.png", "cosine.png", "never.png"}, false);
  const std::string staging = out.staging_directory();
  EXPECT_EQ(fs::path(staging).parent_path(), fs::path(folder)) << "same file system as the destination";
  std::ofstream(staging + "/degree.png") << "d";
  std::ofstream(staging + "/cosine.png") << "c";
  EXPECT_FALSE(fs::exists(dir.file("plots/degree.png")));
  const auto moved = out.commit_written();
  EXPECT_EQ(moved, (std::vector<std::string>{"degree.png", "cosine.png"}));
  EXPECT_EQ(read_text(dir.file("plots/cosine.png")), "c");
  EXPECT_FALSE(fs::exists(dir.file("plots/never.png")));
}

// ---- temporaries of killed writers --------------------------------------------------------

// A child process writes an output through AtomicOutput and is killed by `signal` mid-write.
// Returns the child's wait status.
int kill_writer_mid_write(const std::string& output, int signal) {
  int ready[2];
  if (::pipe(ready) != 0) return -1;
  const pid_t child = ::fork();
  if (child == 0) {
    AtomicOutput out(output, false);
    std::ofstream(out.temporary_path()) << std::string(4096, 'x');
    const char byte = 1;
    if (::write(ready[1], &byte, 1) != 1) ::_exit(1);
    ::pause();  // still writing when the signal comes
    ::_exit(0);
  }
  char byte = 0;
  if (::read(ready[0], &byte, 1) != 1) return -1;
  ::kill(child, signal);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  return status;
}

TEST(KilledWriters, SigintAndSigtermTakeTheTemporaryWithThem) {
  for (int signal : {SIGINT, SIGTERM}) {
    TempDir dir;
    const int status = kill_writer_mid_write(dir.file("acts.h5"), signal);
    ASSERT_TRUE(WIFSIGNALED(status)) << "status " << status;
    EXPECT_EQ(WTERMSIG(status), signal);
    EXPECT_EQ(partials_in(dir.path()), 0u) << "signal " << signal << " left a temporary";
    EXPECT_FALSE(fs::exists(dir.file("acts.h5")));
  }
}

TEST(KilledWriters, TheFileSizeLimitFailsTheWriteAndLeavesNoTemporary) {
  TempDir dir;
  const std::string output = dir.file("acts.h5");
  const pid_t child = ::fork();
  if (child == 0) {
    const rlimit limit{64 * 1024, 64 * 1024};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    try {
      AtomicOutput out(output, false);
      File f = File::create(out.temporary_path());
      f.write_dataset<float>("/activations", std::vector<float>(1 << 18, 1.0f), {1 << 10, 1 << 8});
      f.close();
      out.commit();
    } catch (const Error& e) {
      ::_exit(std::string(e.what()).find("File too large") != std::string::npos ? 0 : 11);
    }
    ::_exit(12);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status)) << "SIGXFSZ must not kill the writer (status " << status << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "11: the error does not say File too large; 12: the write succeeded";
  EXPECT_EQ(partials_in(dir.path()), 0u);
  EXPECT_FALSE(fs::exists(output));
}

TEST(KilledWriters, ATemporaryLeftBySigkillIsSweptByTheNextRun) {
  TempDir dir;
  const int status = kill_writer_mid_write(dir.file("acts.h5"), SIGKILL);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(partials_in(dir.path()), 1u) << "nothing can clean up after SIGKILL";
  CommandOutputs next("coact synth", {}, {OutputSpec::file("--out", dir.file("acts.h5"))}, false);
  EXPECT_EQ(partials_in(dir.path()), 0u);
}

}  // namespace
}  // namespace coact::io
