// GPT-2's byte-level alphabet (bytes_to_unicode in its encoder.py): every byte value gets a
// printable code point, so a vocabulary of byte strings can be written as text. Bytes that
// print as themselves in Latin-1 ('!'..'~', U+00A1..U+00AC, U+00AE..U+00FF) keep their value;
// the other 68 (controls, space, DEL, NBSP, soft hyphen) take U+0100, U+0101, ... in byte
// order, so the space becomes 'Ġ' (U+0120) and the newline 'Ċ' (U+010A).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace coact::data::byte_level {

// The code point that stands for `byte`.
char32_t byte_to_symbol(std::uint8_t byte);
// The byte a code point stands for, or -1 when it is not in the alphabet.
int symbol_to_byte(char32_t code_point);

// UTF-8 of the symbols of `bytes` (what encoder.json and tokenizer.json store).
std::string bytes_to_symbols(std::string_view bytes);
// The bytes spelled by a symbol string, or nullopt when it holds a character outside the
// alphabet (or is not well-formed UTF-8): such a vocabulary entry is not a byte string.
std::optional<std::string> symbols_to_bytes(std::string_view symbols);

}  // namespace coact::data::byte_level
