#include <gtest/gtest.h>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/dist/mpi.h"
#include "coact/dist/root.h"
#include "support/mpi_env.h"

namespace coact::dist {
namespace {

TEST(MpiRuntime, WrapsAnAlreadyInitialisedMpi) {
  // main() initialised MPI; a second runtime must neither re-initialise nor finalise it.
  int argc = 0;
  char** argv = nullptr;
  {
    MpiRuntime runtime(&argc, &argv);
    EXPECT_EQ(runtime.size(), coact::testing::world().size());
    EXPECT_EQ(runtime.rank(), coact::testing::world().rank());
    EXPECT_GE(runtime.local_rank(), 0);
    EXPECT_LT(runtime.local_rank(), runtime.local_size());
    EXPECT_EQ(runtime.host_count(), 1) << "tests run on one machine";
    EXPECT_EQ(runtime.local_size(), runtime.size());
  }
  EXPECT_TRUE(mpi_active());
}

TEST(MpiRuntime, ErrorsBecomeExceptions) {
  // An invalid root is reported as MpiError (MPI_ERRORS_RETURN), not a silent job kill.
  int value = 0;
  int argc = 0;
  char** argv = nullptr;
  MpiRuntime runtime(&argc, &argv);
  try {
    runtime.world().broadcast(&value, sizeof value, runtime.size() + 5);
    FAIL() << "expected MpiError";
  } catch (const MpiError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("MPI MPI_Bcast failed"), std::string::npos) << message;
    EXPECT_EQ(message.find("mpi_comm.cpp"), std::string::npos) << "no source location in the user's line: " << message;
    EXPECT_NE(e.debug_context().find("src/dist/mpi_comm.cpp:"), std::string::npos) << e.debug_context();
  }
}

TEST(MpiRuntime, VersionStrings) {
  EXPECT_NE(mpi_library_version().find("MPI"), std::string::npos) << mpi_library_version();
  EXPECT_FALSE(processor_name().empty());
}

// A rank's own work that fails (its share of a file) ends every rank with the lowest failing
// rank's message and exit code, so none waits in a collective the failed rank never reaches.
TEST(SerialSteps, EveryRankRaisesTheLowestFailingRanksError) {
  Comm& world = coact::testing::world();
  int ran = 0;
  run_on_every_rank(world, [&] { ++ran; });
  EXPECT_EQ(ran, 1);
  const int failing = world.size() > 1 ? 1 : 0;
  try {
    run_on_every_rank(world, [&] {
      if (world.rank() >= failing) throw InputError(str("share of rank ", world.rank(), " is unreadable"));
    });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), str("share of rank ", failing, " is unreadable"));
    EXPECT_EQ(e.exit_code(), InputError("x").exit_code());
    EXPECT_EQ(e.collective(), world.size() > 1);
  }
  // The communicator is still in step afterwards.
  EXPECT_EQ(world.broadcast_value(world.rank() + 40, 0), 40);
}

}  // namespace
}  // namespace coact::dist
