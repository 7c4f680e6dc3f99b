// A minimal, defensive zip reader for PyTorch checkpoints (torch.save writes a zip archive of
// STORED entries with zip64 end records). Reads the end-of-central-directory record (zip64 when
// present), the central directory and each entry's local header, and checks every size and
// offset against the archive before anything is read. STORED entries are returned as views of
// the mapped file; DEFLATE entries are inflated through zlib, with the inflated size bounded.
// CRC-32 is checked on every read, so a bit flip in a tensor is an error, not a wrong weight.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace coact::io {

struct ZipEntry {
  std::string name;
  std::uint16_t method = 0;  // 0 stored, 8 deflate
  std::uint32_t crc32 = 0;
  std::uint64_t compressed_size = 0;
  std::uint64_t size = 0;         // uncompressed
  std::uint64_t data_offset = 0;  // of the (compressed) data in the archive
};

// Bytes of one entry: a view into the archive (STORED) or an owned inflated copy (DEFLATE).
class ZipBlob {
 public:
  ZipBlob() = default;
  std::span<const std::uint8_t> bytes() const { return owned_.empty() ? view_ : std::span<const std::uint8_t>(owned_); }

 private:
  friend class ZipReader;
  std::span<const std::uint8_t> view_;
  std::vector<std::uint8_t> owned_;
};

class ZipReader {
 public:
  // Reads the directory of the archive image `bytes`, which must outlive the reader. `context`
  // names the file in errors. Throws InputError for anything malformed: a missing or
  // inconsistent end record, entries outside the archive, encrypted or split archives,
  // unsupported compression, repeated names.
  ZipReader(std::span<const std::uint8_t> bytes, std::string context);

  const std::string& context() const { return context_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;

  // The entry's bytes, CRC-checked (and inflated when compressed). Throws InputError on a
  // checksum mismatch or corrupt compressed data.
  ZipBlob read(const ZipEntry& entry) const;

  // Largest uncompressed entry a DEFLATE entry may claim: its compressed size times the best
  // ratio deflate achieves, so a small hostile archive cannot ask for huge allocations.
  static constexpr std::uint64_t kMaxDeflateRatio = 1032;

 private:
  std::span<const std::uint8_t> bytes_;
  std::string context_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, std::size_t, std::less<>> by_name_;

  void read_directory();
};

// CRC-32 (zip / zlib polynomial) of `bytes`.
std::uint32_t zip_crc32(std::span<const std::uint8_t> bytes);

}  // namespace coact::io
