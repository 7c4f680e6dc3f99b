// NumPy .npz archives (numpy.savez, savez_compressed: a zip of <name>.npy arrays), read as named
// tensors through the zip reader (CRC-checked, DEFLATE inflated with a bounded size) and the
// strict .npy header parser. Little-endian numeric arrays only; an object array (a pickle) is
// refused. Gemma Scope publishes its SAEs as params.npz.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "coact/io/tensors.h"

namespace coact::io {

namespace detail {
class MappedFile;
}
class ZipReader;
class ZipBlob;

class NpzFile final : public TensorFile {
 public:
  explicit NpzFile(const std::string& path);
  ~NpzFile() override;
  const char* format() const override { return "npz"; }

 protected:
  TensorLayout layout(const TensorInfo& info) const override;

 private:
  std::shared_ptr<const detail::MappedFile> file_;
  std::unique_ptr<ZipReader> zip_;
  std::vector<ZipBlob> blobs_;        // parallel to tensors_
  std::vector<TensorLayout> layouts_;  // parallel to tensors_
};

}  // namespace coact::io
