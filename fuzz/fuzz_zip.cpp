// The zip reader under TorchFile (io::ZipReader): the directory, then every entry's bytes
// (CRC check, inflate).
#include "coact/io/zip_reader.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return coact::fuzz::run_one(data, size, [](std::span<const std::uint8_t> bytes) {
    const coact::io::ZipReader zip(bytes, "fuzz.pt");
    for (const auto& entry : zip.entries()) {
      try {
        (void)zip.read(entry);
      } catch (const coact::Error&) {
      }
    }
  });
}
