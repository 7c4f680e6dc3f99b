#include "coact/model/inputs.h"

#include <filesystem>
#include <optional>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/data/token_source.h"
#include "coact/data/tokenizer.h"
#include "coact/data/tokenizer_inputs.h"
#include "coact/dist/mpi.h"
#include "coact/dist/root.h"

namespace coact::model {
namespace {

namespace fs = std::filesystem;

// The config, name and hook (every rank reads them the same way).
void read_config(ModelInputs& in) {
  in.config = read_model_config(in.options.weights, in.options.config);
  if (in.model_name.empty()) in.model_name = in.config.name;
  if (in.model_name.empty()) in.model_name = fs::path(in.options.weights).stem().string();
  in.config.name = in.model_name;
  in.hook = parse_hook(in.options.hook, in.config);
}

// The config, the hook and the BOS the sequences start with: what recording needs before the
// weights. Returns the tokenizer for text inputs.
std::optional<data::Tokenizer> read_config_and_tokenizer(ModelInputs& in) {
  const ModelInputOptions& o = in.options;
  if (o.tokens.empty()) throw UsageError("no --tokens files");
  read_config(in);
  if (o.seq_len > in.config.n_ctx) {
    throw InputError(str(in.config_path, ": --seq-len ", o.seq_len, " exceeds the context of ", in.model_name,
                         " (n_ctx ", in.config.n_ctx, "): sequences that long cannot be run"));
  }

  std::optional<data::Tokenizer> tokenizer = data::load_tokenizer({o.tokenizer, o.encoder, o.merges}, in.provenance_inputs);
  in.bos_id = o.prepend_bos ? o.bos_id : -1;
  if (o.prepend_bos && in.bos_id < 0) {
    if (tokenizer && tokenizer->bos_id()) in.bos_id = *tokenizer->bos_id();
    else if (in.config.bos_id) in.bos_id = *in.config.bos_id;
    else throw UsageError("--prepend-bos: neither the tokenizer nor the config names a BOS token; pass --bos-id N");
  }
  if (in.bos_id >= in.config.d_vocab)
    throw UsageError(str("--bos-id ", in.bos_id, " is not below the model's vocabulary size ", in.config.d_vocab));
  return tokenizer;
}

// The token inputs cut into sequences of seq_len, as the recording runs them.
void read_sequences(ModelInputs& in, const std::optional<data::Tokenizer>& tokenizer) {
  const ModelInputOptions& o = in.options;
  data::TokenReadOptions read;
  read.tokenizer = tokenizer ? &*tokenizer : nullptr;
  data::SequenceOptions cut;
  cut.seq_len = o.seq_len;
  cut.prepend_bos = o.prepend_bos;
  cut.bos_id = static_cast<std::int32_t>(in.bos_id);
  if (o.separator && tokenizer && tokenizer->eos_id()) cut.separator_id = *tokenizer->eos_id();
  if (o.shuffle_seed >= 0) cut.shuffle_seed = static_cast<std::uint64_t>(o.shuffle_seed);
  cut.vocab_size = in.config.d_vocab;  // ids the model cannot embed are refused with file and position
  cut.max_sequences = o.max_sequences;
  data::TokenSequences sequences = data::load_token_sequences(o.tokens, read, cut);
  if (sequences.sequences == 0) {
    throw InputError(str(o.tokens.front(), o.tokens.size() > 1 ? " and the other inputs" : "", ": ",
                         sequences.dropped_tokens, " tokens, fewer than one sequence of ", o.seq_len, " positions"));
  }
  in.ids = std::move(sequences.ids);
  in.sequences = sequences.sequences;
  std::string list;
  for (const std::string& path : o.tokens) list += (list.empty() ? "" : "\n") + path;
  in.provenance_inputs["tokens"] = list;
}

// Everything but the weights of the other ranks: flags, config, hook, weights and tokens.
void load_on_root(ModelInputs& in) {
  const std::optional<data::Tokenizer> tokenizer = read_config_and_tokenizer(in);
  // Weights before tokens: a bad checkpoint fails fast, before a long tokenisation.
  in.weights = load_transformer_weights(in.options.weights, in.config);
  read_sequences(in, tokenizer);
}

// The options' checks and the config's source, on every rank alike.
ModelInputs checked_inputs(const ModelInputOptions& options) {
  ModelInputs in;
  in.options = options;
  if (options.weights.empty()) throw UsageError("no --model weights given");
  model_input_table().check(options, options::flag_labels());
  // The config: --model-config, else a GGUF file's own metadata, else config.json beside the
  // weights (read_model_config says which is missing).
  in.config_path = model_config_source(options.weights, options.config);
  in.model_name = options.model_name;
  in.provenance_inputs["model"] = options.weights;
  in.provenance_inputs["config"] = in.config_path;
  return in;
}

}  // namespace

const options::Table<ModelInputOptions>& model_input_table() {
  static const options::Table<ModelInputOptions> table = [] {
    using namespace options;
    using O = ModelInputOptions;
    Table<O> t;
    t.add(text("model", "weights: safetensors (a file, a shard index or a directory), PyTorch .pt, or GGUF; the families "
                        "of docs/formats.md").shown_as("FILE")
              .empty_allowed(),
          &O::weights);
    t.add(text("model-config", "architecture: Hugging Face config.json or TransformerLens config").shown_as("FILE")
              .derived_from("a GGUF file's own metadata, else config.json beside the model"),
          [](const O& o) { return o.config.empty() ? Value() : Value(o.config); },
          [](O& o, const Value& v) { o.config = is_set(v) ? std::get<std::string>(v) : std::string(); });
    t.add(text("model-name", "name in the outputs").derived_from("the config's").shown_as("NAME"),
          [](const O& o) { return o.model_name.empty() ? Value() : Value(o.model_name); },
          [](O& o, const Value& v) { o.model_name = is_set(v) ? std::get<std::string>(v) : std::string(); });
    t.add(text("hook", "hook point (TransformerLens name)"), &O::hook);
    t.add(text("tokens", "token files (HDF5 /tokens, llm.c .bin, .npy) or text files (with a tokenizer)").listed()
              .shown_as("FILE"),
          [](const O& o) { return o.tokens.empty() ? Value() : Value(list_text(o.tokens)); },
          [](O& o, const Value& v) { o.tokens = is_set(v) ? list_items(std::get<std::string>(v)) : std::vector<std::string>{}; });
    const auto optional_text = [](std::string O::*member) {
      return std::make_pair(
          std::function<Value(const O&)>([member](const O& o) { return (o.*member).empty() ? Value() : Value(o.*member); }),
          std::function<void(O&, const Value&)>(
              [member](O& o, const Value& v) { o.*member = is_set(v) ? std::get<std::string>(v) : std::string(); }));
    };
    auto [tok_get, tok_set] = optional_text(&O::tokenizer);
    t.add(text("tokenizer", "tokenizer for text inputs: tokenizer.json, a .gguf, or BERT's vocab.txt").shown_as("FILE").derived_from("none"), tok_get,
          tok_set);
    auto [enc_get, enc_set] = optional_text(&O::encoder);
    t.add(text("encoder", "GPT-2 encoder.json (with merges, for text inputs)").shown_as("FILE").derived_from("none"), enc_get,
          enc_set);
    auto [mer_get, mer_set] = optional_text(&O::merges);
    t.add(text("merges", "GPT-2 vocab.bpe (with encoder)").shown_as("FILE").derived_from("none"), mer_get, mer_set);
    t.add(integer("seq-len", "positions per sequence (at most the model's context)").at_least(1).at_most(1048576),
          &O::seq_len);
    t.add(flag("prepend-bos", "put the BOS token first in each sequence cut from a token stream"), &O::prepend_bos);
    t.add(integer("bos-id", "BOS token id").at_least(0).derived_from("the tokenizer's, else the config's bos_token_id"),
          [](const O& o) { return o.bos_id < 0 ? Value() : Value(o.bos_id); },
          [](O& o, const Value& v) { o.bos_id = is_set(v) ? std::get<std::int64_t>(v) : -1; });
    t.add(flag("separator", "an end-of-text token between documents of text inputs"), &O::separator);
    t.add(integer("shuffle-seed", "shuffle the sequences with this seed").at_least(0).derived_from("no shuffle"),
          [](const O& o) { return o.shuffle_seed < 0 ? Value() : Value(o.shuffle_seed); },
          [](O& o, const Value& v) { o.shuffle_seed = is_set(v) ? std::get<std::int64_t>(v) : -1; });
    t.add(integer("max-sequences", "use the first this many sequences (0: all)").at_least(0), &O::max_sequences);
    return t;
  }();
  return table;
}

ModelInputs load_model_inputs(dist::MpiComm& world, const ModelInputOptions& options,
                              const std::function<void()>& root_check) {
  ModelInputs in = checked_inputs(options);

  dist::run_on_root(world, [&] {
    if (root_check) root_check();
    load_on_root(in);
  });
  if (world.size() == 1) return in;
  // The root validated the files: the others read the config and weights, which now succeed.
  in.sequences = world.broadcast_value(in.sequences, 0);
  in.bos_id = world.broadcast_value(in.bos_id, 0);
  if (!world.is_root()) {
    read_config(in);
    in.weights = load_transformer_weights(options.weights, in.config);
    in.ids.resize(static_cast<std::size_t>(in.sequences * options.seq_len));
  }
  world.broadcast(std::span<std::int32_t>(in.ids), 0);
  // Provenance goes into files every rank writes together: every rank needs the root's.
  std::string roles;
  for (const auto& [role, path] : in.provenance_inputs) roles += role + '\t' + path + '\0';
  roles = dist::broadcast_string(world, std::move(roles));
  in.provenance_inputs.clear();
  for (const std::string& entry : split(roles, '\0')) {
    const std::size_t tab = entry.find('\t');
    if (tab != std::string::npos) in.provenance_inputs[entry.substr(0, tab)] = entry.substr(tab + 1);
  }
  return in;
}

PlannedRecording plan_recording(const ModelInputOptions& options) {
  ModelInputs in = checked_inputs(options);
  read_sequences(in, read_config_and_tokenizer(in));
  return {in.sequences, options.seq_len, in.hook.width(in.config)};
}

}  // namespace coact::model
