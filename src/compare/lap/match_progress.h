// Progress of the assignment solvers in matched rows (coact::Progress), for large problems
// only. Internal to the compare module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "coact/core/progress.h"

namespace coact::compare::lap {

// Progress in matched rows (the count can fall when pricing unmatches rows; the bar only
// moves forward, to the most rows matched so far).
class MatchProgress {
 public:
  MatchProgress(const std::string& label, std::int64_t min_rows, std::int64_t rows) {
    if (rows >= min_rows && rows > 0) progress_ = std::make_unique<Progress>(label, rows, "rows");
  }
  void report(std::int64_t matched) {
    if (progress_ && matched > shown_) {
      progress_->advance(matched - shown_);
      shown_ = matched;
    }
  }
  void status(std::string text) {
    if (progress_) progress_->set_status(std::move(text));
  }
  void finish() {
    if (progress_) progress_->finish();
  }

 private:
  std::unique_ptr<Progress> progress_;
  std::int64_t shown_ = 0;
};

}  // namespace coact::compare::lap
