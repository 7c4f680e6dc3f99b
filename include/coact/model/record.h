// Recording: a model's activations at one hook over token sequences, into an activation store
// (docs/formats.md, "activations.h5") with /tokens and /positions. Ranks take fixed global
// blocks of sequences (rank r: blocks r, r + P, ...; with shards, a contiguous range of
// blocks), so every block is computed as the same batch whatever the rank count, and the
// store holds the same bytes for any number of ranks.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>

#include "coact/io/h5.h"
#include "coact/io/provenance.h"
#include "coact/model/hooks.h"
#include "coact/model/transformer.h"

namespace coact::dist {
class MpiComm;
}

namespace coact::model {

struct RecordOptions {
  std::string out;                  // a file, or a directory of shard_<rank>.h5 with shards
  bool force = false;
  bool shards = false;
  io::ElementType dtype = io::ElementType::F32;  // F32 or F16
  std::int64_t batch_sequences = 32;             // sequences per forward pass and per write
  std::string source;               // the store's `source` attribute: "<model> <hook>"
  io::Provenance provenance;
  // Extra root attributes (the same on every rank): model, hook, prepend_bos, ...
  std::map<std::string, std::string> string_attributes;
  std::map<std::string, std::int64_t> int_attributes;
};

struct RecordReport {
  std::int64_t sequences = 0;
  std::int64_t rows = 0;            // tokens recorded (all ranks)
  double seconds = 0.0;             // wall time of the recording loop (this rank)
  double forward_seconds = 0.0;     // in forward passes and device-to-host copies (this rank)
  double write_seconds = 0.0;       // in collective writes, statistics and finish (this rank)
  double tokens_per_second() const { return seconds > 0 ? static_cast<double>(rows) / seconds : 0.0; }
  double write_share() const { return seconds > 0 ? write_seconds / seconds : 0.0; }
};

// Records `hook` over ids [sequences, seq_len] (the same on every rank of comm). Collective.
RecordReport record_activations(const Transformer& model, const HookPoint& hook, std::span<const std::int32_t> ids,
                                std::int64_t sequences, std::int64_t seq_len, dist::MpiComm& comm,
                                const RecordOptions& options);

}  // namespace coact::model
