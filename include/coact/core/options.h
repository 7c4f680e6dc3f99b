// Options declared once. Each options struct has one field table (in the module that owns the
// struct): per field its name, kind, valid range or choices, help, and whether it changes
// results. Everything else derives from that table: the command-line flags (apps), the keys of
// a study file, the attributes an output stores and their comparison on --resume, the text of
// a configuration fingerprint, and range checks before any work. Adding a parameter is one
// table entry plus its use.
//
// A field's default is the value the struct's own initialiser gives it (`Table` keeps a
// default-constructed instance), so defaults are written once, in the struct; a field whose
// default depends on other values (a recipe's learning rate for its width) says so in
// `derived` and is left alone when not given.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace coact::options {

enum class Kind { Integer, Real, Flag, Text };
const char* to_string(Kind kind);  // "integer", "number", "true/false", "text"

// A field's value; std::monostate is "not set" (an optional member without a value, e.g. a
// learning rate left to the recipe).
using Value = std::variant<std::monostate, std::int64_t, double, bool, std::string>;
inline bool is_set(const Value& value) { return !std::holds_alternative<std::monostate>(value); }

// The value as a configuration file writes it: "16384", "0.7" (shortest text that reads back
// the same double), "true", "52,55"; "" when not set.
std::string to_text(const Value& value);
// The shortest decimal text that reads back as the same double ("0.7", "3e-4").
std::string shortest(double value);

// One field's declaration.
struct Spec {
  std::string name;        // flag (--name), study key ([section] name = ...), attribute (name with '_')
  Kind kind = Kind::Text;
  std::string help;
  std::string value_name;  // shown in --help; empty: by kind
  // Valid range of Integer and Real fields, inclusive unless min_exclusive. Real values must
  // also be finite. An upper bound says why it exists (max_reason), so the refusal can say it.
  std::optional<double> min, max;
  bool min_exclusive = false, max_exclusive = false;
  std::string max_reason;
  std::vector<std::string> choices;  // Text: the accepted values (empty: any non-empty text)
  bool allow_empty = false;          // Text: "" is a value (else refused)
  bool list = false;                 // Text: comma-separated items (several values on a command line)
  std::string derived;               // non-empty: no fixed default; how the value is derived
  bool required = false;             // must be given
  bool changes_results = true;       // false: performance and logging knobs (not in fingerprints)
  bool user = true;                  // false: set by the program (stored and compared, no flag)
  // Further checks of a value of the right kind (a list's syntax, a path's form): throws
  // UsageError with what is wrong; the caller's label is put in front.
  std::function<void(const Value&)> validate;
  // Stored files from before this field existed lack it; they were made with this value
  // (io::read_options uses it for a missing attribute, and says so nowhere else: it is a fact
  // about old files, not a default for new input).
  Value in_older_files;

  Spec& at_least(double v) { min = v; min_exclusive = false; return *this; }
  Spec& above(double v) { min = v; min_exclusive = true; return *this; }
  Spec& at_most(double v, std::string reason = "") { max = v; max_exclusive = false; max_reason = std::move(reason); return *this; }
  Spec& below(double v, std::string reason = "") { max = v; max_exclusive = true; max_reason = std::move(reason); return *this; }
  Spec& one_of(std::vector<std::string> values) { choices = std::move(values); return *this; }
  Spec& empty_allowed() { allow_empty = true; return *this; }
  Spec& listed() { list = true; return *this; }
  Spec& derived_from(std::string how) { derived = std::move(how); return *this; }
  Spec& must_be_given() { required = true; return *this; }
  Spec& performance() { changes_results = false; return *this; }
  Spec& internal() { user = false; return *this; }
  Spec& shown_as(std::string name_in_help) { value_name = std::move(name_in_help); return *this; }
  Spec& validated_by(std::function<void(const Value&)> check_value) { validate = std::move(check_value); return *this; }
  Spec& older_files_had(Value value) { in_older_files = std::move(value); return *this; }

