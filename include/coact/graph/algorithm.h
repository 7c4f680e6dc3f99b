// The shape every graph algorithm has (NetworKit's habit): the constructor takes the graph and
// validates its arguments, run() does the work, and getters refuse to answer before run().
#pragma once

#include <string>

namespace coact::graph {

class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual void run() = 0;
  bool has_run() const { return has_run_; }

 protected:
  // Throws std::logic_error naming the algorithm when run() has not completed: asking first is
  // a programming error, not bad input.
  void assure_finished(const char* algorithm) const;
  void mark_finished() { has_run_ = true; }

 private:
  bool has_run_ = false;
};

}  // namespace coact::graph
