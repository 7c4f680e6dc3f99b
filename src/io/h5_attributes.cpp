// Attributes: scalar and 1-D numbers, variable-length UTF-8 strings.
#include <cstdlib>
#include <cstring>

#include "h5_internal.h"

namespace coact::io {
namespace {

Handle string_type() {
  Handle t(H5Tcopy(H5T_C_S1));
  H5Tset_size(t.id(), H5T_VARIABLE);
  H5Tset_cset(t.id(), H5T_CSET_UTF8);
  return t;
}

}  // namespace

bool Attributes::has(const std::string& name) const {
  COACT_H5_LOCK();
  const htri_t exists = H5Aexists(object_, name.c_str());
  if (exists < 0) H5Eclear2(H5E_DEFAULT);
  return exists > 0;
}

std::vector<std::string> Attributes::names() const {
  COACT_H5_LOCK();
  std::vector<std::string> out;
  auto visit = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    static_cast<std::vector<std::string>*>(data)->emplace_back(name);
    return 0;
  };
  hsize_t index = 0;
  COACT_H5_CHECK(H5Aiterate2(object_, H5_INDEX_NAME, H5_ITER_INC, &index, visit, &out), where_);
  return out;
}

void Attributes::remove_if_present(const std::string& name) {
  if (has(name)) COACT_H5_CHECK(H5Adelete(object_, name.c_str()), where_ + "@" + name);
}

void Attributes::set(const std::string& name, const std::string& value) {
  COACT_H5_LOCK();
  remove_if_present(name);
  Handle type = string_type();
  Handle space(COACT_H5_CHECK(H5Screate(H5S_SCALAR), where_));
  Handle attr(COACT_H5_CHECK(H5Acreate2(object_, name.c_str(), type.id(), space.id(), H5P_DEFAULT, H5P_DEFAULT),
                             where_ + "@" + name));
  const char* text = value.c_str();
  COACT_H5_CHECK(H5Awrite(attr.id(), type.id(), &text), where_ + "@" + name);
}

namespace {

template <class T>
void write_numbers(hid_t object, const std::string& where, const std::string& name, const T* values,
                   std::size_t count, bool scalar) {
  Handle space;
  if (scalar) {
    space = Handle(COACT_H5_CHECK(H5Screate(H5S_SCALAR), where));
  } else {
    const hsize_t n = count;
    space = Handle(COACT_H5_CHECK(H5Screate_simple(1, &n, nullptr), where));
  }
  const hid_t type = detail::h5_type(element_type_of<T>());
  Handle attr(COACT_H5_CHECK(H5Acreate2(object, name.c_str(), type, space.id(), H5P_DEFAULT, H5P_DEFAULT), where + "@" + name));
  if (count) COACT_H5_CHECK(H5Awrite(attr.id(), type, values), where + "@" + name);
}

template <class T>
std::vector<T> read_numbers(hid_t object, const std::string& where, const std::string& name, bool want_integer) {
  Handle attr(COACT_H5_CHECK(H5Aopen(object, name.c_str(), H5P_DEFAULT), where + "@" + name));
  Handle type(COACT_H5_CHECK(H5Aget_type(attr.id()), where + "@" + name));
  const H5T_class_t cls = H5Tget_class(type.id());
  if (cls != H5T_INTEGER && (want_integer || cls != H5T_FLOAT))
    throw InputError(str(where, ": attribute '", name, "' is not ", want_integer ? "an integer" : "a number"));
  Handle space(COACT_H5_CHECK(H5Aget_space(attr.id()), where + "@" + name));
  const hssize_t n = H5Sget_simple_extent_npoints(space.id());
  std::vector<T> values(static_cast<std::size_t>(n < 0 ? 0 : n));
  if (!values.empty())
    COACT_H5_CHECK(H5Aread(attr.id(), detail::h5_type(element_type_of<T>()), values.data()), where + "@" + name);
  return values;
}

}  // namespace

void Attributes::set(const std::string& name, std::int64_t value) {
  COACT_H5_LOCK();
  remove_if_present(name);
  write_numbers(object_, where_, name, &value, 1, true);
}

void Attributes::set(const std::string& name, double value) {
  COACT_H5_LOCK();
  remove_if_present(name);
  write_numbers(object_, where_, name, &value, 1, true);
}

void Attributes::set(const std::string& name, const std::vector<std::int64_t>& values) {
  COACT_H5_LOCK();
  remove_if_present(name);
  write_numbers(object_, where_, name, values.data(), values.size(), false);
}

void Attributes::set(const std::string& name, const std::vector<double>& values) {
  COACT_H5_LOCK();
  remove_if_present(name);
  write_numbers(object_, where_, name, values.data(), values.size(), false);
}

ElementType Attributes::type_of(const std::string& name) const {
  COACT_H5_LOCK();
  if (!has(name)) throw InputError(str(where_, ": missing attribute '", name, "'"));
  Handle attr(COACT_H5_CHECK(H5Aopen(object_, name.c_str(), H5P_DEFAULT), where_ + "@" + name));
  Handle type(COACT_H5_CHECK(H5Aget_type(attr.id()), where_ + "@" + name));
  return detail::element_type_from(type.id());
}

std::string Attributes::get_string(const std::string& name) const {
  COACT_H5_LOCK();
  if (!has(name)) throw InputError(str(where_, ": missing attribute '", name, "'"));
  Handle attr(COACT_H5_CHECK(H5Aopen(object_, name.c_str(), H5P_DEFAULT), where_ + "@" + name));
  Handle type(COACT_H5_CHECK(H5Aget_type(attr.id()), where_ + "@" + name));
  if (H5Tget_class(type.id()) != H5T_STRING) throw InputError(str(where_, ": attribute '", name, "' is not a string"));
  if (H5Tis_variable_str(type.id()) > 0) {
    Handle memory = string_type();
    char* text = nullptr;
    COACT_H5_CHECK(H5Aread(attr.id(), memory.id(), &text), where_ + "@" + name);
    std::string value = text ? text : "";
    H5free_memory(text);
    return value;
  }
  const std::size_t size = H5Tget_size(type.id());
  std::string value(size, '\0');
  COACT_H5_CHECK(H5Aread(attr.id(), type.id(), value.data()), where_ + "@" + name);
  value.resize(std::strlen(value.c_str()));  // fixed-length strings are NUL-padded
  return value;
}

std::int64_t Attributes::get_int(const std::string& name) const {
  const auto values = get_ints(name);
  if (values.size() != 1) throw InputError(str(where_, ": attribute '", name, "' is not a single integer"));
  return values[0];
}

double Attributes::get_double(const std::string& name) const {
  const auto values = get_doubles(name);
  if (values.size() != 1) throw InputError(str(where_, ": attribute '", name, "' is not a single number"));
  return values[0];
}

std::vector<std::int64_t> Attributes::get_ints(const std::string& name) const {
  COACT_H5_LOCK();
  if (!has(name)) throw InputError(str(where_, ": missing attribute '", name, "'"));
  return read_numbers<std::int64_t>(object_, where_, name, true);
}

std::vector<double> Attributes::get_doubles(const std::string& name) const {
  COACT_H5_LOCK();
  if (!has(name)) throw InputError(str(where_, ": missing attribute '", name, "'"));
  return read_numbers<double>(object_, where_, name, false);
}

}  // namespace coact::io
