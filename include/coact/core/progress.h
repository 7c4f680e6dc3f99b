// Progress of a long loop: on a terminal a bar with rate and ETA redrawn in place; otherwise
// (a batch job's log) one plain line every `interval_seconds`. Only ranks with logging
// enabled draw; advancing a disabled reporter costs a branch.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace coact {

class Progress {
 public:
  struct Options {
    double interval_seconds = 10.0;  // plain-line cadence when stderr is not a terminal
    bool enabled = true;             // e.g. false on non-root ranks
    std::FILE* stream = stderr;
    int force_terminal = -1;         // -1: detect with isatty; 0/1: force (tests)
  };

  // total <= 0 means unknown: no bar or ETA, only count and rate.
  Progress(std::string label, std::int64_t total, std::string unit, Options options);
  Progress(std::string label, std::int64_t total, std::string unit);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void advance(std::int64_t amount = 1);
  // Extra text after the rate, e.g. "loss 0.0132  L0 41.2".
  void set_status(std::string status);
  // Prints the final line (count, rate, elapsed) once.
  void finish();

  std::int64_t done() const { return done_; }
  double elapsed_seconds() const;
  double rate() const;  // units per second so far

  // The line that would be drawn now (exposed for tests).
  std::string render_line(bool terminal) const;

 private:
  void maybe_draw();
  void draw(bool final_line);

  std::string label_;
  std::int64_t total_;
  std::string unit_;
  Options options_;
  bool terminal_ = false;
  bool finished_ = false;
  std::int64_t done_ = 0;
  std::string status_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace coact
