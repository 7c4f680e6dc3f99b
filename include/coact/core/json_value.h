// A strict JSON parser into a small value tree, for the JSON coact reads from other tools:
// safetensors headers, SAELens cfg.json, Hugging Face config.json and tokenizer.json.
//
// Strict because these files may be hostile: RFC 8259 grammar only (no comments,
// no trailing commas, no NaN), valid UTF-8, no lone surrogates, no duplicate keys, and limits
// on size and nesting so no input can exhaust the stack or memory. Every error is an
// InputError of one line naming the caller's context (usually the file), the byte offset and
// what was expected; accessors name the key path and the type they found.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace coact {

struct JsonLimits {
  std::size_t max_bytes = std::size_t{256} << 20;  // tokenizer.json files are a few MiB
  int max_depth = 256;                              // nested arrays/objects
  // Values in the tree (each costs ~150 bytes): GPT-2's tokenizer.json has ~100k.
  std::size_t max_values = std::size_t{4} << 20;
};

class JsonValue {
 public:
  enum class Type { Null, Bool, Number, String, Array, Object };
  using Member = std::pair<std::string, JsonValue>;

  JsonValue() = default;

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_number() const { return type_ == Type::Number; }
  // A number whose value is an integer that int64 holds exactly ("3", "-7", "16384.0", "1e3").
  bool is_integer() const { return type_ == Type::Number && integral_; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Typed access: each throws InputError "<context>: <path>: expected ..., found ..." when the
  // value has another type (as_int also when the number is not an exact int64).
  bool as_bool() const;
  double as_double() const;
  std::int64_t as_int() const;
  const std::string& as_string() const;
  const std::vector<JsonValue>& as_array() const;
  // Object members in document order.
  const std::vector<Member>& members() const;

  // Array or object size; throws for scalars.
  std::size_t size() const;
  // Array element; throws when out of range or not an array.
  const JsonValue& at(std::size_t index) const;

  // Object lookup (throws when this is not an object). find() returns nullptr when absent;
  // at() throws "<context>: <path>: missing key "<key>"".
  const JsonValue* find(std::string_view key) const;
  const JsonValue& at(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }

  // Shorthands for at(key).as_*(); the fallback forms return `fallback` when the key is absent
  // or null, and still throw when it is present with the wrong type.
  std::int64_t get_int(std::string_view key) const { return at(key).as_int(); }
  double get_double(std::string_view key) const { return at(key).as_double(); }
  bool get_bool(std::string_view key) const { return at(key).as_bool(); }
  const std::string& get_string(std::string_view key) const { return at(key).as_string(); }
  std::int64_t get_int(std::string_view key, std::int64_t fallback) const;
  double get_double(std::string_view key, double fallback) const;
  bool get_bool(std::string_view key, bool fallback) const;
  std::string get_string(std::string_view key, std::string_view fallback) const;

  // Where this value sits: "model.vocab", "layers[3].w"; "" for the document root. Computed
  // on demand (for error messages) by re-scanning the document, so values stay small.
  std::string path() const;
  // The context given to the parser (usually the file name).
  const std::string& context() const;
  // Byte offset of the value's first character in the parsed text.
  std::size_t offset() const { return offset_; }
  // "<context>: <path>" (or "<context>: top level"), the prefix of every accessor error.
  std::string where() const;
  // Throws InputError "<where()>: <what>", for callers that validate values themselves.
  [[noreturn]] void fail(std::string_view what) const;

  // "null", "a boolean", "a number", "a string", "an array", "an object".
  static const char* type_name(Type type);

  // The context string and the document text, shared by every value of one document (opaque).
  struct Source;

 private:
  friend class JsonParser;

  Type type_ = Type::Null;
  bool boolean_ = false;
  bool integral_ = false;
  double number_ = 0.0;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<JsonValue> elements_;
  std::vector<Member> members_;
  // Indices into members_ sorted by key, for logarithmic lookup in large objects (vocabularies).
  std::vector<std::uint32_t> sorted_members_;
  std::size_t offset_ = 0;
  std::shared_ptr<const Source> source_;

  [[noreturn]] void wrong_type(const char* expected) const;
};

// Parses `text` (one JSON value, surrounding whitespace allowed, a leading UTF-8 byte order
// mark ignored). `context` names the source in error messages, e.g. the file name or
// "model.safetensors: header".
JsonValue parse_json(std::string_view text, std::string_view context, const JsonLimits& limits = {});

// Reads and parses a file; errors name the file. A missing or unreadable file is an InputError.
JsonValue parse_json_file(const std::string& path, const JsonLimits& limits = {});

// True when `text` is well-formed UTF-8 as the parser requires it in strings (RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF). Other readers of foreign text use it.
bool valid_utf8(std::string_view text);

}  // namespace coact
