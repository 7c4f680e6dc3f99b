#include <gtest/gtest.h>

#include "coact/core/errors.h"

namespace coact {
namespace {

TEST(Errors, HierarchyAndExitCodes) {
  EXPECT_EQ(UsageError("x").exit_code(), 2);
  EXPECT_EQ(ConfigError("x").exit_code(), 2);
  EXPECT_TRUE(ConfigError("x").collective());
  EXPECT_EQ(InputError("x").exit_code(), 1);
  EXPECT_FALSE(InputError("x").collective());
  EXPECT_TRUE(OutputExistsError("x").collective());
  EXPECT_EQ(InterruptedError("x").exit_code(), 130);

  // Catchable by kind and by base.
  EXPECT_THROW(throw MpiError("m"), LibraryError);
  EXPECT_THROW(throw Hdf5Error("h"), LibraryError);
  EXPECT_THROW(throw NcclError("n"), Error);
  EXPECT_THROW(throw CudaError("c"), LibraryError);
  EXPECT_THROW(throw CublasError("b"), std::runtime_error);
}

TEST(Errors, RequireThrowsTypedErrorWithMessage) {
  try {
    COACT_REQUIRE(1 + 1 == 3, InputError, "file.h5: expected ", 3, " got ", 2);
    FAIL() << "did not throw";
  } catch (const InputError& e) {
    EXPECT_STREQ(e.what(), "file.h5: expected 3 got 2");
  }
  EXPECT_NO_THROW(COACT_REQUIRE(true, InputError, "never"));
}

TEST(Errors, LibraryFailureNamesCallFileAndLine) {
  EXPECT_EQ(source_location_path("/home/me/coact/src/dist/mpi_comm.cpp"), "src/dist/mpi_comm.cpp");
  EXPECT_EQ(source_location_path("/x/include/coact/io/h5.h"), "include/coact/io/h5.h");
  EXPECT_EQ(source_location_path("plain.cpp"), "plain.cpp");
  const std::string message = library_failure_message("MPI", "MPI_Bcast(x)", "invalid root", "/a/src/dist/c.cpp", 42);
  EXPECT_EQ(message, "MPI call MPI_Bcast(x) failed at src/dist/c.cpp:42: invalid root");
}

}  // namespace
}  // namespace coact
