#include <gtest/gtest.h>

#include "coact/core/errors.h"
#include "coact/dist/mpi.h"
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

}  // namespace
}  // namespace coact::dist
