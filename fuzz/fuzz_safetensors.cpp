// The safetensors header parser (io::parse_safetensors_header) on arbitrary file images.
#include "coact/io/safetensors.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return coact::fuzz::run_one(data, size, [](std::span<const std::uint8_t> bytes) {
    const auto header = coact::io::parse_safetensors_header(bytes, "fuzz.safetensors");
    // Every accepted entry must lie inside the image: what readers rely on.
    for (const auto& entry : header.entries)
      if (entry.begin > entry.end || 8 + header.header_bytes + entry.end > bytes.size()) __builtin_trap();
  });
}
