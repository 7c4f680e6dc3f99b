// The tokenizer loaders added beside tokenizer.json and GPT-2's files, on arbitrary files, then
// encode/decode of fixed texts with what loaded. The first input byte picks the loader: even ->
// a GGUF file's tokenizer (Tokenizer::from_gguf), odd -> BERT's vocab.txt (from_bert_vocab,
// lower-casing when bit 1 is set). The loaders read files, so the input is written to a
// per-process temp folder.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "coact/data/tokenizer.h"
#include "fuzz_target.h"

namespace {

const std::string& scratch() {
  static const std::string dir = [] {
    const std::filesystem::path p = std::filesystem::temp_directory_path() / ("coact_fuzz_tokfmt_" + std::to_string(getpid()));
    std::filesystem::create_directories(p);
    return p.string();
  }();
  return dir;
}

std::string put(const std::string& name, std::span<const std::uint8_t> bytes) {
  const std::string path = scratch() + "/" + name;
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  return path;
}

void exercise(const coact::data::Tokenizer& tokenizer) {
  for (const char* text : {"Hello world, it's 2024!\n", " <|endoftext|>[CLS] caf\xc3\xa9  x\xe6\x97\xa5", ""}) {
    const auto ids = tokenizer.encode_with_template(text);
    (void)tokenizer.decode(ids);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  return coact::fuzz::run_one(data + 1, size - 1, [&](std::span<const std::uint8_t> bytes) {
    if ((data[0] & 1) == 0) {
      exercise(coact::data::Tokenizer::from_gguf(put("tokenizer.gguf", bytes)));
    } else {
      exercise(coact::data::Tokenizer::from_bert_vocab(put("vocab.txt", bytes), (data[0] & 2) != 0));
    }
  });
}
