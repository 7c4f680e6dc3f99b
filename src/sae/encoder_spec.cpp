#include "coact/sae/encoder_spec.h"

#include <cmath>

#include "coact/core/errors.h"
#include "coact/core/strings.h"

namespace coact::sae {

namespace {

template <class E>
const char* name_of(E value, const std::vector<std::string>& names) {
  return names.at(static_cast<std::size_t>(value)).c_str();
}

template <class E>
E parse_name(const std::string& text, const std::vector<std::string>& names, const char* what) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == text) return static_cast<E>(i);
  std::string accepted;
  for (const auto& n : names) accepted += (accepted.empty() ? "" : ", ") + n;
  throw UsageError(str(what, " '", text, "' is not one of ", accepted));
}

}  // namespace

const std::vector<std::string>& encoder_kind_names() {
  static const std::vector<std::string> names = {"relu", "topk", "batchtopk", "jumprelu", "gated", "matryoshka"};
  return names;
}
const char* to_string(EncoderKind kind) { return name_of(kind, encoder_kind_names()); }
EncoderKind parse_encoder_kind(const std::string& text) {
  return parse_name<EncoderKind>(text, encoder_kind_names(), "encoder kind");
}

bool uses_threshold(EncoderKind kind) {
  return kind == EncoderKind::JumpRelu || kind == EncoderKind::BatchTopK || kind == EncoderKind::Matryoshka;
}
bool uses_k(EncoderKind kind) {
  return kind == EncoderKind::TopK || kind == EncoderKind::BatchTopK || kind == EncoderKind::Matryoshka;
}

const std::vector<std::string>& input_norm_names() {
  static const std::vector<std::string> names = {"none", "scale", "center-scale", "constant-norm", "layer-norm"};
  return names;
}
const char* to_string(InputNormKind kind) { return name_of(kind, input_norm_names()); }
InputNormKind parse_input_norm(const std::string& text) {
  return parse_name<InputNormKind>(text, input_norm_names(), "input normalisation");
}

const options::Table<EncoderSpec>& encoder_table() {
  static const options::Table<EncoderSpec> table = [] {
    using namespace options;
    Table<EncoderSpec> t;
    t.add<EncoderKind>(text("kind", "how the SAE encodes").one_of(encoder_kind_names()), &EncoderSpec::kind,
                       [](const EncoderKind& k) { return std::string(to_string(k)); }, parse_encoder_kind);
    t.add(flag("subtract-b-dec", "encode x - b_dec (false: x)"), &EncoderSpec::subtract_b_dec);
    t.add(integer("k", "topk: latents per token; batchtopk, matryoshka: the training k (0: unused)").at_least(0),
          &EncoderSpec::k);
    t.add(text("groups", "matryoshka: the nested groups' sizes (n1,n2,...)").empty_allowed(), &EncoderSpec::groups);
    t.add<InputNormKind>(text("input-norm", "input normalisation").one_of(input_norm_names()), &EncoderSpec::input_norm,
                         [](const InputNormKind& k) { return std::string(to_string(k)); }, parse_input_norm);
    t.add(real("input-scale", "scale, center-scale: the factor s").above(0), &EncoderSpec::input_scale);
    return t;
  }();
  return table;
}

std::vector<std::int64_t> group_sizes(const EncoderSpec& spec) {
  std::vector<std::int64_t> sizes;
  if (spec.groups.empty()) return sizes;
  for (const auto& item : split(spec.groups, ',')) {
    std::size_t used = 0;
    std::int64_t value = 0;
    try {
      value = std::stoll(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != item.size() || item.empty())
      throw InputError(str("encoder groups '", spec.groups, "': '", item, "' is not an integer"));
    sizes.push_back(value);
  }
  return sizes;
}

std::string group_text(const std::vector<std::int64_t>& sizes) {
  std::string out;
  for (const auto s : sizes) out += (out.empty() ? "" : ",") + std::to_string(s);
  return out;
}

void validate(const EncoderSpec& s, std::int64_t n, const std::string& what) {
  const auto bad = [&](const std::string& field, const std::string& problem) {
    throw InputError(str(what, ": ", field, " ", problem));
  };
  if (uses_k(s.kind)) {
    if (s.k < 1 || s.k > n) bad("k", str("= ", s.k, " must be in [1, n_features = ", n, "] for a ", to_string(s.kind), " SAE"));
  } else if (s.k != 0) {
    bad("k", str("= ", s.k, " is given but a ", to_string(s.kind), " SAE has no k"));
  }
  if (s.kind == EncoderKind::Matryoshka) {
    const auto sizes = group_sizes(s);
    std::int64_t total = 0;
    for (const auto size : sizes) {
      if (size < 1) bad("groups", str("'", s.groups, "' has a group of size ", size));
      total += size;
    }
    if (sizes.empty() || total != n) bad("groups", str("'", s.groups, "' sum to ", total, ", not n_features = ", n));
  } else if (!s.groups.empty()) {
    bad("groups", str("'", s.groups, "' are given but a ", to_string(s.kind), " SAE has no groups"));
  }
  const bool scaled = s.input_norm == InputNormKind::Scale || s.input_norm == InputNormKind::CenterScale;
  if (!(std::isfinite(s.input_scale) && s.input_scale > 0)) bad("input_scale", str("= ", s.input_scale, " must be positive"));
  if (!scaled && s.input_scale != 1.0)
    bad("input_scale", str("= ", s.input_scale, " is given but input normalisation '", to_string(s.input_norm),
                           "' has no factor"));
}

}  // namespace coact::sae
