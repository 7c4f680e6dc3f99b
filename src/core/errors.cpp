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

LibraryFailure library_failure(std::string_view library, std::string_view call, std::string_view detail,
                               const char* file, int line) {
  std::string_view function = call.substr(0, call.find('('));
  while (!function.empty() && function.back() == ' ') function.remove_suffix(1);
  LibraryFailure failure;
  failure.message = str(library, " ", function, " failed", detail.empty() ? "" : ": ", detail);
  failure.debug_context = str(library, " call ", call, " failed at ", source_location_path(file), ":", line);
  return failure;
}

}  // namespace coact
