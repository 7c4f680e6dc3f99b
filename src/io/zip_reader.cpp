#include "coact/io/zip_reader.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "coact/core/errors.h"
#include "display_name.h"

namespace coact::io {
namespace {

constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kEndRecord = 0x06054b50;
constexpr std::uint32_t kZip64EndRecord = 0x06064b50;
constexpr std::uint32_t kZip64Locator = 0x07064b50;
constexpr std::size_t kEndRecordBytes = 22, kZip64LocatorBytes = 20, kZip64EndRecordBytes = 56;
constexpr std::size_t kCentralHeaderBytes = 46, kLocalHeaderBytes = 30;

std::uint16_t u16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
std::uint32_t u32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
std::uint64_t u64(const std::uint8_t* p) { return u32(p) | (static_cast<std::uint64_t>(u32(p + 4)) << 32); }

// True when [offset, offset + length) lies inside [0, limit), without overflow.
bool fits(std::uint64_t offset, std::uint64_t length, std::uint64_t limit) {
  return offset <= limit && length <= limit - offset;
}

}  // namespace

std::uint32_t zip_crc32(std::span<const std::uint8_t> bytes) {
  uLong crc = ::crc32(0L, Z_NULL, 0);
  // zlib takes 32-bit lengths: feed checkpoints larger than 4 GiB in pieces.
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t done = 0; done < bytes.size(); done += kPiece) {
    const std::size_t n = std::min(kPiece, bytes.size() - done);
    crc = ::crc32(crc, bytes.data() + done, static_cast<uInt>(n));
  }
  return static_cast<std::uint32_t>(crc);
}

ZipReader::ZipReader(std::span<const std::uint8_t> bytes, std::string context) : bytes_(bytes), context_(std::move(context)) {
  read_directory();
}

