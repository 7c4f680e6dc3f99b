// The GGUF reader on arbitrary files: parse_gguf on the bytes, then the file as GgufFile (every
// readable tensor dequantised) and, when it parses as a model, its Hugging Face view and
// hyperparameters. GgufFile reads files, so the input is written to a per-process temp file.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "coact/io/gguf.h"
#include "coact/io/gguf_model.h"
#include "fuzz_target.h"

namespace {

const std::string& scratch_file() {
  static const std::string path =
      (std::filesystem::temp_directory_path() / ("coact_fuzz_gguf_" + std::to_string(getpid()) + ".gguf")).string();
  return path;
}

void read_all(const coact::io::TensorFile& file) {
  for (const coact::io::TensorInfo& t : file.tensors()) {
    try {
      (void)file.read_f32(t.name);
    } catch (const coact::Error&) {  // an unreadable type: the other tensors still read
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return coact::fuzz::run_one(data, size, [&](std::span<const std::uint8_t> bytes) {
    (void)coact::io::parse_gguf(bytes, "input");
    std::ofstream(scratch_file(), std::ios::binary | std::ios::trunc)
        .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    auto file = std::make_shared<const coact::io::GgufFile>(scratch_file());
    read_all(*file);
    const coact::io::GgufHuggingFaceView view(file);
    read_all(view);
  });
}