  // The value name --help shows: value_name, else "N", "X", "BOOL", "TEXT" or the choices.
  std::string shown_value() const;
  // "1 <= N <= 1048576 (why)", "one of a, b", "" when unconstrained.
  std::string range_text() const;
  // Throws UsageError "<label>: <what is wrong> (<range>)" unless `value` has this field's kind
  // and lies in its range/choices. "Not set" passes unless the field is required.
  void check(const Value& value, const std::string& label) const;
  // Parses `text` as this field's kind (strict: "12x", "1e400", "yes?" are refused) and checks
  // it. Throws UsageError naming `label`.
  Value parse(const std::string& text, const std::string& label) const;
};

Spec integer(std::string name, std::string help);
Spec real(std::string name, std::string help);
Spec flag(std::string name, std::string help);
Spec text(std::string name, std::string help);

// A list field's items: "a.h5, b.h5" -> {"a.h5", "b.h5"} (trimmed, empty items dropped).
std::vector<std::string> list_items(const std::string& text);
std::string list_text(const std::vector<std::string>& items);  // {"a", "b"} -> "a,b"

// How messages name a field: "--batch-size" on the command line, "train.batch-size" in a
// study file, "cfg_batch_size" in a stored file.
using Labeler = std::function<std::string(const std::string& name)>;
Labeler flag_labels();                            // "--name"
Labeler key_labels(const std::string& section);   // "section.name" ("name" for the section "")

// "batch-size" -> "batch_size": the attribute name of a field.
std::string attribute_name(const std::string& name);

// One difference between two configurations: the field and both values as text.
struct Difference {
  std::string name;
  std::string first, second;
};

template <class S>
class Table {
 public:
  struct Field {
    Spec spec;
    std::function<Value(const S&)> get;
    std::function<void(S&, const Value&)> set;
  };

  explicit Table(S defaults = S{}) : defaults_(std::move(defaults)) {}

  // A member whose type matches the kind: integral (Integer, or Flag for bool), floating
  // (Real), std::string (Text).
  template <class M>
  Table& add(Spec spec, M S::*member) {
    fields_.push_back({std::move(spec), [member](const S& s) { return to_value(s.*member); },
                       [member](S& s, const Value& v) { from_value(v, s.*member); }});
    return *this;
  }
  // A member kept as an enum (or any type with a text form): a Text field.
  template <class M>
  Table& add(Spec spec, M S::*member, std::function<std::string(const M&)> to_text_form,
             std::function<M(const std::string&)> from_text_form) {
    if (spec.choices.empty()) spec.kind = Kind::Text;
    fields_.push_back({std::move(spec), [member, to_text_form](const S& s) { return Value(to_text_form(s.*member)); },
                       [member, from_text_form](S& s, const Value& v) { s.*member = from_text_form(std::get<std::string>(v)); }});
    return *this;
  }
  // Any get/set pair (a value spread over several members, an optional).
  Table& add(Spec spec, std::function<Value(const S&)> get, std::function<void(S&, const Value&)> set) {
    fields_.push_back({std::move(spec), std::move(get), std::move(set)});
    return *this;
  }
  // Every field of `inner` (only those a user sets, with `user_only`), through `member` (a
  // nested options struct).
  template <class I>
  Table& include(const Table<I>& inner, I S::*member, bool user_only = false) {
    for (const auto& f : inner.fields())
      if (f.spec.user || !user_only)
        fields_.push_back({f.spec, [member, get = f.get](const S& s) { return get(s.*member); },
                         [member, set = f.set](S& s, const Value& v) { set(s.*member, v); }});
    return *this;
  }

  const std::vector<Field>& fields() const { return fields_; }
  std::vector<Field>& fields() { return fields_; }
  const Field* find(const std::string& name) const {
    for (const auto& f : fields_)
      if (f.spec.name == name) return &f;
    return nullptr;
  }
  const S& defaults() const { return defaults_; }
  // The default as text ("" for derived or empty-text defaults).
  std::string default_text(const Field& f) const { return f.spec.derived.empty() ? to_text(f.get(defaults_)) : ""; }