void ZipReader::read_directory() {
  const std::uint8_t* data = bytes_.data();
  const std::uint64_t size = bytes_.size();
  if (size < kEndRecordBytes) throw InputError(str(context_, ": ", size, " bytes is too short for a zip archive"));

  // The end record is the last 22 bytes plus a comment of up to 64 KiB; its comment length
  // must reach exactly to the end of the file (a stray signature inside a comment does not).
  std::uint64_t end_record = 0;
  bool found = false;
  const std::uint64_t lowest = size > kEndRecordBytes + 0xffff ? size - kEndRecordBytes - 0xffff : 0;
  for (std::uint64_t pos = size - kEndRecordBytes + 1; pos-- > lowest;) {
    if (u32(data + pos) == kEndRecord && pos + kEndRecordBytes + u16(data + pos + 20) == size) {
      end_record = pos;
      found = true;
      break;
    }
  }
  if (!found) throw InputError(str(context_, ": no zip end-of-central-directory record (truncated, or not a zip archive)"));
  const std::uint8_t* end = data + end_record;
  std::uint64_t disk = u16(end + 4), directory_disk = u16(end + 6);
  std::uint64_t entries_on_disk = u16(end + 8), entry_count = u16(end + 10);
  std::uint64_t directory_bytes = u32(end + 12), directory_offset = u32(end + 16);
  std::uint64_t directory_limit = end_record;  // the directory ends before the end records

  // zip64: a locator right before the end record points at the zip64 end record, whose
  // 64-bit fields replace the 16/32-bit ones (torch.save always writes them).
  if (end_record >= kZip64LocatorBytes && u32(data + end_record - kZip64LocatorBytes) == kZip64Locator) {
    const std::uint8_t* locator = data + end_record - kZip64LocatorBytes;
    const std::uint64_t record = u64(locator + 8);
    if (u32(locator + 4) != 0 || u32(locator + 16) > 1)
      throw InputError(str(context_, ": multi-part (split) zip archives are not supported"));
    if (!fits(record, kZip64EndRecordBytes, end_record - kZip64LocatorBytes) || u32(data + record) != kZip64EndRecord)
      throw InputError(str(context_, ": the zip64 end record is missing or outside the archive"));
    const std::uint8_t* z = data + record;
    disk = u32(z + 16);
    directory_disk = u32(z + 20);
    entries_on_disk = u64(z + 24);
    entry_count = u64(z + 32);
    directory_bytes = u64(z + 40);
    directory_offset = u64(z + 48);
    directory_limit = record;
  }
  if (disk != 0 || directory_disk != 0 || entries_on_disk != entry_count)
    throw InputError(str(context_, ": multi-part (split) zip archives are not supported"));
  if (!fits(directory_offset, directory_bytes, directory_limit))
    throw InputError(str(context_, ": zip central directory [", directory_offset, ", +", directory_bytes,
                         ") lies outside the archive (truncated or corrupt)"));
  if (entry_count > directory_bytes / kCentralHeaderBytes)
    throw InputError(str(context_, ": zip end record claims ", entry_count, " entries, more than its ", directory_bytes,
                         "-byte central directory can hold"));

  entries_.reserve(static_cast<std::size_t>(entry_count));
  std::uint64_t pos = directory_offset;
  const std::uint64_t directory_end = directory_offset + directory_bytes;
  for (std::uint64_t i = 0; i < entry_count; ++i) {
    if (!fits(pos, kCentralHeaderBytes, directory_end) || u32(data + pos) != kCentralHeader)
      throw InputError(str(context_, ": zip central directory entry ", i, " is corrupt (bad signature or out of bounds)"));
    const std::uint8_t* h = data + pos;
    const std::uint16_t flags = u16(h + 8);
    ZipEntry entry;
    entry.method = u16(h + 10);
    entry.crc32 = u32(h + 16);
    entry.compressed_size = u32(h + 20);
    entry.size = u32(h + 24);
    const std::uint16_t name_bytes = u16(h + 28), extra_bytes = u16(h + 30), comment_bytes = u16(h + 32);
    std::uint64_t local_offset = u32(h + 42);
    std::uint32_t start_disk = u16(h + 34);
    if (!fits(pos + kCentralHeaderBytes, std::uint64_t{name_bytes} + extra_bytes + comment_bytes, directory_end))
      throw InputError(str(context_, ": zip central directory entry ", i, " runs past the directory"));
    entry.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderBytes), name_bytes);
    const std::string where = str(context_, ": zip entry ", detail::display_name(entry.name));

    // zip64 extra field: 64-bit values for exactly those fields that hold 0xffffffff, in order.
    const std::uint8_t* extra = h + kCentralHeaderBytes + name_bytes;
    for (std::size_t e = 0; e + 4 <= extra_bytes;) {
      const std::uint16_t id = u16(extra + e), field_bytes = u16(extra + e + 2);
      if (e + 4 + field_bytes > extra_bytes) throw InputError(str(where, ": extra field runs past its header"));
      if (id == 0x0001) {
        const std::uint8_t* field = extra + e + 4;
        std::size_t used = 0;
        const auto take = [&](std::uint64_t& value) {
          if (used + 8 > field_bytes) throw InputError(str(where, ": zip64 extra field is too short"));
          value = u64(field + used);
          used += 8;
        };
        if (entry.size == 0xffffffffu) take(entry.size);
        if (entry.compressed_size == 0xffffffffu) take(entry.compressed_size);
        if (local_offset == 0xffffffffu) take(local_offset);
        if (start_disk == 0xffffu) {
          if (used + 4 > field_bytes) throw InputError(str(where, ": zip64 extra field is too short"));
          start_disk = u32(field + used);
        }
      }
      e += 4 + field_bytes;
    }
    if (flags & 0x41u) throw InputError(str(where, " is encrypted"));
    if (start_disk != 0) throw InputError(str(where, " lies on another disk of a split archive"));
    if (entry.method != 0 && entry.method != 8)
      throw InputError(str(where, " uses compression method ", entry.method, " (only stored and deflate are supported)"));
    if (entry.method == 0 && entry.compressed_size != entry.size)
      throw InputError(str(where, ": stored entry has compressed size ", entry.compressed_size, " but size ", entry.size));
    if (entry.method == 8 && entry.size / kMaxDeflateRatio > entry.compressed_size)
      throw InputError(str(where, ": claims ", entry.size, " bytes inflated from ", entry.compressed_size,
                           " (more than deflate can achieve)"));

    // The local header repeats the name; the data follows it and must end before the directory.
    if (!fits(local_offset, kLocalHeaderBytes, directory_offset) || u32(data + local_offset) != kLocalHeader)
      throw InputError(str(where, ": local header at byte ", local_offset, " is missing or outside the archive"));
    const std::uint8_t* local = data + local_offset;
    const std::uint16_t local_name_bytes = u16(local + 26), local_extra_bytes = u16(local + 28);
    entry.data_offset = local_offset + kLocalHeaderBytes + local_name_bytes + local_extra_bytes;
    if (!fits(local_offset + kLocalHeaderBytes, local_name_bytes, directory_offset) ||
        std::string_view(reinterpret_cast<const char*>(local + kLocalHeaderBytes), local_name_bytes) != entry.name)
      throw InputError(str(where, ": local header names a different entry"));
    if (!fits(entry.data_offset, entry.compressed_size, directory_offset))
      throw InputError(str(where, ": data [", entry.data_offset, ", +", entry.compressed_size,
                           ") lies outside the archive (truncated or corrupt)"));
    if (!by_name_.emplace(entry.name, entries_.size()).second) throw InputError(str(where, " appears twice"));
    entries_.push_back(std::move(entry));
    pos += kCentralHeaderBytes + name_bytes + extra_bytes + comment_bytes;
  }
}

