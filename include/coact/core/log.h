// Logging to stderr. By default only the root rank writes, so an 8-rank job prints one log;
// --log-all-ranks prefixes every line with its rank instead. Configure once in main.
#pragma once

#include <string>
#include <string_view>

#include "coact/core/strings.h"

namespace coact::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Quiet = 4 };

// "debug", "info", "warn", "error", "quiet"; throws UsageError on anything else.
Level parse_level(std::string_view name);

struct Settings {
  Level level = Level::Info;
  int rank = 0;
  int size = 1;
  bool all_ranks = false;
};

void configure(const Settings& settings);
const Settings& settings();

// While one lives, this rank logs as the root does: work split over rank groups (seeds training
// at once on different ranks) is reported by each group's root, not by world rank 0 alone.
class GroupVoice {
 public:
  explicit GroupVoice(bool speaks);
  ~GroupVoice();
  GroupVoice(const GroupVoice&) = delete;
  GroupVoice& operator=(const GroupVoice&) = delete;

 private:
  bool speaks_;
};
// Whether this rank reports (the root, a group root with a GroupVoice, or every rank).
bool reporting();

// Whether a message at this level would be written by this rank.
bool enabled(Level level);

// Writes one line (thread-safe). Errors are written by every rank that has them.
void write(Level level, std::string_view message);

template <class... Args>
void debug(const Args&... args) {
  if (enabled(Level::Debug)) write(Level::Debug, str(args...));
}
template <class... Args>
void info(const Args&... args) {
  if (enabled(Level::Info)) write(Level::Info, str(args...));
}
template <class... Args>
void warn(const Args&... args) {
  if (enabled(Level::Warn)) write(Level::Warn, str(args...));
}
template <class... Args>
void error(const Args&... args) {
  if (enabled(Level::Error)) write(Level::Error, str(args...));
}

}  // namespace coact::log