  // Sets the given values (name -> typed value) in table order, each checked against its spec
  // and named by `label` in errors. A required field that is absent is refused. Fields not
  // given keep what `target` holds. Unknown names are refused (a caller's bug or a typo'd key).
  void apply(const std::map<std::string, Value>& given, S& target, const Labeler& label) const {
    for (const auto& [name, value] : given)
      if (!find(name)) throw_unknown(name, label);
    for (const auto& f : fields_) {
      const auto it = given.find(f.spec.name);
      if (it == given.end()) {
        if (f.spec.required) throw_missing(f.spec, label);
        continue;
      }
      f.spec.check(it->second, label(f.spec.name));
      f.set(target, it->second);
    }
  }
  // Every field's current value checked against its range (a struct built in code or read
  // from a file); `label` names the offending field.
  void check(const S& s, const Labeler& label) const {
    for (const auto& f : fields_) f.spec.check(f.get(s), label(f.spec.name));
  }
  // "name = value" lines of the fields that are set, in table order; `results_only` leaves out
  // performance knobs.
  std::string ini(const S& s, bool results_only) const {
    std::string out;
    for (const auto& f : fields_) {
      if (results_only && !f.spec.changes_results) continue;
      const Value v = f.get(s);
      if (is_set(v)) out += f.spec.name + " = " + to_text(v) + "\n";
    }
    return out;
  }
  // The fields (changing results) whose values differ, in table order.
  std::vector<Difference> differences(const S& a, const S& b) const {
    std::vector<Difference> out;
    for (const auto& f : fields_) {
      if (!f.spec.changes_results) continue;
      const Value va = f.get(a), vb = f.get(b);
      if (va != vb) out.push_back({f.spec.name, to_text(va), to_text(vb)});
    }
    return out;
  }

 private:
  template <class M>
  static Value to_value(const std::optional<M>& m) {
    return m ? to_value(*m) : Value();
  }
  template <class M>
  static void from_value(const Value& v, std::optional<M>& m) {
    if (!is_set(v)) {
      m.reset();
      return;
    }
    M inner{};
    from_value(v, inner);
    m = inner;
  }
  template <class M>
  static Value to_value(const M& m) {
    static_assert(!std::is_enum_v<M>, "an enum member is a Text field: add it with its text form functions");
    if constexpr (std::is_same_v<M, bool>) return Value(m);
    else if constexpr (std::is_integral_v<M>) return Value(static_cast<std::int64_t>(m));
    else if constexpr (std::is_floating_point_v<M>) return Value(static_cast<double>(m));
    else return Value(std::string(m));
  }
  template <class M>
  static void from_value(const Value& v, M& m) {
    if constexpr (std::is_same_v<M, bool>) m = std::get<bool>(v);
    else if constexpr (std::is_integral_v<M>) m = static_cast<M>(std::get<std::int64_t>(v));
    else if constexpr (std::is_floating_point_v<M>) m = static_cast<M>(std::get<double>(v));
    else m = std::get<std::string>(v);
  }
  [[noreturn]] static void throw_unknown(const std::string& name, const Labeler& label);
  [[noreturn]] static void throw_missing(const Spec& spec, const Labeler& label);

  S defaults_;
  std::vector<Field> fields_;
};

[[noreturn]] void throw_unknown_option(const std::string& label);
[[noreturn]] void throw_missing_option(const Spec& spec, const std::string& label);

template <class S>
void Table<S>::throw_unknown(const std::string& name, const Labeler& label) {
  throw_unknown_option(label(name));
}
template <class S>
void Table<S>::throw_missing(const Spec& spec, const Labeler& label) {
  throw_missing_option(spec, label(spec.name));
}

// A table's user fields with their default texts, type-erased (for --help and flag lists).
struct FieldListing {
  Spec spec;
  std::string default_text;
};
template <class S>
std::vector<FieldListing> listing(const Table<S>& table) {
  std::vector<FieldListing> out;
  for (const auto& f : table.fields())
    if (f.spec.user) out.push_back({f.spec, table.default_text(f)});
  return out;
}

// Text values of a configuration section ("key" -> "text") parsed by a table into typed
// values, each checked; unknown keys refused naming them.
template <class S>
std::map<std::string, Value> parse_all(const Table<S>& table, const std::map<std::string, std::string>& texts,
                                       const Labeler& label) {
  std::map<std::string, Value> out;
  for (const auto& [name, text_value] : texts) {
    const auto* f = table.find(name);
    if (!f || !f->spec.user) throw_unknown_option(label(name));
    out.emplace(name, f->spec.parse(text_value, label(name)));
  }
  return out;
}

}  // namespace coact::options
