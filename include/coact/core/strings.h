// Small string helpers (g++ 12 has no <format>).
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace coact {

// Concatenates anything that has operator<< into one string.
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

// "1,234,567": grouped thousands, as the seed study prints counts.
std::string with_commas(std::int64_t value);

// "1,234.57": fixed decimals with grouped thousands, as the seed study's table prints; "n/a"
// for NaN or infinity.
std::string fixed_with_commas(double value, int decimals);

// "12.3 k", "4.56 M": a rate or size in engineering units.
std::string human_count(double value);

// "1.5 GiB" from bytes.
std::string human_bytes(double bytes);

// "1h02m03s" / "4m05s" / "6.7s".
std::string human_duration(double seconds);

// Splits on a single character; empty fields are kept.
std::vector<std::string> split(std::string_view text, char separator);

std::string trim(std::string_view text);

}  // namespace coact
