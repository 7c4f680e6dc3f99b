// Reading tokenizers: GPT-2's encoder.json + vocab.bpe, and Hugging Face tokenizer.json (BPE
// model, byte-level pre-tokenizer). Every problem is a one-line InputError naming the file and
// the key (through JsonValue's messages) or the line.
#include <fstream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/data/tokenizer.h"

namespace coact::data {

namespace {

// GPT-2's pattern as tokenizer.json spells it in a Split pre-tokenizer.
constexpr std::string_view kGpt2Pattern = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(str(path, ": cannot open the file"));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) throw InputError(str(path, ": read failed"));
  return content.str();
}

std::int32_t token_id_value(const JsonValue& value) {
  const std::int64_t id = value.as_int();
  if (id < 0 || id > INT32_MAX) value.fail(str("token id ", id, " is out of range"));
  return static_cast<std::int32_t>(id);
}

std::vector<std::pair<std::string, std::int32_t>> read_vocab_object(const JsonValue& vocab) {
  if (!vocab.is_object()) vocab.fail(str("expected an object mapping tokens to ids, found ", JsonValue::type_name(vocab.type())));
  std::vector<std::pair<std::string, std::int32_t>> tokens;
  tokens.reserve(vocab.size());
  for (const auto& [spelling, id] : vocab.members()) tokens.emplace_back(spelling, token_id_value(id));
  return tokens;
}

// "left right": exactly one space between two non-empty tokens.
bool split_merge(std::string_view line, std::pair<std::string, std::string>& merge) {
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == line.size()) return false;
  if (line.find(' ', space + 1) != std::string_view::npos) return false;
  merge = {std::string(line.substr(0, space)), std::string(line.substr(space + 1))};
  return true;
}

// ---- tokenizer.json parts -----------------------------------------------------------------

const std::string& type_of(const JsonValue& object) {
  if (!object.is_object()) object.fail(str("expected an object, found ", JsonValue::type_name(object.type())));
  return object.get_string("type");
}

TokenizerPipeline::Normalizer read_normalizer(const JsonValue* normalizer) {
  if (normalizer == nullptr || normalizer->is_null()) return TokenizerPipeline::Normalizer::None;
  const std::string& type = type_of(*normalizer);
  if (type == "NFC") return TokenizerPipeline::Normalizer::Nfc;
  if (type == "Sequence") {
    auto result = TokenizerPipeline::Normalizer::None;
    for (const JsonValue& inner : normalizer->at("normalizers").as_array()) {
      if (read_normalizer(&inner) == TokenizerPipeline::Normalizer::Nfc) result = TokenizerPipeline::Normalizer::Nfc;
    }
    return result;
  }
  normalizer->at("type").fail(str("normalizer type \"", type, "\" is not supported (coact reads none, NFC, or a Sequence of NFC)"));
}

void flatten_pre_tokenizers(const JsonValue& pre_tokenizer, std::vector<const JsonValue*>& steps) {
  if (type_of(pre_tokenizer) == "Sequence") {
    for (const JsonValue& inner : pre_tokenizer.at("pretokenizers").as_array()) flatten_pre_tokenizers(inner, steps);
  } else {
    steps.push_back(&pre_tokenizer);
  }
}

