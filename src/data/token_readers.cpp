// Readers of token files: llm.c .bin shards, .npy arrays, HDF5 datasets and text.
#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <utility>

#include "coact/core/errors.h"
#include "coact/core/progress.h"
#include "coact/data/token_source.h"
#include "coact/data/tokenizer.h"
#include "coact/io/h5.h"
#include "coact/io/npy_header.h"

namespace coact::data {

// The binary formats are little-endian; reading them by memcpy needs a little-endian host
// (every machine coact targets).
static_assert(std::endian::native == std::endian::little, "token readers assume a little-endian host");

namespace {

constexpr std::int32_t kLlmcMagicGpt2 = 20240520, kLlmcMagicLlama3 = 20240801;
constexpr std::int64_t kLlmcHeaderInts = 256;
constexpr std::int64_t kBlockElements = std::int64_t{1} << 20;  // elements read per block

std::int64_t file_size(const std::string& path) {
  std::error_code error;
  const auto size = std::filesystem::file_size(path, error);
  if (error) throw InputError(str(path, ": cannot read the file (", error.message(), ")"));
  return static_cast<std::int64_t>(size);
}

std::ifstream open_binary(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(str(path, ": cannot open the file"));
  return in;
}

// Reads `count` little-endian integers of type T at the stream's position into int32 ids,
// failing for values int32 cannot hold (ids are int32 everywhere in coact).
template <class T>
void read_ids(std::ifstream& in, std::int64_t count, const std::string& path, std::vector<std::int32_t>& ids) {
  std::vector<T> block(static_cast<std::size_t>(std::min(count, kBlockElements)));
  ids.reserve(ids.size() + static_cast<std::size_t>(count));
  for (std::int64_t done = 0; done < count;) {
    const std::int64_t n = std::min(count - done, kBlockElements);
    in.read(reinterpret_cast<char*>(block.data()), static_cast<std::streamsize>(n * static_cast<std::int64_t>(sizeof(T))));
    if (!in) throw InputError(str(path, ": file ends early"));
    for (std::int64_t i = 0; i < n; ++i) {
      const T value = block[static_cast<std::size_t>(i)];
      if constexpr (sizeof(T) >= 4) {
        if (std::cmp_greater(value, std::numeric_limits<std::int32_t>::max()) ||
            std::cmp_less(value, std::numeric_limits<std::int32_t>::min())) {
          throw InputError(str(path, ": token id ", value, " at position ", done + i, " does not fit int32"));
        }
      }
      ids.push_back(static_cast<std::int32_t>(value));
    }
    done += n;
  }
}

bool has_extension(const std::string& path, std::initializer_list<const char*> extensions) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::any_of(extensions.begin(), extensions.end(), [&](const char* e) { return extension == e; });
}

bool is_integer(io::ElementType type) {
  using io::ElementType;
  switch (type) {
    case ElementType::I8: case ElementType::U8: case ElementType::I16: case ElementType::U16:
    case ElementType::I32: case ElementType::U32: case ElementType::I64: case ElementType::U64:
      return true;
    default:
      return false;
  }
}

// A 1-D or 2-D integer dataset as int32 ids, read in blocks of rows.
TokenArray read_hdf5_dataset(const io::File& file, const std::string& name, const TokenLimits& limits) {
  const io::Dataset dataset = file.dataset(name);
  TokenArray array;
  array.where = dataset.where();
  const io::Shape shape = dataset.shape();
  if (shape.size() != 1 && shape.size() != 2) {
    throw InputError(str(array.where, ": expected token ids of shape [tokens] or [sequences, positions], found ",
                         io::shape_string(shape)));
  }
  if (!is_integer(dataset.element_type())) {
    throw InputError(str(array.where, ": token ids must be integers, found ", io::to_string(dataset.element_type())));
  }
  array.row_length = shape.size() == 2 ? shape[1] : 0;
  const std::int64_t row_elements = shape.size() == 2 ? shape[1] : 1;
  std::int64_t rows = shape[0];
  if (shape.size() == 1 && limits.max_tokens > 0) rows = std::min(rows, limits.max_tokens);
  if (shape.size() == 2 && limits.max_rows > 0) rows = std::min(rows, limits.max_rows);
  if (row_elements == 0) rows = 0;
  const std::int64_t rows_per_block = std::max<std::int64_t>(1, kBlockElements / std::max<std::int64_t>(row_elements, 1));
  std::vector<std::int64_t> block;
  array.ids.reserve(static_cast<std::size_t>(rows * row_elements));
  for (std::int64_t row = 0; row < rows; row += rows_per_block) {
    const std::int64_t n = std::min(rows_per_block, rows - row);
    block.resize(static_cast<std::size_t>(n * row_elements));
    io::Shape offset{row}, count{n};
    if (shape.size() == 2) offset.push_back(0), count.push_back(row_elements);
    dataset.read<std::int64_t>(block, offset, count);
    for (std::size_t i = 0; i < block.size(); ++i) {
      if (block[i] > std::numeric_limits<std::int32_t>::max() || block[i] < std::numeric_limits<std::int32_t>::min()) {
        throw InputError(str(array.where, ": token id ", block[i], " at position ", row * row_elements + static_cast<std::int64_t>(i),
                             " does not fit int32"));
      }
      array.ids.push_back(static_cast<std::int32_t>(block[i]));
    }
  }
  return array;
}

}  // namespace

