// Tables of the restricted unpickler (private to io): the whitelist of globals it knows by
// name, and pickle opcode names for messages.
#pragma once

#include <cstdint>
#include <string_view>

#include "coact/io/tensors.h"

namespace coact::io::detail {

// The callables and types the whitelist knows. A Global value keeps its entry in `integer`.
enum class Known : std::int64_t {
  OrderedDict,
  RebuildTensorV2,
  RebuildTensor,
  RebuildParameter,
  RebuildParameterWithState,
  RebuildFromTypeV2,
  TorchSize,
  CodecsEncode,
  StorageType,  // torch.FloatStorage, ...: only inside persistent ids
  TensorType,   // torch.Tensor, torch.nn.parameter.Parameter: only as _rebuild_from_type_v2's type
};

struct WhitelistEntry {
  const char* module;
  const char* name;
  Known known;
  DType dtype;  // StorageType only
};

// The whitelist entry for module.name, or nullptr: everything else is refused.
const WhitelistEntry* find_whitelisted(std::string_view module, std::string_view name);

// "BINPUT", "REDUCE", ... or nullptr for a byte that is no pickle opcode.
const char* opcode_name(std::uint8_t op);

}  // namespace coact::io::detail
