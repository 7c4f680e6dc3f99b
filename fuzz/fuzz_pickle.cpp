// The restricted unpickler (io::unpickle_restricted) and the tensor flattening after it, on
// arbitrary data.pkl bytes. Limits are lowered so a hostile pickle hits them quickly; the
// defaults are the same code with larger numbers.
#include "coact/io/torch_pickle.h"
#include "fuzz_target.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  coact::io::PickleLimits limits;
  limits.max_values = 1 << 14;
  limits.max_memo = 1 << 14;
  limits.max_stack = 1 << 14;
  limits.max_items = 1 << 16;
  limits.max_visits = 1 << 16;
  return coact::fuzz::run_one(data, size, [&](std::span<const std::uint8_t> bytes) {
    const coact::io::PickleTree tree = coact::io::unpickle_restricted(bytes, "fuzz.pt: data.pkl", limits);
    (void)coact::io::flatten_tensors(tree.root(), "fuzz.pt", limits);
  });
}
