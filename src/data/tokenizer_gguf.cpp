// The tokenizer stored in a GGUF file's metadata (tokenizer.ggml.*), as llama.cpp's converter
// writes it from a Hugging Face tokenizer: for tokenizer.ggml.model "gpt2", the byte-level BPE
// vocabulary in GPT-2's alphabet (tokens), its merges ("left right"), the token types, the
// special token ids, and the name of the pre-tokenizer (tokenizer.ggml.pre), which stands for
// the pre-tokenizer steps of the original tokenizer.json.
#include <algorithm>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/data/tokenizer.h"
#include "coact/io/gguf.h"

namespace coact::data {

namespace {

// llama.cpp's token types (tokenizer.ggml.token_type).
enum TokenType : std::int64_t { kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6 };

struct PreTokenizerName {
  const char* name;
  bool individual_digits_first;  // Digits(individual_digits) before the byte-level step
};

// tokenizer.ggml.pre values and the Hugging Face pre-tokenizer they stand for: GPT-2's pattern
// in a ByteLevel step without a prefix space, after a Digits step splitting every digit for
// the StarCoder-style ones (llama.cpp splits \p{N} first, then applies GPT-2's pattern).
constexpr PreTokenizerName kPreTokenizers[] = {
    {"gpt-2", false},
    {"smollm", true},
    {"starcoder", true},
};

std::optional<std::int32_t> metadata_token_id(const io::GgufMetadata& m, const char* key, std::size_t vocab_size) {
  const auto id = m.find_int(key);
  if (!id) return std::nullopt;
  if (*id < 0 || static_cast<std::uint64_t>(*id) >= vocab_size) {
    m.fail(key, str("token id ", *id, " is outside the ", vocab_size, " tokens"));
  }
  return static_cast<std::int32_t>(*id);
}

}  // namespace

Tokenizer Tokenizer::from_gguf(const std::string& gguf_path) {
  const io::GgufFile file(gguf_path);
  const io::GgufMetadata& m = file.metadata();
  const std::string kind = m.get_string("tokenizer.ggml.model");
  if (kind != "gpt2") {
    m.fail("tokenizer.ggml.model", str("\"", kind, "\" is not supported (coact reads \"gpt2\", byte-level BPE)"));
  }
  const auto pre = m.find_string("tokenizer.ggml.pre");
  if (!pre) m.fail("tokenizer.ggml.pre", "is missing: the pre-tokenizer of a \"gpt2\" vocabulary must be named");
  const PreTokenizerName* known = std::find_if(std::begin(kPreTokenizers), std::end(kPreTokenizers),
                                               [&](const PreTokenizerName& p) { return *pre == p.name; });
  if (known == std::end(kPreTokenizers)) {
    std::string names;
    for (const auto& p : kPreTokenizers) names += str(names.empty() ? "" : ", ", p.name);
    m.fail("tokenizer.ggml.pre", str(json_quote(*pre), " is not a pre-tokenizer coact knows (", names, ")"));
  }

  const std::vector<std::string>& tokens = m.get_strings("tokenizer.ggml.tokens");
  std::vector<std::int64_t> types;
  if (m.contains("tokenizer.ggml.token_type")) {
    types = m.get_ints("tokenizer.ggml.token_type");
    if (types.size() != tokens.size()) {
      m.fail("tokenizer.ggml.token_type", str(types.size(), " types for ", tokens.size(), " tokens"));
    }
  }
  TokenizerModel model;
  std::vector<AddedToken> added;
  model.vocab.reserve(tokens.size());
  for (std::size_t id = 0; id < tokens.size(); ++id) {
    const auto token_id = static_cast<std::int32_t>(id);
    const std::int64_t type = types.empty() ? kNormal : types[id];
    if (type < kNormal || type > kByte) {
      m.fail("tokenizer.ggml.token_type", str("token ", id, " has type ", type, " (llama.cpp's types are 1 to 6)"));
    }
    model.vocab.emplace_back(tokens[id], token_id);
    // Control tokens are special tokens matched whole in the text; user-defined ones are
    // matched whole too but are not special.
    if (type == kControl || type == kUserDefined) {
      added.push_back(AddedToken{tokens[id], token_id, type == kControl, false, false, false});
    }
  }
  for (const std::string& merge : m.get_strings("tokenizer.ggml.merges")) {
    const std::size_t space = merge.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == merge.size() || merge.find(' ', space + 1) != std::string::npos) {
      m.fail("tokenizer.ggml.merges", str("expected \"left right\", found ", json_quote(merge.substr(0, 80))));
    }
    model.merges.emplace_back(merge.substr(0, space), merge.substr(space + 1));
  }
  model.merges_source = gguf_path;
  model.merges_key = "tokenizer.ggml.merges";

  TokenizerPipeline pipeline;  // byte-level BPE, GPT-2's pattern, no prefix space
  if (known->individual_digits_first) {
    TokenizerPipeline::Step digits;
    digits.kind = TokenizerPipeline::Step::Kind::Digits;
    digits.individual_digits = true;
    pipeline.steps.push_back(digits);
  }
  if (const auto unknown = metadata_token_id(m, "tokenizer.ggml.unknown_token_id", tokens.size())) pipeline.unknown_id = *unknown;
  const auto bos = metadata_token_id(m, "tokenizer.ggml.bos_token_id", tokens.size());
  const auto eos = metadata_token_id(m, "tokenizer.ggml.eos_token_id", tokens.size());
  if (m.find_bool("tokenizer.ggml.add_bos_token").value_or(false)) {
    if (!bos) m.fail("tokenizer.ggml.add_bos_token", "is true, but there is no tokenizer.ggml.bos_token_id");
    pipeline.template_prefix.push_back(*bos);
  }
  if (m.find_bool("tokenizer.ggml.add_eos_token").value_or(false)) {
    if (!eos) m.fail("tokenizer.ggml.add_eos_token", "is true, but there is no tokenizer.ggml.eos_token_id");
    pipeline.template_suffix.push_back(*eos);
  }
  Tokenizer tokenizer(gguf_path, std::move(model), std::move(added), pipeline, bos);
  if (eos) tokenizer.set_eos(eos);
  return tokenizer;
}

}  // namespace coact::data
