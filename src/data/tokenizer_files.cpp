// Reading tokenizers: GPT-2's encoder.json + vocab.bpe, Hugging Face tokenizer.json (byte-level
// BPE, character-level BPE with byte fallback, WordPiece) and BERT's vocab.txt. Every problem is
// a one-line InputError naming the file and the key (through JsonValue's messages) or the line.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "coact/core/errors.h"
#include "coact/core/json.h"
#include "coact/core/json_value.h"
#include "coact/data/tokenizer.h"
#include "coact/io/gguf.h"

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

using Normalization = TokenizerPipeline::Normalization;
using Model = TokenizerPipeline::Model;
using StepKind = TokenizerPipeline::Step::Kind;

void read_normalizers(const JsonValue* normalizer, std::vector<Normalization>& steps) {
  if (normalizer == nullptr || normalizer->is_null()) return;
  const std::string& type = type_of(*normalizer);
  Normalization step;
  if (type == "Sequence") {
    for (const JsonValue& inner : normalizer->at("normalizers").as_array()) read_normalizers(&inner, steps);
    return;
  }
  if (type == "NFC") {
    step.kind = Normalization::Kind::Nfc;
  } else if (type == "NFD") {
    step.kind = Normalization::Kind::Nfd;
  } else if (type == "Lowercase") {
    step.kind = Normalization::Kind::Lowercase;
  } else if (type == "StripAccents") {
    step.kind = Normalization::Kind::StripAccents;
  } else if (type == "BertNormalizer") {
    step.kind = Normalization::Kind::Bert;
    step.clean_text = normalizer->get_bool("clean_text", true);
    step.handle_chinese_chars = normalizer->get_bool("handle_chinese_chars", true);
    step.lowercase = normalizer->get_bool("lowercase", true);
    // null (the default) strips accents exactly when lower-casing, as Hugging Face does.
    const JsonValue* strip = normalizer->find("strip_accents");
    step.strip_accents = strip == nullptr || strip->is_null() ? step.lowercase : strip->as_bool();
  } else if (type == "Prepend") {
    step.kind = Normalization::Kind::Prepend;
    step.text = normalizer->get_string("prepend");
  } else if (type == "Replace") {
    step.kind = Normalization::Kind::Replace;
    const JsonValue& pattern = normalizer->at("pattern");
    const JsonValue* text = pattern.is_object() ? pattern.find("String") : nullptr;
    if (text == nullptr) pattern.fail("a Replace normalizer is supported with a String pattern only (not a Regex)");
    step.text = text->as_string();
    if (step.text.empty()) pattern.fail("a Replace normalizer needs a non-empty pattern");
    step.replacement = normalizer->get_string("content");
  } else {
    normalizer->at("type").fail(str("normalizer type \"", type, "\" is not supported (coact reads NFC, NFD, Lowercase, ",
                                    "StripAccents, BertNormalizer, Prepend, Replace with a String, and Sequence of them)"));
  }
  steps.push_back(std::move(step));
}

void flatten_pre_tokenizers(const JsonValue& pre_tokenizer, std::vector<const JsonValue*>& steps) {
  if (type_of(pre_tokenizer) == "Sequence") {
    for (const JsonValue& inner : pre_tokenizer.at("pretokenizers").as_array()) flatten_pre_tokenizers(inner, steps);
  } else {
    steps.push_back(&pre_tokenizer);
  }
}

