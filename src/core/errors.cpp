#include "coact/core/errors.h"

#include <cstring>

namespace coact {

std::string_view source_location_path(const char* file) noexcept {
  std::string_view path(file ? file : "?");
  for (const char* top : {"/src/", "/include/", "/apps/", "/tests/", "/bench/"}) {
    const auto pos = path.rfind(top);
    if (pos != std::string_view::npos) return path.substr(pos + 1);
  }
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string library_failure_message(std::string_view library, std::string_view call, std::string_view detail,
                                    const char* file, int line) {
  return str(library, " call ", call, " failed at ", source_location_path(file), ":", line, ": ", detail);
}

}  // namespace coact
