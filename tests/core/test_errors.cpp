#include <gtest/gtest.h>

#include "coact/core/errors.h"
#include "coact/core/memory.h"

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

TEST(Errors, LibraryFailureKeepsTheSourceLocationOutOfTheUsersLine) {
  EXPECT_EQ(source_location_path("/home/me/coact/src/dist/mpi_comm.cpp"), "src/dist/mpi_comm.cpp");
  EXPECT_EQ(source_location_path("/x/include/coact/io/h5.h"), "include/coact/io/h5.h");
  EXPECT_EQ(source_location_path("plain.cpp"), "plain.cpp");
  const LibraryFailure failure = library_failure("MPI", "MPI_Bcast(x, 1, MPI_INT)", "invalid root", "/a/src/dist/c.cpp", 42);
  EXPECT_EQ(failure.message, "MPI MPI_Bcast failed: invalid root");
  EXPECT_EQ(failure.debug_context, "MPI call MPI_Bcast(x, 1, MPI_INT) failed at src/dist/c.cpp:42");
  try {
    throw MpiError(failure);
  } catch (const LibraryError& e) {
    EXPECT_STREQ(e.what(), "MPI MPI_Bcast failed: invalid root");
    EXPECT_EQ(std::string(e.what()).find("c.cpp"), std::string::npos) << "no source location in the user's line";
    EXPECT_EQ(e.debug_context(), failure.debug_context);
  }
  EXPECT_EQ(InputError("x.h5: bad").debug_context(), "") << "input errors have no developer context";
}

TEST(Errors, OutOfMemoryNamesPurposeSizeAndFlag) {
  try {
    // Beyond std::vector::max_size(): refused with length_error before any memory is touched.
    (void)allocate_vector<double>({"the edge map of batch 3", "--batch-tokens"}, std::size_t{1} << 61);
    FAIL() << "did not throw";
  } catch (const OutOfMemoryError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("the edge map of batch 3"), std::string::npos) << message;
    EXPECT_NE(message.find("PiB"), std::string::npos) << message;
    EXPECT_NE(message.find("--batch-tokens"), std::string::npos) << message;
  }
  std::vector<int> v;
  resize_vector(v, 5, {"five ints"});
  EXPECT_EQ(v.size(), 5u);
  EXPECT_THROW(reserve_vector(v, std::size_t{1} << 62, {"too many ints"}), OutOfMemoryError);
  EXPECT_THROW(allocating({"a failing allocation"}, 1e6, []() -> int { throw std::bad_alloc(); }), OutOfMemoryError);
  EXPECT_EQ(allocating({"a working allocation"}, 8, [] { return 7; }), 7);
}

}  // namespace
}  // namespace coact
