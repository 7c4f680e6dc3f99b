// The byte <-> symbol tables of GPT-2's byte-level alphabet, built once.
#include "coact/data/byte_level.h"

#include <array>

#include "coact/data/unicode.h"

namespace coact::data::byte_level {

namespace {

bool prints_as_itself(unsigned byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) || (byte >= 0xAE && byte <= 0xFF);
}

struct Alphabet {
  std::array<char32_t, 256> symbol_of_byte{};
  // Every symbol lies below U+0100 + 68; index by code point.
  std::array<std::int16_t, 0x200> byte_of_symbol{};

  Alphabet() {
    byte_of_symbol.fill(-1);
    char32_t next_unprintable = 0x100;
    for (unsigned byte = 0; byte < 256; ++byte) {
      symbol_of_byte[byte] = prints_as_itself(byte) ? static_cast<char32_t>(byte) : next_unprintable++;
      byte_of_symbol[symbol_of_byte[byte]] = static_cast<std::int16_t>(byte);
    }
  }
};

const Alphabet& alphabet() {
  static const Alphabet table;
  return table;
}

}  // namespace

char32_t byte_to_symbol(std::uint8_t byte) { return alphabet().symbol_of_byte[byte]; }

int symbol_to_byte(char32_t code_point) {
  return code_point < alphabet().byte_of_symbol.size() ? alphabet().byte_of_symbol[code_point] : -1;
}

std::string bytes_to_symbols(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char b : bytes) unicode::append_utf8(out, byte_to_symbol(static_cast<std::uint8_t>(b)));
  return out;
}

std::optional<std::string> symbols_to_bytes(std::string_view symbols) {
  std::string out;
  out.reserve(symbols.size());
  for (std::size_t i = 0; i < symbols.size();) {
    const unicode::DecodedChar c = unicode::decode_utf8(symbols, i);
    if (c.length == 0) return std::nullopt;
    const int byte = symbol_to_byte(c.code_point);
    if (byte < 0) return std::nullopt;
    out += static_cast<char>(byte);
    i += c.length;
  }
  return out;
}

}  // namespace coact::data::byte_level
