#include "coact/core/options.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::options {

const char* to_string(Kind kind) {
  switch (kind) {
    case Kind::Integer: return "an integer";
    case Kind::Real: return "a number";
    case Kind::Flag: return "true or false";
    case Kind::Text: return "text";
  }
  return "?";
}

std::string shortest(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string to_text(const Value& value) {
  if (!is_set(value)) return "";
  if (const auto* i = std::get_if<std::int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return shortest(*d);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

namespace {

Spec make(std::string name, Kind kind, std::string help) {
  Spec spec;
  spec.name = std::move(name);
  spec.kind = kind;
  spec.help = std::move(help);
  return spec;
}

}  // namespace

Spec integer(std::string name, std::string help) { return make(std::move(name), Kind::Integer, std::move(help)); }
Spec real(std::string name, std::string help) { return make(std::move(name), Kind::Real, std::move(help)); }
Spec flag(std::string name, std::string help) { return make(std::move(name), Kind::Flag, std::move(help)); }
Spec text(std::string name, std::string help) { return make(std::move(name), Kind::Text, std::move(help)); }

namespace {

std::string bound_text(double v, Kind kind) {
  if (kind == Kind::Integer && std::abs(v) < 9.007199254740992e15) return std::to_string(static_cast<std::int64_t>(v));
  return shortest(v);
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += i + 1 == values.size() ? " or " : ", ";
    out += values[i];
  }
  return out;
}

}  // namespace

std::string Spec::shown_value() const {
  if (!value_name.empty()) return value_name;
  if (!choices.empty()) {
    std::string out;
    for (const auto& c : choices) out += (out.empty() ? "" : "|") + c;
    return out;
  }
  switch (kind) {
    case Kind::Integer: return "N";
    case Kind::Real: return "X";
    case Kind::Flag: return "BOOL";
    case Kind::Text: return "TEXT";
  }
  return "";
}

std::string Spec::range_text() const {
  if (!choices.empty()) return "one of " + joined(choices);
  if (kind != Kind::Integer && kind != Kind::Real) return "";
  std::string out;
  if (min) out = str(min_exclusive ? "> " : ">= ", bound_text(*min, kind));
  if (max)
    out += str(out.empty() ? "" : " and ", max_exclusive ? "< " : "<= ", bound_text(*max, kind),
               max_reason.empty() ? "" : " (" + max_reason + ")");
  if (kind == Kind::Real) out += out.empty() ? "finite" : ", finite";
  return out;
}

void Spec::check(const Value& value, const std::string& label) const {
  // "<label> = <value>: <problem> (expected <range>)": the field, what was given, why not.
  const auto fail = [&](const std::string& what) {
    const std::string range = range_text();
    throw UsageError(str(label, is_set(value) ? " = " + to_text(value) : "", ": ", what,
                         range.empty() ? "" : " (expected " + range + ")"));
  };
  if (!is_set(value)) {
    if (required) fail("is required");
    return;
  }
  switch (kind) {
    case Kind::Integer: {
      const auto* v = std::get_if<std::int64_t>(&value);
      if (!v) fail("is not an integer");
      const double x = static_cast<double>(*v);
      if (min && (min_exclusive ? x <= *min : x < *min)) fail("too small");
      if (max && (max_exclusive ? x >= *max : x > *max)) fail("too large");
      break;
    }
    case Kind::Real: {
      const auto* v = std::get_if<double>(&value);
      if (!v) fail("is not a number");
      if (!std::isfinite(*v)) fail("not a finite number");
      if (min && (min_exclusive ? *v <= *min : *v < *min)) fail("too small");
      if (max && (max_exclusive ? *v >= *max : *v > *max)) fail("too large");
      break;
    }
    case Kind::Flag:
      if (!std::holds_alternative<bool>(value)) fail("is not true or false");
      break;
    case Kind::Text: {
      const auto* v = std::get_if<std::string>(&value);
      if (!v) fail("is not text");
      if ((list ? list_items(*v).empty() : v->empty()) && !allow_empty) fail("empty");
      if (!choices.empty() && std::find(choices.begin(), choices.end(), *v) == choices.end()) fail("not accepted");
      break;
    }
  }
  if (validate) {
    try {
      validate(value);
    } catch (const UsageError& e) {
      throw UsageError(str(label, " = ", to_text(value), ": ", e.what()));
    }
  }
}

Value Spec::parse(const std::string& raw, const std::string& label) const {
  const std::string t = kind == Kind::Text ? raw : trim(raw);
  const auto refuse = [&] {
    throw UsageError(str(label, ": '", raw, "' is not ", to_string(kind),
                         range_text().empty() ? "" : " (expected " + range_text() + ")"));
  };
  Value value;
  switch (kind) {
    case Kind::Integer: {
      std::int64_t v = 0;
      const char* first = t.data();
      if (!t.empty() && t[0] == '+') ++first;
      const auto [ptr, ec] = std::from_chars(first, t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || ptr != t.data() + t.size()) refuse();
      value = v;
      break;
    }
    case Kind::Real: {
      if (t.empty()) refuse();
      char* end = nullptr;
      errno = 0;
      const double v = std::strtod(t.c_str(), &end);
      // strtod accepts "inf" and "nan" and reports overflow through errno: check() refuses
      // non-finite values with the range; an overflow ("1e400") is not the number written.
      if (end != t.c_str() + t.size() || errno == ERANGE) refuse();
      value = v;
      break;
    }
    case Kind::Flag:
      if (t == "true" || t == "1" || t == "yes" || t == "on") value = true;
      else if (t == "false" || t == "0" || t == "no" || t == "off") value = false;
      else refuse();
      break;
    case Kind::Text:
      value = t;
      break;
  }
  check(value, label);
  return value;
}

std::vector<std::string> list_items(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& part : split(text, ',')) {
    std::string item = trim(part);
    if (!item.empty()) out.push_back(std::move(item));
  }
  return out;
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

Labeler flag_labels() {
  return [](const std::string& name) { return "--" + name; };
}

Labeler key_labels(const std::string& section) {
  return [section](const std::string& name) { return section.empty() ? name : section + "." + name; };
}

std::string attribute_name(const std::string& name) {
  std::string out = name;
  std::replace(out.begin(), out.end(), '-', '_');
  return out;
}

void throw_unknown_option(const std::string& label) { throw UsageError(str(label, ": unknown option")); }

void throw_missing_option(const Spec& spec, const std::string& label) {
  throw UsageError(str(label, ": required (", spec.help, ")"));
}

}  // namespace coact::options
