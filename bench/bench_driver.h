#pragma once

// The one timing loop and verification count every C++ benchmark shares, so that each reports
// its figures the same way: runs timed on the steady clock after untimed warm-ups, summarised
// by median or best, and a count of checked and wrong results that decides the exit status.
// Phases inside one run are still timed with coact::Stopwatch; this adds no other clock.

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "coact/core/timer.h"

namespace coact::bench {

// Seconds of each timed run, in the order they ran.
class Samples {
 public:
  void add(double seconds) { values_.push_back(seconds); }
  std::size_t count() const { return values_.size(); }
  const std::vector<double>& values() const { return values_; }

  // For an even count, the upper of the two middle values: always a time that one run
  // actually took, and what the benchmarks reported before they shared this driver.
  double median() const {
    require("median");
    std::vector<double> sorted = values_;
    const auto middle = sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2);
    std::nth_element(sorted.begin(), middle, sorted.end());
    return *middle;
  }
  // The best run: the figure least disturbed by other work on a shared machine.
  double min() const {
    require("min");
    return *std::min_element(values_.begin(), values_.end());
  }
  double max() const {
    require("max");
    return *std::max_element(values_.begin(), values_.end());
  }

 private:
  // A summary of no runs would print a time nobody measured.
  void require(const char* what) const {
    if (values_.empty()) throw std::logic_error(std::string("Samples::") + what + " of zero samples");
  }

  std::vector<double> values_;
};

// Calls run() `warmup` times untimed (page cache, allocator, thread pools, lazy device set-up),
// then `repeat` times, each timed alone. A GPU run must synchronise inside run() so that its
// time covers the work and not just the launch.
template <class Run>
Samples time_runs(int warmup, int repeat, Run&& run) {
  if (repeat < 1) throw std::invalid_argument("time_runs: repeat must be at least 1");
  for (int w = 0; w < warmup; ++w) run();
  Samples samples;
  for (int r = 0; r < repeat; ++r) {
    const Stopwatch clock;  // steady_clock: wall time that never jumps with the system clock
    run();
    samples.add(clock.seconds());
  }
  return samples;
}

// Results checked against a reference during the benchmark. A fast wrong answer is not a
// result: every benchmark counts what it checked and what was wrong, prints the count beside
// its figures, and exits non-zero when anything was wrong, so a script that only reads the
// figures still sees the failure.
class Verification {
 public:
  void check(bool ok) {
    ++checked_;
    wrong_ += ok ? 0 : 1;
  }
  void add(std::size_t checked, std::size_t wrong) {
    checked_ += checked;
    wrong_ += wrong;
  }
  std::size_t checked() const { return checked_; }
  std::size_t wrong() const { return wrong_; }
  bool ok() const { return wrong_ == 0; }
  void print(std::FILE* out) const { std::fprintf(out, "verification: %zu checked, %zu wrong\n", checked_, wrong_); }
  int exit_code() const { return ok() ? 0 : 1; }

 private:
  std::size_t checked_ = 0, wrong_ = 0;
};

}  // namespace coact::bench
