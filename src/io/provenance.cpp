#include "coact/io/provenance.h"

#include <ctime>

#include "coact/core/errors.h"
#include "coact/version.h"

namespace coact::io {

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_provenance(File& file, const Provenance& provenance) {
  auto attrs = file.attributes();
  attrs.set("coact_kind", provenance.kind);
  attrs.set("producer", std::string("coact ") + COACT_VERSION_STRING);
  attrs.set("format_version", kFormatVersion);
  attrs.set("created", utc_now());
  attrs.set("command_line", provenance.command_line);
  attrs.set("config", provenance.config);
  for (const auto& [role, value] : provenance.inputs) attrs.set("input_" + role, value);
}

std::string file_kind(const File& file) { return file.attributes().get_string_or("coact_kind", ""); }

void require_kind(const File& file, const std::string& wanted) {
  const std::string kind = file_kind(file);
  if (kind == wanted) return;
  if (kind.empty()) throw InputError(str(file.path(), ": not a coact ", wanted, " file (no coact_kind attribute)"));
  throw InputError(str(file.path(), ": is a coact ", kind, " file, expected a ", wanted, " file"));
}

}  // namespace coact::io
