// The JSON parser (parse_json) and the configuration readers built on it: a transformer
// config.json (model::parse_transformer_config) reads whatever parsed.
#include <string_view>

#include "coact/core/json_value.h"
#include "coact/model/config.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return coact::fuzz::run_one(data, size, [](std::span<const std::uint8_t> bytes) {
    const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const coact::JsonValue json = coact::parse_json(text, "fuzz.json");
    (void)coact::model::parse_transformer_config(json);
  });
}
