// SHA-256 (FIPS 180-4), for content hashes that tie outputs to their inputs (a graph names the
// hash of the SAE it was built from, so a comparison can refuse a graph of another SAE).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace coact {

// Which code hashes the blocks: Auto takes the x86 SHA extensions where the CPU has them
// (several times faster: a multi-GiB SAE file is hashed in seconds), else the portable code;
// Portable always takes the portable code (the tests compare the two).
enum class Sha256Path { Auto, Portable };

class Sha256 {
 public:
  explicit Sha256(Sha256Path path = Sha256Path::Auto);
  // Whether Auto takes the SHA extensions on this CPU.
  static bool accelerated();
  void update(const void* data, std::size_t bytes);
  void update(std::string_view text) { update(text.data(), text.size()); }
  std::array<std::uint8_t, 32> digest();  // finishes; call once
  std::string hex_digest();               // lower-case hex of digest()

 private:
  void blocks(const std::uint8_t* chunks, std::size_t count);
  bool accelerated_;
  std::array<std::uint32_t, 8> state_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;  // bytes hashed
};

// "sha256:<hex>" of a whole file; throws InputError when it cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace coact