const ZipEntry* ZipReader::find(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

ZipBlob ZipReader::read(const ZipEntry& entry) const {
  ZipBlob blob;
  const auto stored = bytes_.subspan(static_cast<std::size_t>(entry.data_offset), static_cast<std::size_t>(entry.compressed_size));
  if (entry.method == 0) {
    blob.view_ = stored;
  } else {
    // Raw deflate (no zlib header), inflated into exactly the size the directory declares.
    blob.owned_.resize(static_cast<std::size_t>(entry.size));
    z_stream stream{};
    std::uint8_t sink = 0;  // zlib refuses a null output pointer, even for an empty entry
    stream.next_out = &sink;
    if (inflateInit2(&stream, -MAX_WBITS) != Z_OK) throw InputError(str(context_, ": zip entry ", detail::display_name(entry.name), ": cannot start inflating"));
    std::size_t in_done = 0, out_done = 0;
    int status = Z_OK;
    constexpr std::size_t kPiece = std::size_t{1} << 30;
    while (status == Z_OK) {
      if (stream.avail_in == 0 && in_done < stored.size()) {
        const std::size_t n = std::min(kPiece, stored.size() - in_done);
        stream.next_in = const_cast<Bytef*>(stored.data() + in_done);
        stream.avail_in = static_cast<uInt>(n);
        in_done += n;
      }
      if (stream.avail_out == 0 && out_done < blob.owned_.size()) {
        const std::size_t n = std::min(kPiece, blob.owned_.size() - out_done);
        stream.next_out = blob.owned_.data() + out_done;
        stream.avail_out = static_cast<uInt>(n);
        out_done += n;
      }
      const uInt before_in = stream.avail_in, before_out = stream.avail_out;
      status = inflate(&stream, Z_NO_FLUSH);
      if (status == Z_BUF_ERROR || (status == Z_OK && before_in == stream.avail_in && before_out == stream.avail_out)) break;
    }
    const bool complete = status == Z_STREAM_END && stream.total_out == entry.size && stream.avail_out == 0;
    inflateEnd(&stream);
    if (!complete)
      throw InputError(str(context_, ": zip entry ", detail::display_name(entry.name), ": compressed data is corrupt or does not inflate to ",
                           entry.size, " bytes"));
  }
  const std::uint32_t crc = zip_crc32(blob.bytes());
  if (crc != entry.crc32)
    throw InputError(str(context_, ": zip entry ", detail::display_name(entry.name), ": CRC-32 mismatch (the data is corrupt)"));
  return blob;
}

}  // namespace coact::io
