// Options tables stored as HDF5 attributes: every field of a table as `<prefix><name>` (dashes
// as underscores: cfg_lr_warmup_steps), integers and flags as int64, numbers as float64, text
// as strings. An unset optional field is not written, and reads back unset. Reading a file
// whose attribute is missing or of the wrong kind, or whose value is out of the field's range,
// is an InputError naming the file and the attribute — except a field added after the file was
// written, which reads as the value such files were made with (Spec::in_older_files).
#pragma once

#include <string>

#include "coact/core/errors.h"
#include "coact/core/options.h"
#include "coact/io/h5.h"

namespace coact::io {

void set_option_value(Attributes& attributes, const std::string& name, const options::Value& value);
// The attribute as a value of `kind`; missing -> unset when `optional`, else InputError.
options::Value get_option_value(const Attributes& attributes, const std::string& name, options::Kind kind, bool optional);

template <class S>
void write_options(Attributes& attributes, const std::string& prefix, const options::Table<S>& table, const S& values) {
  for (const auto& f : table.fields()) {
    const options::Value v = f.get(values);
    if (options::is_set(v)) set_option_value(attributes, prefix + options::attribute_name(f.spec.name), v);
  }
}

// `base` gives the values of fields that may be absent (optional fields, derived ones); every
// other field must be present. `where` names the file in messages.
template <class S>
S read_options(const Attributes& attributes, const std::string& prefix, const options::Table<S>& table, S base,
               const std::string& where) {
  for (const auto& f : table.fields()) {
    const std::string name = prefix + options::attribute_name(f.spec.name);
    const bool older = options::is_set(f.spec.in_older_files);
    const bool optional = !options::is_set(f.get(base)) || !f.spec.derived.empty() || older;
    options::Value v = get_option_value(attributes, name, f.spec.kind, optional);
    if (!options::is_set(v) && older) v = f.spec.in_older_files;
    if (!options::is_set(v)) continue;
    try {
      f.spec.check(v, name);
      f.set(base, v);
    } catch (const UsageError& e) {
      throw InputError(str(where, ": attribute ", e.what()));
    }
  }
  return base;
}

}  // namespace coact::io