const char* to_string(TokenFileFormat format) {
  switch (format) {
    case TokenFileFormat::Hdf5: return "hdf5";
    case TokenFileFormat::LlmcBin: return "llm.c bin";
    case TokenFileFormat::Npy: return "npy";
    case TokenFileFormat::Text: return "text";
  }
  return "?";
}

TokenFileFormat detect_token_format(const std::string& path) {
  if (has_extension(path, {".h5", ".hdf5"})) return TokenFileFormat::Hdf5;
  if (has_extension(path, {".bin"})) return TokenFileFormat::LlmcBin;
  if (has_extension(path, {".npy"})) return TokenFileFormat::Npy;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(str(path, ": cannot open the file"));
  char head[8] = {};
  in.read(head, sizeof head);
  const auto got = static_cast<std::size_t>(in.gcount());
  if (got >= 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0) return TokenFileFormat::Hdf5;
  if (got >= 6 && std::memcmp(head, "\x93NUMPY", 6) == 0) return TokenFileFormat::Npy;
  std::int32_t magic = 0, version = 0;
  if (got >= 8) std::memcpy(&magic, head, 4), std::memcpy(&version, head + 4, 4);
  if ((magic == kLlmcMagicGpt2 && version == 1) || (magic == kLlmcMagicLlama3 && version == 7)) return TokenFileFormat::LlmcBin;
  return TokenFileFormat::Text;
}

TokenArray read_llmc_bin(const std::string& path, const TokenLimits& limits) {
  const std::int64_t size = file_size(path);
  constexpr std::int64_t header_bytes = kLlmcHeaderInts * 4;
  if (size < header_bytes) {
    throw InputError(str(path, ": ", size, " bytes, too short for llm.c's 1024-byte header (256 int32)"));
  }
  std::ifstream in = open_binary(path);
  std::int32_t header[kLlmcHeaderInts];
  in.read(reinterpret_cast<char*>(header), header_bytes);
  if (!in) throw InputError(str(path, ": cannot read the header"));
  const std::int32_t magic = header[0], version = header[1], count = header[2];
  std::int64_t width;
  if (magic == kLlmcMagicGpt2 && version == 1) width = 2;
  else if (magic == kLlmcMagicLlama3 && version == 7) width = 4;
  else if (magic == kLlmcMagicGpt2 || magic == kLlmcMagicLlama3) {
    throw InputError(str(path, ": llm.c magic ", magic, " with version ", version, ", expected version ",
                         magic == kLlmcMagicGpt2 ? 1 : 7));
  } else {
    throw InputError(str(path, ": not an llm.c token file: magic number ", magic, ", expected ", kLlmcMagicGpt2,
                         " (uint16 tokens) or ", kLlmcMagicLlama3, " (uint32 tokens)"));
  }
  if (count < 0 || size != header_bytes + std::int64_t{count} * width) {
    throw InputError(str(path, ": the header says ", count, " tokens (", header_bytes + std::int64_t{count} * width,
                         " bytes with the header) but the file has ", size, " bytes"));
  }
  TokenArray array;
  array.where = path;
  const std::int64_t wanted = limits.max_tokens > 0 ? std::min<std::int64_t>(count, limits.max_tokens) : count;
  if (width == 2) read_ids<std::uint16_t>(in, wanted, path, array.ids);
  else read_ids<std::uint32_t>(in, wanted, path, array.ids);
  return array;
}

