#include "coact/graph/algorithm.h"

#include <stdexcept>

#include "coact/core/strings.h"

namespace coact::graph {

void Algorithm::assure_finished(const char* algorithm) const {
  if (!has_run_) throw std::logic_error(str(algorithm, ": call run() before asking for results"));
}

}  // namespace coact::graph
