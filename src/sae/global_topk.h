// The exact per-row top-k of an SAE split over latent shards (private to src/sae): training's
// TopK and AuxK codes and inference's TopK code use it alike.
#pragma once

#include <cstdint>

#include "codes.h"
#include "coact/dist/comm.h"

namespace coact::sae::detail {

// `codes` holds this shard's per-row top-k selection, counted (count_codes) but not filled,
// for the shard whose latents start at `first`. Keeps of it the entries of the whole SAE's
// per-row top-k (larger value first, ties to the lower latent, as the unsharded selection)
// and updates counts, offsets and nnz; fill_codes follows. Collective over `shard_comm` (the
// T shards of the same rows, in shard order); `exchange` is device staging space, grown here.
void keep_global_topk(dist::Comm& shard_comm, std::int64_t first, CodeBuffers& codes,
                      backend::Buffer<std::uint8_t>& exchange);

}  // namespace coact::sae::detail
