// A read-only memory map of a whole file (private to io). Interchange files are read lazily
// through it: a 500 MB GPT-2 checkpoint costs address space, not memory, until a tensor is
// read. The size is taken once at open; every offset read from the file is checked against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace coact::io::detail {

class MappedFile {
 public:
  // Throws InputError "<path>: cannot open: <reason>" (missing, a directory, unreadable).
  static std::shared_ptr<const MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  std::size_t size() const { return size_; }

 private:
  MappedFile() = default;
  std::string path_;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  void* mapping_ = nullptr;  // nullptr for an empty file (mmap refuses length 0)
};

}  // namespace coact::io::detail
