// coact import: an SAE from SAELens (safetensors + cfg.json) or a PyTorch state dict (.pt).
#include "coact/core/errors.h"
#include "coact/core/log.h"
#include "coact/sae/interchange.h"
#include "commands.h"

namespace coact::app {

int run_import(const Invocation& invocation) {
  CommandLine cli("import", "--from DIR|FILE.safetensors|FILE.pt [--cfg cfg.json] --out sae_<seed>.h5",
                  "Converts an SAE into a coact sae file (parameters and configuration, marked complete; no\n"
                  "optimiser state), so graphs and comparisons can use SAEs trained elsewhere:\n"
                  "  a SAELens directory (sae_weights.safetensors + cfg.json), a .safetensors file, or a PyTorch\n"
                  "  state dict (.pt, e.g. Neel Nanda's gelu-1l SAEs with their cfg JSON) read by a restricted\n"
                  "  unpickler that only rebuilds tensors and never runs code.\n"
                  "Tensors: W_enc [d, n], W_dec [n, d], b_enc [n], b_dec [d].");
  auto add = cli.options().add_options();
  add("from", po::value<std::string>()->value_name("PATH"), "SAELens directory, .safetensors or .pt file");
  add("cfg", po::value<std::string>()->default_value(""), "config JSON (default: cfg.json in the directory)");
  add("recipe", po::value<std::string>()->default_value(""), "nanda-1l or topk (default: from the config)");
  add("import-seed", po::value<std::int64_t>()->default_value(-1), "seed to record (default: the config's, else 0)");
  cli.add_output_flags("coact SAE file to write");
  if (!cli.parse(invocation)) return 0;
  const std::string from = cli.require("from"), out = cli.require("out");
  std::vector<io::LabelledPath> inputs{{"--from", from}};
  if (!cli.get<std::string>("cfg").empty()) inputs.push_back({"--cfg", cli.get<std::string>("cfg")});
  const auto guard = cli.protect(invocation, inputs, {io::OutputSpec::file("--out", out)});
  run_on_root(invocation, [&] {
    sae::import_sae(from, out,
                    {cli.get<std::string>("cfg"), cli.get<std::int64_t>("import-seed"), cli.get<std::string>("recipe"),
                     cli.command_line(invocation), cli.force()});
    log::info("wrote ", out);
  });
  return 0;
}

}  // namespace coact::app