void read_pre_tokenizer(const JsonValue* pre_tokenizer, TokenizerPipeline& pipeline, const std::string& path) {
  if (pre_tokenizer == nullptr || pre_tokenizer->is_null()) {
    throw InputError(str(path, ": pre_tokenizer: none; coact reads byte-level BPE tokenizers (a ByteLevel pre-tokenizer)"));
  }
  std::vector<const JsonValue*> steps;
  flatten_pre_tokenizers(*pre_tokenizer, steps);
  bool byte_level_seen = false;
  for (const JsonValue* step : steps) {
    const std::string& type = type_of(*step);
    if (byte_level_seen) {
      step->at("type").fail(str("pre-tokenizer \"", type, "\" after ByteLevel is not supported (ByteLevel must be the last step)"));
    }
    if (type == "ByteLevel") {
      byte_level_seen = true;
      pipeline.add_prefix_space = step->get_bool("add_prefix_space", true);
      pipeline.use_regex = step->get_bool("use_regex", true);
    } else if (type == "Digits") {
      pipeline.steps.push_back({TokenizerPipeline::Step::Kind::Digits, step->get_bool("individual_digits", false)});
    } else if (type == "Split") {
      const JsonValue& pattern = step->at("pattern");
      const JsonValue* regex = pattern.is_object() ? pattern.find("Regex") : nullptr;
      if (regex == nullptr || regex->as_string() != kGpt2Pattern) {
        pattern.fail("a Split pre-tokenizer is supported with GPT-2's pattern only");
      }
      if (step->get_string("behavior", "Isolated") != "Isolated" || step->get_bool("invert", false)) {
        step->fail("a Split pre-tokenizer is supported with behavior Isolated and invert false only");
      }
      pipeline.steps.push_back({TokenizerPipeline::Step::Kind::Gpt2Pattern, false});
    } else {
      step->at("type").fail(str("pre-tokenizer type \"", type, "\" is not supported (coact reads ByteLevel, Digits, ",
                                "Split with GPT-2's pattern, and Sequence of them)"));
    }
  }
  if (!byte_level_seen) pre_tokenizer->fail("no ByteLevel pre-tokenizer; coact reads byte-level BPE tokenizers only");
}

std::vector<AddedToken> read_added_tokens(const JsonValue* list) {
  std::vector<AddedToken> added;
  if (list == nullptr || list->is_null()) return added;
  for (const JsonValue& entry : list->as_array()) {
    AddedToken token;
    token.id = token_id_value(entry.at("id"));
    token.content = entry.get_string("content");
    if (entry.get_bool("single_word", false)) entry.at("single_word").fail("single_word added tokens are not supported");
    token.lstrip = entry.get_bool("lstrip", false);
    token.rstrip = entry.get_bool("rstrip", false);
    token.special = entry.get_bool("special", false);
    token.normalized = entry.get_bool("normalized", !token.special);  // Hugging Face's default
    added.push_back(std::move(token));
  }
  return added;
}

// The id of a special token the post-processor puts before every sequence, if any.
std::optional<std::int32_t> template_bos(const JsonValue* processor) {
  if (processor == nullptr || processor->is_null()) return std::nullopt;
  const std::string& type = type_of(*processor);
  if (type == "Sequence") {
    for (const JsonValue& inner : processor->at("processors").as_array()) {
      if (auto id = template_bos(&inner)) return id;
    }
    return std::nullopt;
  }
  if (type == "TemplateProcessing") {
    const JsonValue& single = processor->at("single");
    if (!single.is_array() || single.size() == 0) return std::nullopt;
    const JsonValue* special = single.at(0).find("SpecialToken");
    if (special == nullptr) return std::nullopt;
    const JsonValue& ids = processor->at("special_tokens").at(special->get_string("id")).at("ids");
    if (ids.size() == 0) return std::nullopt;
    return token_id_value(ids.at(0));
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    return token_id_value(processor->at("cls").at(1));  // ["<s>", 0]
  }
  return std::nullopt;
}

}  // namespace

Tokenizer Tokenizer::from_gpt2_files(const std::string& encoder_json, const std::string& merges_bpe) {
  TokenizerModel model;
  model.vocab = read_vocab_object(parse_json_file(encoder_json));
  model.merges_source = merges_bpe;

  const std::string text = read_text_file(merges_bpe);
  std::int64_t line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);  // a file saved with CRLF line ends
    if (line.empty() || (line_number == 1 && line.starts_with("#version"))) continue;
    std::pair<std::string, std::string> merge;
    if (!split_merge(line, merge)) {
      throw InputError(str(merges_bpe, " line ", line_number, ": expected two tokens separated by one space, found ",
                           json_quote(line.substr(0, 80))));
    }
    model.merges.push_back(std::move(merge));
    model.merge_lines.push_back(line_number);
  }
  if (model.merges.empty()) throw InputError(str(merges_bpe, ": no merges (expected one \"left right\" pair per line)"));

  // GPT-2's files mark no special tokens; Hugging Face's GPT-2 tokenizer treats <|endoftext|>
  // as one, and so does coact for every <|...|> token.
  std::vector<AddedToken> added;
  std::optional<std::int32_t> bos;
  for (const auto& [spelling, id] : model.vocab) {
    if (spelling.size() > 4 && spelling.starts_with("<|") && spelling.ends_with("|>")) {
      added.push_back(AddedToken{spelling, id, true, false, false, false});
      if (spelling == "<|endoftext|>") bos = id;
    }
  }
  TokenizerPipeline pipeline;  // no normaliser, GPT-2's pattern, no prefix space
  return Tokenizer(encoder_json, std::move(model), std::move(added), pipeline, bos);
}