// The steps of a byte-level BPE: Digits and Split(GPT-2) before a final ByteLevel.
void read_byte_level_steps(const std::vector<const JsonValue*>& steps, TokenizerPipeline& pipeline) {
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
      TokenizerPipeline::Step digits;
      digits.kind = StepKind::Digits;
      digits.individual_digits = step->get_bool("individual_digits", false);
      pipeline.steps.push_back(digits);
    } else if (type == "Split") {
      const JsonValue& pattern = step->at("pattern");
      const JsonValue* regex = pattern.is_object() ? pattern.find("Regex") : nullptr;
      if (regex == nullptr || regex->as_string() != kGpt2Pattern) {
        pattern.fail("a Split pre-tokenizer is supported with GPT-2's pattern only");
      }
      if (step->get_string("behavior", "Isolated") != "Isolated" || step->get_bool("invert", false)) {
        step->fail("a Split pre-tokenizer is supported with behavior Isolated and invert false only");
      }
      pipeline.steps.push_back({});  // Gpt2Pattern
    } else {
      step->at("type").fail(str("pre-tokenizer type \"", type, "\" is not supported with ByteLevel (coact reads Digits, ",
                                "Split with GPT-2's pattern, and Sequence of them before ByteLevel)"));
    }
  }
}

TokenizerPipeline::Step read_metaspace(const JsonValue& step) {
  TokenizerPipeline::Step metaspace;
  metaspace.kind = StepKind::Metaspace;
  metaspace.replacement = step.get_string("replacement", "\u2581");
  if (metaspace.replacement.empty()) step.at("replacement").fail("expected a replacement character");
  using Prepend = TokenizerPipeline::Step::Prepend;
  if (const JsonValue* scheme = step.find("prepend_scheme"); scheme != nullptr && !scheme->is_null()) {
    const std::string& name = scheme->as_string();
    if (name == "always") metaspace.prepend = Prepend::Always;
    else if (name == "first") metaspace.prepend = Prepend::First;
    else if (name == "never") metaspace.prepend = Prepend::Never;
    else scheme->fail(str("prepend_scheme \"", name, "\" is not one of always, first, never"));
  } else {  // files written before prepend_scheme existed
    metaspace.prepend = step.get_bool("add_prefix_space", true) ? Prepend::Always : Prepend::Never;
  }
  metaspace.split = step.get_bool("split", true);
  return metaspace;
}

