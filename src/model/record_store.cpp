#include "coact/model/record_store.h"

#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/dist/mpi.h"
#include "coact/io/activation_writer.h"
#include "coact/io/atomic_output.h"
#include "coact/model/transformer.h"

namespace coact::model {

const options::Table<RecordStoreOptions>& record_store_table() {
  static const options::Table<RecordStoreOptions> table = [] {
    using namespace options;
    using O = RecordStoreOptions;
    Table<O> t;
    t.add(integer("batch-sequences", "sequences per forward pass (and per write)").at_least(1).at_most(1048576),
          &O::batch_sequences);
    t.add<io::ElementType>(text("dtype", "stored dtype").one_of({"float32", "float16"}), &O::dtype,
                           [](const io::ElementType& e) { return std::string(e == io::ElementType::F16 ? "float16" : "float32"); },
                           [](const std::string& name) { return *io::store_dtype(name); });
    t.add(flag("shards", "write one shard file per rank into the out directory"), &O::shards);
    // The forward's GEMMs run in fp32 only: bf16 and tf32 are refused by name, not ignored.
    t.add(text("precision", "arithmetic of the forward pass (fp32 only: the transformer's GEMMs have no bf16 path yet)")
              .one_of({"fp32"}),
          [](const O&) { return options::Value(std::string("fp32")); }, [](O&, const options::Value&) {});
    return t;
  }();
  return table;
}

std::string RecordedStore::summary() const {
  std::ostringstream text;
  text << out << ": " << with_commas(report.rows) << " rows × " << width << " of " << hook << " (" << with_commas(report.sequences)
      << " sequences × " << seq_len << ") in " << human_duration(report.seconds) << ", "
      << with_commas(static_cast<std::int64_t>(report.tokens_per_second())) << " tokens/s; forward "
      << fixed_with_commas(100.0 * report.forward_seconds / report.seconds, 1) << "%, writing "
      << fixed_with_commas(100.0 * report.write_share(), 1) << "% of the time (rank 0)";
  return text.str();
}

RecordedStore record_store(dist::MpiRuntime& mpi, const ModelInputOptions& inputs, const RecordStoreOptions& options) {
  if (options.out.empty()) throw UsageError("no --out store given");
  record_store_table().check(options, options::flag_labels());
  // Refuse an existing output before loading anything (sharded outputs are checked when written).
  ModelInputs in = load_model_inputs(mpi.world(), inputs, [&] {
    if (!options.shards) io::require_writable_output(options.out, options.force);
  });

  std::unique_ptr<backend::Backend> compute = backend::make_backend(options.device, mpi.local_rank());
  const Transformer transformer(*compute, in.config, in.weights);
  in.weights = {};  // the device holds them now
  RecordedStore result;
  result.out = options.out;
  result.hook = in.hook.name();
  result.model_name = in.model_name;
  result.width = in.hook.width(in.config);
  result.seq_len = inputs.seq_len;
  log::info(in.model_name, ": ", in.config.summary(), "; ", compute->description());
  log::info("recording ", result.hook, " (width ", result.width, ") over ", with_commas(in.sequences), " sequences × ",
            result.seq_len, " tokens on ", mpi.size(), mpi.size() == 1 ? " rank" : " ranks");

  RecordOptions record;
  record.out = options.out;
  record.force = options.force;
  record.shards = options.shards;
  record.dtype = options.dtype;
  record.batch_sequences = options.batch_sequences;
  record.source = in.model_name + " " + result.hook;
  record.provenance = {"activations", options.command_line, options.config_text, in.provenance_inputs};
  record.string_attributes = {{"model", in.model_name}, {"hook", result.hook}, {"model_format", in.config.format},
                              {"model_family", in.config.family}};
  record.int_attributes = {{"sequences", in.sequences},
                           {"prepend_bos", inputs.prepend_bos ? 1 : 0},
                           {"bos_id", in.bos_id},
                           {"shuffle_seed", inputs.shuffle_seed},
                           {"batch_sequences", options.batch_sequences},
                           {"n_layers", in.config.n_layers},
                           {"d_model", in.config.d_model}};
  result.report = record_activations(transformer, in.hook, in.ids, in.sequences, result.seq_len, mpi.world(), record);
  return result;
}

}  // namespace coact::model