Tokenizer Tokenizer::from_hf_json(const std::string& tokenizer_json) {
  const JsonValue root = parse_json_file(tokenizer_json);
  if (!root.is_object()) root.fail("expected a tokenizer.json object");
  const JsonValue& model_json = root.at("model");
  if (!model_json.is_object()) model_json.fail("expected an object");
  // Old files may omit the type; a model with merges is BPE.
  const std::string model_type = model_json.get_string("type", model_json.contains("merges") ? "BPE" : "");
  if (model_type != "BPE") {
    model_json.fail(str("model type \"", model_type, "\" is not supported (coact reads byte-level BPE tokenizers)"));
  }
  if (model_json.get_bool("byte_fallback", false)) model_json.at("byte_fallback").fail("byte_fallback is not supported");
  if (model_json.get_double("dropout", 0.0) != 0.0) {
    model_json.at("dropout").fail("BPE dropout is not supported (coact encodes deterministically)");
  }
  for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    if (!model_json.get_string(affix, "").empty()) model_json.at(affix).fail("subword prefixes and suffixes are not supported");
  }

  TokenizerModel model;
  model.vocab = read_vocab_object(model_json.at("vocab"));
  model.merges_source = tokenizer_json;
  const JsonValue& merges = model_json.at("merges");
  for (const JsonValue& merge : merges.as_array()) {
    std::pair<std::string, std::string> pair;
    if (merge.is_string()) {
      if (!split_merge(merge.as_string(), pair)) merge.fail("expected \"left right\" (two tokens separated by one space)");
    } else if (merge.is_array() && merge.size() == 2) {
      pair = {merge.at(0).as_string(), merge.at(1).as_string()};
    } else {
      merge.fail(str("expected a \"left right\" string or a [left, right] pair, found ", JsonValue::type_name(merge.type())));
    }
    model.merges.push_back(std::move(pair));
  }

  TokenizerPipeline pipeline;
  pipeline.normalizer = read_normalizer(root.find("normalizer"));
  read_pre_tokenizer(root.find("pre_tokenizer"), pipeline, tokenizer_json);
  pipeline.ignore_merges = model_json.get_bool("ignore_merges", false);
  pipeline.fuse_unknown = model_json.get_bool("fuse_unk", false);
  std::vector<AddedToken> added = read_added_tokens(root.find("added_tokens"));
  const std::string unknown = model_json.get_string("unk_token", "");
  if (!unknown.empty()) {
    const JsonValue& vocab = model_json.at("vocab");
    const JsonValue* id = vocab.find(unknown);
    if (id == nullptr) model_json.at("unk_token").fail(str(json_quote(unknown), " is not in the vocabulary"));
    pipeline.unknown_id = token_id_value(*id);
  }

  std::optional<std::int32_t> bos = template_bos(root.find("post_processor"));
  if (!bos) {
    for (const char* name : {"<|begin_of_text|>", "<bos>", "<s>", "<|endoftext|>"}) {
      for (const AddedToken& token : added) {
        if (token.content == name) bos = token.id;
      }
      if (bos) break;
    }
  }
  return Tokenizer(tokenizer_json, std::move(model), std::move(added), pipeline, bos);
}

}  // namespace coact::data
