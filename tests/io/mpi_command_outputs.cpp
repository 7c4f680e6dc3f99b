// Under MPI the ranks of one job are one writer: only the root takes the output locks, and every
// rank raises the same error when the root's checks fail, so no rank hangs and none writes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "coact/core/errors.h"
#include "coact/io/command_outputs.h"
#include "support/mpi_env.h"

namespace coact::io {
namespace {

namespace fs = std::filesystem;
using coact::testing::world;

// A folder shared by the ranks of this run (they share a working directory).
std::string shared_folder(const char* name) {
  auto& w = world();
  const std::string folder = std::string(name) + "_np" + std::to_string(w.size());
  if (w.is_root()) {
    fs::remove_all(folder);
    fs::create_directories(folder);
  }
  w.barrier();
  return folder;
}

TEST(CommandOutputsMpi, OnlyTheRootLocksAndEveryRankSharesItsVerdict) {
  auto& w = world();
  const std::string folder = shared_folder("mpi_outputs");
  const std::string output = folder + "/graph.h5";
  {
    CommandOutputs guard("coact graph", {}, {OutputSpec::file("--out", output)}, false, &w);
    EXPECT_EQ(guard.locks().size(), w.is_root() ? 1u : 0u);
    w.barrier();
    EXPECT_TRUE(fs::exists(folder + "/.graph.h5.lock"));
    // A second writer of the same output, while the first holds it: every rank fails alike.
    try {
      CommandOutputs second("coact graph", {}, {OutputSpec::file("--out", output)}, true, &w);
      ADD_FAILURE() << "rank " << w.rank() << ": the second writer was not refused";
    } catch (const OutputBusyError& e) {
      EXPECT_TRUE(e.collective());
      // The root's message, on every rank: it names the root (the holder), by pid and host.
      const int root_pid = w.broadcast_value(static_cast<int>(::getpid()), 0);
      EXPECT_NE(std::string(e.what()).find("pid " + std::to_string(root_pid) + " on host "), std::string::npos)
          << e.what();
    }
    w.barrier();
  }
  w.barrier();
  EXPECT_FALSE(fs::exists(folder + "/.graph.h5.lock"));

  const std::string input = folder + "/acts.h5";
  if (w.is_root()) std::ofstream(input) << "activations";
  w.barrier();
  EXPECT_THROW(CommandOutputs("coact graph", {{"--activations", input}}, {OutputSpec::file("--out", input)}, true, &w),
               UsageError);
  if (w.is_root()) std::ofstream(output) << "previous graph";
  w.barrier();
  EXPECT_THROW(CommandOutputs("coact graph", {}, {OutputSpec::file("--out", output)}, false, &w), OutputExistsError);
  w.barrier();
  if (w.is_root()) fs::remove_all(folder);
}

}  // namespace
}  // namespace coact::io
