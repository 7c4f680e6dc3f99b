// The signal cleanup table: a process ended by SIGTERM/SIGINT/SIGHUP removes the registered
// files and still dies by that signal; SIGXFSZ removes them and lets the write fail with EFBIG.
// Each case runs in a forked child so the test process keeps its own signal dispositions.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <vector>

#include "coact/core/interrupt.h"
#include "coact/core/signal_cleanup.h"
#include "support/temp_dir.h"

namespace coact {
namespace {

namespace fs = std::filesystem;

// Runs `body` in a child process and returns its wait status.
template <class Body>
int in_child(const Body& body) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    body();
    ::_exit(0);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return status;
}

class SignalCleanup : public ::testing::TestWithParam<int> {};

TEST_P(SignalCleanup, RemovesRegisteredFilesAndDiesByTheSignal) {
  testing::TempDir dir;
  const std::string partial = dir.file(".out.h5.partial-1");
  const std::string kept = dir.file("unrelated.txt");
  const int signal = GetParam();
  const int status = in_child([&] {
    std::signal(signal, SIG_DFL);  // as in a fresh process
    std::ofstream(partial) << "half written";
    std::ofstream(kept) << "not registered";
    install_signal_cleanup();
    remove_on_signal(partial);
    std::raise(signal);
    ::_exit(3);  // not reached: the signal ends the process
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "the child must still die by the signal (status " << status << ")";
  EXPECT_EQ(WTERMSIG(status), signal);
  EXPECT_FALSE(fs::exists(partial)) << "the registered temporary file is removed";
  EXPECT_TRUE(fs::exists(kept)) << "only registered files are removed";
}

INSTANTIATE_TEST_SUITE_P(Signals, SignalCleanup, ::testing::Values(SIGINT, SIGTERM, SIGHUP));

TEST(SignalCleanupTable, ForgottenFilesAreKept) {
  testing::TempDir dir;
  const std::string committed = dir.file(".out.h5.partial-2");
  const int status = in_child([&] {
    std::signal(SIGTERM, SIG_DFL);
    std::ofstream(committed) << "done";
    install_signal_cleanup();
    forget_on_signal(remove_on_signal(committed));
    std::raise(SIGTERM);
  });
  ASSERT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(fs::exists(committed)) << "a file unregistered (e.g. after commit) is left alone";
  EXPECT_EQ(remove_on_signal(std::string(5000, 'x')), -1) << "a path beyond PATH_MAX is not registered";
}

TEST(SignalCleanupTable, FileSizeLimitRemovesThePartialAndTheWriteFails) {
  testing::TempDir dir;
  const std::string partial = dir.file(".big.h5.partial-3");
  const int status = in_child([&] {
    std::signal(SIGXFSZ, SIG_DFL);
    const rlimit limit{4096, 4096};
    if (::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(10);
    install_signal_cleanup();
    const int fd = ::open(partial.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0) ::_exit(11);
    remove_on_signal(partial);
    const std::vector<char> block(8192, 'x');
    ssize_t written = 0;
    while (written >= 0) written = ::write(fd, block.data(), block.size());  // the second write crosses the limit
    if (errno != EFBIG) ::_exit(12);
    if (!file_size_limit_exceeded()) ::_exit(13);
    ::_exit(0);
  });
  ASSERT_TRUE(WIFEXITED(status)) << "the limit must not kill the writer (status " << status << ")";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "12: write did not fail with EFBIG; 13: SIGXFSZ not recorded";
  EXPECT_FALSE(fs::exists(partial));
}

TEST(SignalCleanupTable, InterruptHandlersKeepTheirMeaningAndASecondCtrlCCleansUp) {
  testing::TempDir dir;
  const std::string partial = dir.file(".sae_1.h5.partial-4");
  const int status = in_child([&] {
    install_interrupt_handlers();
    install_signal_cleanup();  // must not replace the stop-at-the-next-step handler
    std::ofstream(partial) << "checkpoint in progress";
    remove_on_signal(partial);
    std::raise(SIGINT);
    if (!interrupt_requested()) ::_exit(20);
    if (!fs::exists(partial)) ::_exit(21);  // the first Ctrl-C only asks to stop
    std::raise(SIGINT);
    ::_exit(22);
  });
  ASSERT_TRUE(WIFSIGNALED(status)) << "exit status " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  EXPECT_EQ(WTERMSIG(status), SIGINT);
  EXPECT_FALSE(fs::exists(partial));
}

}  // namespace
}  // namespace coact
