#include "display_name.h"

#include <cstdio>

#include "coact/core/json_value.h"

namespace coact::io::detail {
namespace {

constexpr std::size_t kMaxBytes = 120;

// Length of the UTF-8 sequence its lead byte announces (0 for a byte that cannot lead one).
std::size_t announced_length(unsigned char lead) {
  if (lead >= 0xc2 && lead <= 0xdf) return 2;
  if (lead >= 0xe0 && lead <= 0xef) return 3;
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  return 0;
}

}  // namespace

std::string display_name(std::string_view name) {
  bool plain = name.size() <= kMaxBytes && valid_utf8(name);
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) plain = false;
  }
  if (plain) return std::string(name);
  // Quoted, with control characters and bytes that are not UTF-8 escaped.
  std::string out = "\"";
  std::size_t i = 0;
  while (i < name.size() && out.size() < kMaxBytes) {
    const auto u = static_cast<unsigned char>(name[i]);
    char escape[8];
    if (u == '"' || u == '\\') {
      out += '\\';
      out += static_cast<char>(u);
    } else if (u >= 0x20 && u < 0x7f) {
      out += static_cast<char>(u);
    } else if (u == '\n' || u == '\r' || u == '\t') {
      out += u == '\n' ? "\\n" : u == '\r' ? "\\r" : "\\t";
    } else if (const std::size_t n = announced_length(u); n > 0 && valid_utf8(name.substr(i, n)) && i + n <= name.size()) {
      out.append(name.substr(i, n));
      i += n;
      continue;
    } else {
      std::snprintf(escape, sizeof escape, u < 0x80 ? "\\u%04x" : "\\x%02x", u);
      out += escape;
    }
    ++i;
  }
  return out + (i < name.size() ? "\"..." : "\"");
}

}  // namespace coact::io::detail
