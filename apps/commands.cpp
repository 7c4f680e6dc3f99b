#include "commands.h"

namespace coact::app {

const std::vector<CommandEntry>& commands() {
  static const std::vector<CommandEntry> table = {
      {"info", "print version, backends, libraries, devices, ranks and threads", run_info},
  };
  return table;
}

}  // namespace coact::app
