// What every SAE reader shares: strict tensor sources, decoder-norm folding, the final checks.
#include <cmath>

#include "coact/core/errors.h"
#include "import_formats.h"

namespace coact::sae::detail {

TensorSource::TensorSource(const std::string& path) : path_(path), file_(io::open_tensor_file(path)) {}

namespace {

void require_finite(const std::vector<float>& values, const std::string& where) {
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw InputError(str(where, ": element ", i, " is ", values[i], " (parameters must be finite)"));
}

}  // namespace

std::vector<float> TensorSource::take(const std::string& name, const io::Shape& shape) {
  std::vector<float> values = file_->read_f32(name, shape);
  require_finite(values, str(path_, ": tensor ", name));
  used_.insert(name);
  return values;
}

std::vector<float> TensorSource::take_transposed(const std::string& name, std::int64_t rows, std::int64_t cols) {
  const std::vector<float> values = take(name, {rows, cols});
  std::vector<float> out(values.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t c = 0; c < cols; ++c) out[static_cast<std::size_t>(c * rows + r)] = values[static_cast<std::size_t>(r * cols + c)];
  return out;
}

double TensorSource::take_scalar(const std::string& name) {
  const io::TensorInfo& t = info(name);
  if (t.numel != 1)
    throw InputError(str(path_, ": tensor ", name, ": expected one value, found shape ", io::shape_string(t.shape)));
  const std::vector<float> v = file_->read_f32(name);
  require_finite(v, str(path_, ": tensor ", name));
  used_.insert(name);
  return v.at(0);
}

std::vector<std::int64_t> TensorSource::take_integers(const std::string& name) {
  const io::TensorInfo& t = info(name);
  std::vector<std::int64_t> out(static_cast<std::size_t>(t.numel));
  file_->read_i64(name, out);
  used_.insert(name);
  return out;
}

void TensorSource::skip(const std::string& name) { used_.insert(name); }

void TensorSource::finish(const std::string& format) const {
  for (const auto& t : file_->tensors())
    if (!used_.count(t.name))
      throw InputError(str(path_, ": tensor ", t.name, " ", io::shape_string(t.shape), " is not part of a ", format,
                           " SAE coact can encode; refusing rather than dropping it"));
}

void fold_decoder_norms(SaeTensors& t, std::vector<std::string>& conversions, const std::string& why) {
  const std::int64_t d = t.d_in, n = t.n_features;
  for (std::int64_t j = 0; j < n; ++j) {
    double squares = 0.0;
    for (std::int64_t i = 0; i < d; ++i) squares += static_cast<double>(t.w_dec[j * d + i]) * t.w_dec[j * d + i];
    const double norm = std::sqrt(squares);
    // A zero row scales its pre-activation to 0: it never enters a code, before or after.
    for (std::int64_t i = 0; i < d; ++i) {
      t.w_enc[i * n + j] = static_cast<float>(t.w_enc[i * n + j] * norm);
      if (norm > 0) t.w_dec[j * d + i] = static_cast<float>(t.w_dec[j * d + i] / norm);
    }
    t.b_enc[j] = static_cast<float>(t.b_enc[j] * norm);
  }
  conversions.push_back(str("decoder row norms folded into W_enc and b_enc (", why,
                            "): the same codes, unit decoder rows"));
}

void check_imported(const ImportedSae& sae, const std::string& where) {
  const std::int64_t n = sae.params.n_features;
  validate(sae.encoder, n, where);
  sae.params.check_spec(sae.encoder, sae.params.d_in, n, where.c_str());
  for (std::size_t j = 0; j < sae.params.threshold.size(); ++j)
    if (!(sae.params.threshold[j] >= 0.0f))
      throw InputError(str(where, ": threshold[", j, "] = ", sae.params.threshold[j],
                           " is negative (a ", to_string(sae.encoder.kind), " threshold is >= 0)"));
}

}  // namespace coact::sae::detail
