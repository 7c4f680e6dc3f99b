// main() for MPI test executables: initialises MPI once for all tests; only rank 0 prints the
// usual report, other ranks print their failures (prefixed with the rank).
#include <gtest/gtest.h>

#include <iostream>

#include "coact/dist/mpi.h"

namespace {

class FailurePrinter : public testing::EmptyTestEventListener {
 public:
  explicit FailurePrinter(int rank) : rank_(rank) {}
  void OnTestPartResult(const testing::TestPartResult& result) override {
    if (result.failed())
      std::cerr << "[rank " << rank_ << "] " << (result.file_name() ? result.file_name() : "?") << ":"
                << result.line_number() << ": " << result.summary() << std::endl;
  }

 private:
  int rank_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  coact::dist::MpiRuntime mpi(&argc, &argv);
  if (!mpi.is_root()) {
    auto& listeners = testing::UnitTest::GetInstance()->listeners();
    delete listeners.Release(listeners.default_result_printer());
    listeners.Append(new FailurePrinter(mpi.rank()));
  }
  const int local = RUN_ALL_TESTS();
  // Every rank agrees on the verdict, so mpiexec's exit status reflects any rank's failure.
  const int failures = mpi.world().allreduce_sum(local);
  return failures == 0 ? 0 : 1;
}