TokenArray read_npy_tokens(const std::string& path, const TokenLimits& limits) {
  const std::int64_t size = file_size(path);
  std::ifstream in = open_binary(path);
  std::string prefix(static_cast<std::size_t>(std::min<std::int64_t>(size, (std::int64_t{1} << 16) + 12)), '\0');
  in.read(prefix.data(), static_cast<std::streamsize>(prefix.size()));
  const io::NpyHeader header = io::parse_npy_header(prefix, path);

  // '<' little-endian, '|' not applicable (one byte), '=' native (little here).
  const std::string& descr = header.descr;
  if (descr.size() < 3 || (descr[0] != '<' && descr[0] != '|' && descr[0] != '=')) {
    throw InputError(str(path, ": dtype '", descr, "' is not a little-endian integer type",
                         descr.starts_with(">") ? " (big-endian data: convert with arr.astype('<i4'))" : ""));
  }
  const std::string kind = descr.substr(1);
  static const std::pair<const char*, int> kTypes[] = {{"i1", 1}, {"u1", 1}, {"i2", 2}, {"u2", 2},
                                                        {"i4", 4}, {"u4", 4}, {"i8", 8}, {"u8", 8}};
  int width = 0;
  for (const auto& [name, bytes] : kTypes) {
    if (kind == name) width = bytes;
  }
  if (width == 0) {
    throw InputError(str(path, ": dtype '", descr, "' is not an integer type (token ids need int8..int64 or uint8..uint64)"));
  }
  if (header.shape.empty() || header.shape.size() > 2) {
    throw InputError(str(path, ": shape ", io::shape_string(header.shape), " is not [tokens] or [sequences, positions]"));
  }
  if (header.fortran_order && header.shape.size() == 2 && header.shape[0] > 1 && header.shape[1] > 1) {
    throw InputError(str(path, ": Fortran-ordered array; save it in C order (np.ascontiguousarray)"));
  }
  std::int64_t count = 1;
  for (const std::int64_t dim : header.shape) {
    if (dim != 0 && count > std::numeric_limits<std::int64_t>::max() / width / dim) {
      throw InputError(str(path, ": shape ", io::shape_string(header.shape), " is too large"));
    }
    count *= dim;
  }
  if (size != header.data_offset + count * width) {
    throw InputError(str(path, ": shape ", io::shape_string(header.shape), " of ", descr, " needs ", count * width,
                         " bytes of data, the file holds ", size - header.data_offset));
  }

  TokenArray array;
  array.where = path;
  array.row_length = header.shape.size() == 2 ? header.shape[1] : 0;
  std::int64_t wanted = count;
  if (array.row_length == 0 && limits.max_tokens > 0) wanted = std::min(count, limits.max_tokens);
  if (array.row_length > 0 && limits.max_rows > 0) wanted = std::min(count, limits.max_rows * array.row_length);
  in.clear();
  in.seekg(header.data_offset);
  switch (width * (kind[0] == 'u' ? -1 : 1)) {
    case 1: read_ids<std::int8_t>(in, wanted, path, array.ids); break;
    case -1: read_ids<std::uint8_t>(in, wanted, path, array.ids); break;
    case 2: read_ids<std::int16_t>(in, wanted, path, array.ids); break;
    case -2: read_ids<std::uint16_t>(in, wanted, path, array.ids); break;
    case 4: read_ids<std::int32_t>(in, wanted, path, array.ids); break;
    case -4: read_ids<std::uint32_t>(in, wanted, path, array.ids); break;
    case 8: read_ids<std::int64_t>(in, wanted, path, array.ids); break;
    default: read_ids<std::uint64_t>(in, wanted, path, array.ids); break;
  }
  return array;
}

std::vector<TokenArray> read_hdf5_tokens(const std::string& path, const TokenLimits& limits) {
  const io::File file = io::File::open(path);
  if (file.has("/tokens")) return {read_hdf5_dataset(file, "/tokens", limits)};
  if (!file.has("/documents")) throw InputError(str(path, ": no /tokens dataset and no /documents group of token ids"));
  std::vector<std::string> names = file.list("/documents");
  // Documents are numbered 0, 1, ...: order them by number, not as strings ("10" < "2").
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  std::vector<TokenArray> documents;
  std::int64_t total = 0;
  for (const std::string& name : names) {
    if (limits.max_tokens > 0 && total >= limits.max_tokens) break;
    TokenLimits rest = limits;
    if (limits.max_tokens > 0) rest.max_tokens = limits.max_tokens - total;
    documents.push_back(read_hdf5_dataset(file, "/documents/" + name, rest));
    if (documents.back().row_length != 0) {
      throw InputError(str(documents.back().where, ": a document must be 1-D (a stream of token ids)"));
    }
    total += static_cast<std::int64_t>(documents.back().ids.size());
  }
  if (documents.empty()) throw InputError(str(path, ":/documents: no documents"));
  return documents;
}

TokenArray read_text_tokens(const std::string& path, const Tokenizer& tokenizer, Progress* progress, const TokenLimits& limits) {
  std::ifstream in = open_binary(path);
  TokenArray array;
  array.where = path;
  StreamEncoder encoder(tokenizer);
  std::string block(std::size_t{4} << 20, '\0');
  try {
    while (in) {
      in.read(block.data(), static_cast<std::streamsize>(block.size()));
      const auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0) break;
      encoder.feed(std::string_view(block.data(), got), array.ids);
      if (progress != nullptr) progress->advance(static_cast<std::int64_t>(got));
      if (limits.max_tokens > 0 && static_cast<std::int64_t>(array.ids.size()) >= limits.max_tokens) return array;
    }
    if (in.bad()) throw InputError("read failed");
    encoder.finish(array.ids);
  } catch (const InputError& error) {
    throw InputError(str(path, ": ", error.what()));
  }
  return array;
}

std::vector<TokenArray> read_token_file(const std::string& path, const TokenReadOptions& options) {
  switch (detect_token_format(path)) {
    case TokenFileFormat::Hdf5: return read_hdf5_tokens(path, options.limits);
    case TokenFileFormat::LlmcBin: return {read_llmc_bin(path, options.limits)};
    case TokenFileFormat::Npy: return {read_npy_tokens(path, options.limits)};
    case TokenFileFormat::Text:
      if (options.tokenizer == nullptr) {
        throw UsageError(str(path, ": a text file needs a tokenizer (--tokenizer, or --encoder and --merges)"));
      }
      return {read_text_tokens(path, *options.tokenizer, options.progress, options.limits)};
  }
  return {};
}

}  // namespace coact::data
