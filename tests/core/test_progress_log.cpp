#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/progress.h"

namespace coact {
namespace {

std::string read_all(std::FILE* f) {
  std::rewind(f);
  std::string out;
  char buf[512];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  return out;
}

TEST(Progress, PlainLinesHaveCountRateAndEta) {
  std::FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  {
    Progress p("train", 1000, "steps", {.interval_seconds = 0.0, .enabled = true, .stream = f, .force_terminal = 0});
    p.advance(250);
    p.set_status("loss 0.5");
    const std::string line = p.render_line(false);
    EXPECT_NE(line.find("train 250/1 k steps (25%)"), std::string::npos) << line;
    EXPECT_NE(line.find("steps/s"), std::string::npos) << line;
    EXPECT_NE(line.find("ETA"), std::string::npos) << line;
    EXPECT_NE(line.find("loss 0.5"), std::string::npos) << line;
    EXPECT_EQ(line.find('['), std::string::npos) << "no bar in a log file: " << line;
    p.advance(750);
    p.finish();
  }
  const std::string written = read_all(f);
  std::fclose(f);
  EXPECT_NE(written.find("done in"), std::string::npos) << written;
  EXPECT_EQ(written.find('\r'), std::string::npos) << "log output must not redraw in place";
}

TEST(Progress, TerminalDrawsABar) {
  std::FILE* f = std::tmpfile();
  Progress p("graph", 10, "batches", {.interval_seconds = 10, .enabled = true, .stream = f, .force_terminal = 1});
  p.advance(5);
  const std::string line = p.render_line(true);
  EXPECT_NE(line.find("[############............]"), std::string::npos) << line;
  p.finish();
  EXPECT_NE(read_all(f).find('\r'), std::string::npos);
  std::fclose(f);
}

TEST(Progress, UnknownTotalShowsCountOnly) {
  Progress p("read", 0, "rows", {.enabled = false});
  p.advance(12);
  EXPECT_EQ(p.done(), 12);
  const std::string line = p.render_line(false);
  EXPECT_NE(line.find("read 12 rows"), std::string::npos) << line;
  EXPECT_EQ(line.find("ETA"), std::string::npos);
}

TEST(Log, LevelsAndRanks) {
  EXPECT_EQ(log::parse_level("debug"), log::Level::Debug);
  EXPECT_EQ(log::parse_level("warning"), log::Level::Warn);
  EXPECT_THROW(log::parse_level("loud"), UsageError);
  const log::Settings saved = log::settings();
  log::configure({log::Level::Info, 2, 4, false});
  EXPECT_FALSE(log::enabled(log::Level::Info)) << "non-root ranks are quiet by default";
  EXPECT_TRUE(log::enabled(log::Level::Error)) << "errors are reported by the rank that has them";
  log::configure({log::Level::Info, 2, 4, true});
  EXPECT_TRUE(log::enabled(log::Level::Info));
  EXPECT_FALSE(log::enabled(log::Level::Debug));
  log::configure({log::Level::Info, 0, 4, false});
  EXPECT_TRUE(log::enabled(log::Level::Info));
  log::configure(saved);
}

}  // namespace
}  // namespace coact

#include <csignal>

#include "coact/core/interrupt.h"

namespace coact {
namespace {

TEST(Interrupt, SignalsSetTheFlagInsteadOfKilling) {
  install_interrupt_handlers();
  clear_interrupt();
  EXPECT_FALSE(interrupt_requested());
  std::raise(SIGUSR1);
  EXPECT_TRUE(interrupt_requested());
  EXPECT_EQ(interrupt_signal(), SIGUSR1);
  std::raise(SIGTERM);
  EXPECT_EQ(interrupt_signal(), SIGUSR1) << "the first signal is kept";
  clear_interrupt();
  EXPECT_FALSE(interrupt_requested());
}

}  // namespace
}  // namespace coact
