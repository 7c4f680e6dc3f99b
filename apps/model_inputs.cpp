#include "model_inputs.h"

#include <filesystem>
#include <optional>

#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/core/strings.h"
#include "coact/data/token_source.h"
#include "coact/data/tokenizer.h"

namespace coact::app {
namespace {

namespace fs = std::filesystem;

std::optional<data::Tokenizer> load_tokenizer(const ModelInputOptions& o, ModelInputs& inputs) {
  const bool hf = !o.tokenizer.empty(), encoder = !o.encoder.empty(), merges = !o.merges.empty();
  if (hf && (encoder || merges)) throw UsageError("give --tokenizer, or --encoder with --merges, not both");
  if (encoder != merges) throw UsageError("--encoder (encoder.json) and --merges (vocab.bpe) go together");
  if (hf) {
    inputs.provenance_inputs["tokenizer"] = o.tokenizer;
    return data::Tokenizer::from_hf_json(o.tokenizer);
  }
  if (encoder) {
    inputs.provenance_inputs["encoder"] = o.encoder;
    inputs.provenance_inputs["merges"] = o.merges;
    return data::Tokenizer::from_gpt2_files(o.encoder, o.merges);
  }
  return std::nullopt;
}

// The config, name and hook (every rank reads them the same way).
void read_config(ModelInputs& in) {
  in.config = model::read_transformer_config(in.config_path);
  if (in.model_name.empty()) in.model_name = in.config.name;
  if (in.model_name.empty()) in.model_name = fs::path(in.options.weights).stem().string();
  in.config.name = in.model_name;
  in.hook = model::parse_hook(in.options.hook, in.config);
}

// Everything but the weights of the other ranks: flags, config, hook, weights and tokens.
void load_on_root(ModelInputs& in) {
  const ModelInputOptions& o = in.options;
  if (o.tokens.empty()) throw UsageError("no --tokens files");
  if (o.max_sequences < 0) throw UsageError("--max-sequences must be >= 0");
  if (o.shuffle_seed < -1) throw UsageError("--shuffle-seed must be >= 0");
  if (o.seq_len < 1) throw UsageError(str("--seq-len must be positive (got ", o.seq_len, ")"));
  read_config(in);
  if (o.seq_len > in.config.n_ctx) {
    throw InputError(str(in.config_path, ": --seq-len ", o.seq_len, " exceeds the context of ", in.model_name,
                         " (n_ctx ", in.config.n_ctx, "): sequences that long cannot be run"));
  }

  const std::optional<data::Tokenizer> tokenizer = load_tokenizer(o, in);
  in.bos_id = o.prepend_bos ? o.bos_id : -1;
  if (o.prepend_bos && in.bos_id < 0) {
    if (tokenizer && tokenizer->bos_id()) in.bos_id = *tokenizer->bos_id();
    else if (in.config.bos_id) in.bos_id = *in.config.bos_id;
    else throw UsageError("--prepend-bos: neither the tokenizer nor the config names a BOS token; pass --bos-id N");
  }
  if (in.bos_id >= in.config.d_vocab)
    throw UsageError(str("--bos-id ", in.bos_id, " is not below the model's vocabulary size ", in.config.d_vocab));

  // Weights before tokens: a bad checkpoint fails fast, before a long tokenisation.
  in.weights = model::load_transformer_weights(o.weights, in.config);

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

}  // namespace

std::string broadcast_string(dist::Comm& comm, std::string text) {
  text.resize(comm.broadcast_value<std::uint64_t>(text.size(), 0));
  comm.broadcast(text.data(), text.size(), 0);
  return text;
}

void add_model_flags(CommandLine& cli, const std::string& default_hook) {
  auto opt = cli.options().add_options();
  opt("model", po::value<std::string>()->value_name("FILE"),
      "weights: safetensors or PyTorch .pt, Hugging Face GPT-2 or TransformerLens names");
  opt("model-config", po::value<std::string>()->value_name("FILE"),
      "architecture: Hugging Face config.json or TransformerLens config (default: config.json beside --model)");
  opt("model-name", po::value<std::string>()->value_name("NAME"), "name in the outputs (default: the config's)");
  opt("hook", po::value<std::string>()->default_value(default_hook), "hook point (TransformerLens name)");
  opt("tokens", po::value<std::vector<std::string>>()->multitoken()->value_name("FILE..."),
      "token files (HDF5 /tokens, llm.c .bin, .npy) or text files (with a tokenizer)");
  opt("tokenizer", po::value<std::string>()->value_name("FILE"), "Hugging Face tokenizer.json (for text inputs)");
  opt("encoder", po::value<std::string>()->value_name("FILE"), "GPT-2 encoder.json (with --merges, for text inputs)");
  opt("merges", po::value<std::string>()->value_name("FILE"), "GPT-2 vocab.bpe (with --encoder)");
  opt("seq-len", po::value<std::int64_t>()->default_value(128), "positions per sequence (at most the model's context)");
  opt("prepend-bos", po::bool_switch(), "put the BOS token first in each sequence cut from a token stream");
  opt("bos-id", po::value<std::int64_t>(), "BOS token id (default: the tokenizer's, else the config's bos_token_id)");
  opt("no-separator", po::bool_switch(), "no end-of-text token between documents of text inputs");
  opt("shuffle-seed", po::value<std::int64_t>(), "shuffle the sequences with this seed");
  opt("max-sequences", po::value<std::int64_t>()->default_value(0), "use the first this many sequences (0: all)");
  cli.positional("tokens");
}

ModelInputOptions model_input_options(const CommandLine& cli) {
  ModelInputOptions o;
  o.weights = cli.require("model");
  if (cli.has("model-config")) o.config = cli.get<std::string>("model-config");
  if (cli.has("model-name")) o.model_name = cli.get<std::string>("model-name");
  o.hook = cli.get<std::string>("hook");
  if (cli.has("tokens")) o.tokens = cli.get<std::vector<std::string>>("tokens");
  if (cli.has("tokenizer")) o.tokenizer = cli.get<std::string>("tokenizer");
  if (cli.has("encoder")) o.encoder = cli.get<std::string>("encoder");
  if (cli.has("merges")) o.merges = cli.get<std::string>("merges");
  o.seq_len = cli.get<std::int64_t>("seq-len");
  o.prepend_bos = cli.get<bool>("prepend-bos");
  if (cli.has("bos-id")) {
    o.bos_id = cli.get<std::int64_t>("bos-id");
    if (o.bos_id < 0) throw UsageError("--bos-id must be >= 0");
  }
  o.separator = !cli.get<bool>("no-separator");
  if (cli.has("shuffle-seed")) {
    o.shuffle_seed = cli.get<std::int64_t>("shuffle-seed");
    if (o.shuffle_seed < 0) throw UsageError("--shuffle-seed must be >= 0");
  }
  o.max_sequences = cli.get<std::int64_t>("max-sequences");
  return o;
}

ModelInputs load_model_inputs(const Invocation& invocation, const ModelInputOptions& options,
                              const std::function<void()>& root_check) {
  ModelInputs in;
  in.options = options;
  if (options.weights.empty()) throw UsageError("no --model weights given");
  in.config_path = !options.config.empty() ? options.config
                                           : (fs::path(options.weights).parent_path() / "config.json").string();
  if (options.config.empty() && !fs::exists(in.config_path))
    throw UsageError(str("no --model-config given and no config.json beside ", options.weights));
  in.model_name = options.model_name;
  in.provenance_inputs["model"] = options.weights;
  in.provenance_inputs["config"] = in.config_path;

  dist::MpiComm& world = invocation.mpi.world();
  run_on_root(invocation, [&] {
    if (root_check) root_check();
    load_on_root(in);
  });
  if (world.size() == 1) return in;
  // The root validated the files: the others read the config and weights, which now succeed.
  in.sequences = world.broadcast_value(in.sequences, 0);
  in.bos_id = world.broadcast_value(in.bos_id, 0);
  if (!world.is_root()) {
    read_config(in);
    in.weights = model::load_transformer_weights(options.weights, in.config);
    in.ids.resize(static_cast<std::size_t>(in.sequences * options.seq_len));
  }
  world.broadcast(std::span<std::int32_t>(in.ids), 0);
  // Provenance goes into files every rank writes together: every rank needs the root's.
  std::string roles;
  for (const auto& [role, path] : in.provenance_inputs) roles += role + '\t' + path + '\0';
  roles = broadcast_string(world, std::move(roles));
  in.provenance_inputs.clear();
  for (const std::string& entry : split(roles, '\0')) {
    const std::size_t tab = entry.find('\t');
    if (tab != std::string::npos) in.provenance_inputs[entry.substr(0, tab)] = entry.substr(tab + 1);
  }
  return in;
}

}  // namespace coact::app
