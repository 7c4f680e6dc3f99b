#include "coact/io/stored_options.h"

#include "coact/core/errors.h"

namespace coact::io {

void set_option_value(Attributes& attributes, const std::string& name, const options::Value& value) {
  if (const auto* i = std::get_if<std::int64_t>(&value)) attributes.set(name, *i);
  else if (const auto* d = std::get_if<double>(&value)) attributes.set(name, *d);
  else if (const auto* b = std::get_if<bool>(&value)) attributes.set(name, static_cast<std::int64_t>(*b));
  else if (const auto* s = std::get_if<std::string>(&value)) attributes.set(name, *s);
}

options::Value get_option_value(const Attributes& attributes, const std::string& name, options::Kind kind, bool optional) {
  if (!attributes.has(name)) {
    if (optional) return {};
    return attributes.get_string(name);  // throws the reader's "missing attribute" error
  }
  switch (kind) {
    case options::Kind::Integer: return attributes.get_int(name);
    case options::Kind::Real: return attributes.get_double(name);
    case options::Kind::Flag: {
      const std::int64_t v = attributes.get_int(name);
      if (v != 0 && v != 1) throw InputError(str("attribute '", name, "' is ", v, ", not a flag (0 or 1)"));
      return v != 0;
    }
    case options::Kind::Text: return attributes.get_string(name);
  }
  return {};
}

}  // namespace coact::io
