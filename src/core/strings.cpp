#include "coact/core/strings.h"

#include <cmath>
#include <cstdio>

namespace coact {

std::string with_commas(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    const int left = n - 1 - i;
    if (left > 0 && left % 3 == 0) out.push_back(',');
  }
  return value < 0 ? "-" + out : out;
}

std::string fixed_with_commas(double value, int decimals) {
  if (!std::isfinite(value)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, std::fabs(value));
  const std::string digits = buf;
  const auto point = digits.find('.');
  std::string grouped = with_commas(std::stoll(digits.substr(0, point)));
  if (point != std::string::npos) grouped += digits.substr(point);
  // No sign on a value that rounds to zero ("-0.00" reads as a bug).
  const bool negative = value < 0 && grouped.find_first_not_of("0.,") != std::string::npos;
  return (negative ? "-" : "") + grouped;
}

std::string human_count(double value) {
  static const char* const units[] = {"", " k", " M", " G", " T", " P"};
  int u = 0;
  while (std::fabs(value) >= 1000.0 && u < 5) {
    value /= 1000.0;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f%s" : "%.3g%s", value, units[u]);
  return buf;
}

std::string human_bytes(double bytes) {
  static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (std::fabs(bytes) >= 1024.0 && u < 5) {
    bytes /= 1024.0;
    ++u;
  }
  char buf[48];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.3g %s", bytes, units[u]);
  return buf;
}

std::string human_duration(double seconds) {
  char buf[48];
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  if (seconds < 60) {
    std::snprintf(buf, sizeof buf, "%.1fs", seconds);
    return buf;
  }
  const auto total = static_cast<long long>(seconds + 0.5);
  const long long h = total / 3600, m = (total / 60) % 60, s = total % 60;
  if (h > 0)
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds", h, m, s);
  else
    std::snprintf(buf, sizeof buf, "%lldm%02llds", m, s);
  return buf;
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t pos = text.find(separator, start);
    parts.emplace_back(text.substr(start, pos == std::string_view::npos ? std::string_view::npos : pos - start));
    if (pos == std::string_view::npos) break;
    start = pos + 1;
  }
  return parts;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

}  // namespace coact
