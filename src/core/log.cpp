#include "coact/core/log.h"

#include <atomic>

#include <cstdio>
#include <mutex>

#include "coact/core/errors.h"

namespace coact::log {
namespace {

// Process-wide by nature: stderr is. Set once by main before threads start.
Settings g_settings;
std::mutex g_write_mutex;

const char* level_tag(Level level) {
  switch (level) {
    case Level::Debug: return "debug: ";
    case Level::Warn: return "warning: ";
    case Level::Error: return "error: ";
    default: return "";
  }
}

}  // namespace

Level parse_level(std::string_view name) {
  if (name == "debug") return Level::Debug;
  if (name == "info") return Level::Info;
  if (name == "warn" || name == "warning") return Level::Warn;
  if (name == "error") return Level::Error;
  if (name == "quiet") return Level::Quiet;
  throw UsageError(str("--log-level: '", name, "' is not one of debug, info, warn, error, quiet"));
}

void configure(const Settings& settings) { g_settings = settings; }

const Settings& settings() { return g_settings; }

namespace {
std::atomic<int> g_group_voices{0};
}  // namespace

GroupVoice::GroupVoice(bool speaks) : speaks_(speaks) {
  if (speaks_) ++g_group_voices;
}
GroupVoice::~GroupVoice() {
  if (speaks_) --g_group_voices;
}

bool reporting() { return g_settings.all_ranks || g_settings.rank == 0 || g_group_voices.load() > 0; }

bool enabled(Level level) {
  if (level < g_settings.level) return false;
  if (level == Level::Error) return true;
  return reporting();
}

void write(Level level, std::string_view message) {
  std::string line;
  if (g_settings.size > 1 && (g_settings.all_ranks || level == Level::Error))
    line = str("[rank ", g_settings.rank, "] ");
  line += level_tag(level);
  line += message;
  line += '\n';
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace coact::log
