// The tokenizer loaders on arbitrary files, then encode/decode of a fixed text with what
// loaded. The first input byte picks the loader: even -> Hugging Face tokenizer.json (the
// rest of the input), odd -> GPT-2's encoder.json + vocab.bpe (the rest split at the first
// NUL byte). The loaders read files, so the input is written to a per-process temp folder.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "coact/data/tokenizer.h"
#include "fuzz_target.h"

namespace {

const std::string& scratch() {
  static const std::string dir = [] {
    const std::filesystem::path p = std::filesystem::temp_directory_path() / ("coact_fuzz_tok_" + std::to_string(getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return dir;
}

std::string put(const std::string& name, const std::uint8_t* begin, const std::uint8_t* end) {
  const std::string path = scratch() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(begin), end - begin);
  return path;
}

void exercise(const coact::data::Tokenizer& tokenizer) {
  for (const char* text : {"Hello world, it's 2024!\n", " <|endoftext|>caf\xc3\xa9  x", ""}) {
    const auto ids = tokenizer.encode(text);
    (void)tokenizer.decode(ids);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  return coact::fuzz::run_one(data + 1, size - 1, [&](std::span<const std::uint8_t> bytes) {
    const std::uint8_t* begin = bytes.data();
    const std::uint8_t* end = begin + bytes.size();
    if ((data[0] & 1) == 0) {
      exercise(coact::data::Tokenizer::from_hf_json(put("tokenizer.json", begin, end)));
    } else {
      const std::uint8_t* cut = std::find(begin, end, std::uint8_t{0});
      const std::string encoder = put("encoder.json", begin, cut);
      const std::string merges = put("vocab.bpe", cut == end ? end : cut + 1, end);
      exercise(coact::data::Tokenizer::from_gpt2_files(encoder, merges));
    }
  });
}
