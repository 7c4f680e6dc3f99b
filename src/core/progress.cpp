#include "coact/core/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "coact/core/log.h"
#include "coact/core/strings.h"

namespace coact {

Progress::Progress(std::string label, std::int64_t total, std::string unit)
    : Progress(std::move(label), total, std::move(unit), Options{}) {}

Progress::Progress(std::string label, std::int64_t total, std::string unit, Options options)
    : label_(std::move(label)), total_(total), unit_(std::move(unit)), options_(options) {
  if (options_.enabled) options_.enabled = log::enabled(log::Level::Info);
  terminal_ = options_.force_terminal >= 0 ? options_.force_terminal == 1
                                           : (options_.stream != nullptr && isatty(fileno(options_.stream)) == 1);
  start_ = last_draw_ = std::chrono::steady_clock::now();
}

Progress::~Progress() {
  if (!finished_ && options_.enabled && terminal_) {
    // Leave the bar's line intact but end it, so later output starts on a fresh line.
    std::fputc('\n', options_.stream);
  }
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Progress::rate() const {
  const double t = elapsed_seconds();
  return t > 0 ? static_cast<double>(done_) / t : 0.0;
}

void Progress::advance(std::int64_t amount) {
  done_ += amount;
  if (options_.enabled) maybe_draw();
}

void Progress::set_status(std::string status) { status_ = std::move(status); }

std::string Progress::render_line(bool terminal) const {
  const double r = rate();
  std::string line = label_ + " ";
  if (total_ > 0) {
    const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
    if (terminal) {
      constexpr int width = 24;
      const int filled = static_cast<int>(std::floor(fraction * width));
      line += "[" + std::string(filled, '#') + std::string(width - filled, '.') + "] ";
    }
    line += str(human_count(static_cast<double>(done_)), "/", human_count(static_cast<double>(total_)), " ", unit_);
    char pct[16];
    std::snprintf(pct, sizeof pct, " (%.0f%%)", fraction * 100.0);
    line += pct;
  } else {
    line += str(human_count(static_cast<double>(done_)), " ", unit_);
  }
  line += str(", ", human_count(r), " ", unit_, "/s");
  if (total_ > 0 && r > 0 && done_ < total_) {
    line += ", ETA " + human_duration(static_cast<double>(total_ - done_) / r);
  }
  if (!status_.empty()) line += ", " + status_;
  return line;
}

void Progress::maybe_draw() {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  const double cadence = terminal_ ? 0.2 : options_.interval_seconds;
  if (since < cadence) return;
  last_draw_ = now;
  draw(false);
}

void Progress::draw(bool final_line) {
  std::string line;
  if (terminal_) line += '\r';
  line += render_line(terminal_);
  if (terminal_) line += "\033[K";  // clear what a longer previous line left
  if (!terminal_ || final_line) line += '\n';
  std::fputs(line.c_str(), options_.stream);
  std::fflush(options_.stream);
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (!options_.enabled) return;
  std::string saved = status_;
  status_ = saved.empty() ? str("done in ", human_duration(elapsed_seconds()))
                          : saved + str(", done in ", human_duration(elapsed_seconds()));
  draw(true);
  status_ = saved;
}

}  // namespace coact