// Reads the pre-tokenizer for `model` ("BPE" or "WordPiece") and settles the pipeline's model:
// a BPE with a ByteLevel step is byte-level, one with Metaspace or none works on characters.
void read_pre_tokenizer(const JsonValue* pre_tokenizer, const std::string& model, TokenizerPipeline& pipeline) {
  std::vector<const JsonValue*> steps;
  if (pre_tokenizer != nullptr && !pre_tokenizer->is_null()) flatten_pre_tokenizers(*pre_tokenizer, steps);
  const bool byte_level = std::any_of(steps.begin(), steps.end(), [](const JsonValue* s) { return type_of(*s) == "ByteLevel"; });
  if (model == "BPE" && byte_level) {
    pipeline.model = Model::ByteLevelBpe;
    read_byte_level_steps(steps, pipeline);
    return;
  }
  pipeline.model = model == "BPE" ? Model::Bpe : Model::WordPiece;
  const char* wanted = model == "BPE" ? "Metaspace" : "BertPreTokenizer";
  for (const JsonValue* step : steps) {
    const std::string& type = type_of(*step);
    if (type != wanted || steps.size() > 1) {
      step->at("type").fail(str("pre-tokenizer type \"", type, "\" is not supported with a ", model, " model (coact reads ",
                                model == "BPE" ? "ByteLevel (with Digits and Split), or one Metaspace, or none"
                                               : "one BertPreTokenizer, or none",
                                ")"));
    }
    if (model == "BPE") {
      pipeline.steps.push_back(read_metaspace(*step));
    } else {
      TokenizerPipeline::Step bert;
      bert.kind = StepKind::Bert;
      pipeline.steps.push_back(bert);
    }
  }
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

std::vector<std::int32_t> special_ids(const JsonValue& ids) {
  std::vector<std::int32_t> out;
  for (const JsonValue& id : ids.as_array()) out.push_back(token_id_value(id));
  return out;
}

// The special tokens the post-processor puts before and after a single sequence.
void read_post_processor(const JsonValue* processor, TokenizerPipeline& pipeline) {
  if (processor == nullptr || processor->is_null()) return;
  const std::string& type = type_of(*processor);
  if (type == "Sequence") {
    for (const JsonValue& inner : processor->at("processors").as_array()) read_post_processor(&inner, pipeline);
    return;
  }
  if (type == "ByteLevel") return;  // adjusts offsets only
  if (type == "TemplateProcessing") {
    bool sequence_seen = false;
    for (const JsonValue& item : processor->at("single").as_array()) {
      if (item.find("Sequence") != nullptr) {
        if (sequence_seen) item.fail("a single-sequence template with the sequence twice is not supported");
        sequence_seen = true;
        continue;
      }
      const JsonValue* special = item.find("SpecialToken");
      if (special == nullptr) item.fail("expected a SpecialToken or a Sequence");
      const std::vector<std::int32_t> ids =
          special_ids(processor->at("special_tokens").at(special->get_string("id")).at("ids"));
      auto& side = sequence_seen ? pipeline.template_suffix : pipeline.template_prefix;
      side.insert(side.end(), ids.begin(), ids.end());
    }
    if (!sequence_seen) processor->at("single").fail("the template has no Sequence");
    return;
  }
  if (type == "RobertaProcessing" || type == "BertProcessing") {
    pipeline.template_prefix.push_back(token_id_value(processor->at("cls").at(1)));  // ["<s>", 0]
    pipeline.template_suffix.push_back(token_id_value(processor->at("sep").at(1)));
    return;
  }
  processor->at("type").fail(str("post-processor type \"", type, "\" is not supported (coact reads TemplateProcessing, ",
                                 "BertProcessing, RobertaProcessing, ByteLevel and Sequence of them)"));
}

std::int32_t vocab_id(const JsonValue& model_json, const char* key, const std::string& token) {
  const JsonValue* id = model_json.at("vocab").find(token);
  if (id == nullptr) model_json.at(key).fail(str(json_quote(token), " is not in the vocabulary"));
  return token_id_value(*id);
}

// BERT's pipeline around a WordPiece vocabulary (what transformers' BertTokenizer and the
// tokenizer.json it converts to do).
TokenizerPipeline bert_pipeline(bool lowercase) {
  TokenizerPipeline pipeline;
  pipeline.model = Model::WordPiece;
  Normalization bert;
  bert.kind = Normalization::Kind::Bert;
  bert.lowercase = lowercase;
  bert.strip_accents = lowercase;
  pipeline.normalizers.push_back(bert);
  TokenizerPipeline::Step split;
  split.kind = StepKind::Bert;
  pipeline.steps.push_back(split);
  return pipeline;
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
  if (model_type != "BPE" && model_type != "WordPiece") {
    model_json.fail(str("model type \"", model_type, "\" is not supported (coact reads BPE and WordPiece)"));
  }

  TokenizerPipeline pipeline;
  read_normalizers(root.find("normalizer"), pipeline.normalizers);
  read_pre_tokenizer(root.find("pre_tokenizer"), model_type, pipeline);
  read_post_processor(root.find("post_processor"), pipeline);

  TokenizerModel model;
  model.vocab = read_vocab_object(model_json.at("vocab"));
  model.merges_source = tokenizer_json;
  if (model_type == "WordPiece") {
    pipeline.continuing_subword_prefix = model_json.get_string("continuing_subword_prefix", "##");
    pipeline.max_input_chars_per_word = model_json.get_int("max_input_chars_per_word", 100);
    pipeline.unknown_id = vocab_id(model_json, "unk_token", model_json.get_string("unk_token", "[UNK]"));
  } else {
    if (model_json.get_bool("byte_fallback", false)) {
      if (pipeline.model == Model::ByteLevelBpe) {
        model_json.at("byte_fallback").fail("byte_fallback with a ByteLevel pre-tokenizer is not supported");
      }
      pipeline.byte_fallback = true;
    }
    if (model_json.get_double("dropout", 0.0) != 0.0) {
      model_json.at("dropout").fail("BPE dropout is not supported (coact encodes deterministically)");
    }
    for (const char* affix : {"continuing_subword_prefix", "end_of_word_suffix"}) {
      if (!model_json.get_string(affix, "").empty()) model_json.at(affix).fail("subword prefixes and suffixes are not supported");
    }
    for (const JsonValue& merge : model_json.at("merges").as_array()) {
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
    pipeline.ignore_merges = model_json.get_bool("ignore_merges", false);
    pipeline.fuse_unknown = model_json.get_bool("fuse_unk", false);
    const std::string unknown = model_json.get_string("unk_token", "");
    if (!unknown.empty()) pipeline.unknown_id = vocab_id(model_json, "unk_token", unknown);
  }
  std::vector<AddedToken> added = read_added_tokens(root.find("added_tokens"));

  std::optional<std::int32_t> bos;
  if (!pipeline.template_prefix.empty()) bos = pipeline.template_prefix.front();
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

Tokenizer Tokenizer::from_bert_vocab(const std::string& vocab_txt, bool lowercase) {
  const std::string text = read_text_file(vocab_txt);
  TokenizerModel model;
  std::unordered_map<std::string, std::int64_t> lines;
  std::int64_t line_number = 0;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + start, end - start);
    start = end + 1;
    ++line_number;
    if (line.ends_with('\r')) line.remove_suffix(1);
    const auto [it, inserted] = lines.emplace(std::string(line), line_number);
    if (!inserted) {
      throw InputError(str(vocab_txt, " line ", line_number, ": token ", json_quote(line), " repeats line ", it->second));
    }
    model.vocab.emplace_back(std::string(line), static_cast<std::int32_t>(line_number - 1));
  }
  TokenizerPipeline pipeline = bert_pipeline(lowercase);
  const auto id_of = [&](const char* token) -> std::optional<std::int32_t> {
    const auto it = lines.find(token);
    if (it == lines.end()) return std::nullopt;
    return static_cast<std::int32_t>(it->second - 1);
  };
  const auto unknown = id_of("[UNK]");
  if (!unknown) throw InputError(str(vocab_txt, ": no [UNK] token (BERT's WordPiece needs one)"));
  pipeline.unknown_id = *unknown;
  // BERT's special tokens are matched whole in the raw text, as transformers' BertTokenizer does.
  std::vector<AddedToken> added;
  for (const char* special : {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}) {
    if (const auto id = id_of(special)) added.push_back(AddedToken{special, *id, true, false, false, false});
  }
  const auto cls = id_of("[CLS]"), sep = id_of("[SEP]");
  if (!cls || !sep) throw InputError(str(vocab_txt, ": no [CLS] or [SEP] token (BERT's template needs both)"));
  pipeline.template_prefix = {*cls};
  pipeline.template_suffix = {*sep};
  return Tokenizer(vocab_txt, std::move(model), std::move(added), pipeline, *cls);
}

Tokenizer Tokenizer::from_file(const std::string& path) {
  {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(str(path, ": cannot open the file"));
    std::uint8_t magic[4] = {0, 0, 0, 0};
    in.read(reinterpret_cast<char*>(magic), 4);
    if (in.gcount() == 4 && io::is_gguf(std::span<const std::uint8_t>(magic, 4))) return from_gguf(path);
  }
  const std::filesystem::path file(path);
  if (file.extension() == ".txt") {
    const std::filesystem::path config = file.parent_path() / "tokenizer_config.json";
    if (!std::filesystem::exists(config)) {
      throw InputError(str(path, ": a WordPiece vocab.txt needs the tokenizer_config.json beside it, whose do_lower_case ",
                           "says whether the model lower-cases (", config.string(), " is missing)"));
    }
    const JsonValue settings = parse_json_file(config.string());
    if (!settings.is_object()) settings.fail("expected an object");
    return from_bert_vocab(path, settings.get_bool("do_lower_case"));
  }
  return from_hf_json(path);
}

}  // namespace coact::data
