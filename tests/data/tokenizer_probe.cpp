// Test driver for the tokenizer loaders (run by the Python tokenizer tests, never installed).
//
//   tokenizer_probe FILE < texts.json               Tokenizer::from_file(FILE)
//   tokenizer_probe --gpt2 ENCODER MERGES < texts.json
//
// texts.json is a JSON array of strings. Prints one JSON object: the tokenizer's name, BOS, EOS,
// vocab_size, template (prefix, suffix), and for each text its ids (encode), ids with the
// template (encode_with_template) and decoded text (decode(encode)). A coact::Error prints its
// one-line message on stderr and exits 1; any other exception exits 3.
#include <exception>
#include <iostream>
#include <iterator>
#include <string>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/data/tokenizer.h"

namespace {

using namespace coact;

void write_ids(JsonWriter& j, const std::vector<std::int32_t>& ids) {
  j.begin_array();
  for (const auto id : ids) j.value(static_cast<std::int64_t>(id));
  j.end_array();
}

template <class T>
void optional_id(JsonWriter& j, const char* name, const std::optional<T>& v) {
  j.key(name);
  if (v) j.value(static_cast<std::int64_t>(*v));
  else j.null();
}

int run(int argc, char** argv) {
  const std::string first = argc > 1 ? argv[1] : "";
  if (!((argc == 2 && !first.starts_with("--")) || (argc == 4 && first == "--gpt2"))) {
    std::cerr << "usage: tokenizer_probe FILE | --gpt2 ENCODER MERGES  (texts as a JSON array on stdin)\n";
    return 2;
  }
  const data::Tokenizer tokenizer =
      argc == 4 ? data::Tokenizer::from_gpt2_files(argv[2], argv[3]) : data::Tokenizer::from_file(argv[1]);
  const std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  JsonLimits limits;
  limits.max_bytes = std::size_t{1} << 30;
  const JsonValue texts = parse_json(input, "stdin", limits);

  JsonWriter j;
  j.begin_object().field("name", tokenizer.name()).field("vocab_size", tokenizer.vocab_size());
  optional_id(j, "bos", tokenizer.bos_id());
  optional_id(j, "eos", tokenizer.eos_id());
  j.key("prefix");
  write_ids(j, tokenizer.pipeline().template_prefix);
  j.key("suffix");
  write_ids(j, tokenizer.pipeline().template_suffix);
  j.key("results").begin_array();
  for (const JsonValue& text : texts.as_array()) {
    const std::vector<std::int32_t> ids = tokenizer.encode(text.as_string());
    j.begin_object().key("ids");
    write_ids(j, ids);
    j.key("with_template");
    write_ids(j, tokenizer.encode_with_template(text.as_string()));
    j.field("decoded", tokenizer.decode(ids)).end_object();
  }
  j.end_array().end_object();
  std::cout << j.str() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const coact::Error& e) {
    std::cerr << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "unexpected exception: " << e.what() << "\n";
    return 3;
  }
}
