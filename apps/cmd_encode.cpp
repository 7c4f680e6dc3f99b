// coact encode: an SAE's sparse codes over an activation store (codes.h5, CSR).
#include <iostream>
#include <sstream>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/sae/encode_store.h"
#include "commands.h"

namespace coact::app {

int run_encode(const Invocation& invocation) {
  CommandLine cli("encode", "--sae sae_52.h5 --activations acts.h5 --out codes.h5 [options]",
                  "Writes the SAE's codes of every row of the store (or of the first --rows) as CSR: /indptr,\n"
                  "/indices (features, increasing within a row), /values, and /tokens, /positions when the store\n"
                  "has them. The SAE's own encoder kind and input normalisation apply. Ranks encode blocks of\n"
                  "rows in turn; the root appends them, so a store larger than memory is fine.");
  cli.add_output_flags("codes file to write (codes.h5)");
  cli.add_compute_flags();
  auto opt = cli.options().add_options();
  opt("sae", po::value<std::string>()->value_name("FILE"), "SAE file (sae_<seed>.h5)");
  opt("activations", po::value<std::string>()->value_name("STORE"), "activation store (file, directory or glob)");
  cli.add_table(sae::encode_table());
  if (!cli.parse(invocation)) return 0;

  sae::EncodeOptions o;
  o.sae = cli.require("sae");
  o.activations = cli.require("activations");
  o.out = cli.require("out");
  sae::encode_table().apply(cli.given(sae::encode_table()), o, options::flag_labels());
  o.force = cli.force();
  auto inputs = io::store_inputs("--activations", o.activations);
  inputs.push_back({"--sae", o.sae});
  const auto guard = cli.protect(invocation, inputs, {io::OutputSpec::file("--out", o.out)});
  o.device = backend::parse_device_request(cli.device());
  o.command_line = cli.command_line(invocation);
  o.config_text = sae::encode_table().ini(o, false);

  const sae::EncodeResult r = sae::encode_store(invocation.mpi, o);
  if (invocation.mpi.is_root()) {
    std::ostringstream out;
    out << o.out << ": codes of " << with_commas(r.rows) << " rows, " << with_commas(r.nnz) << " entries (L0 "
        << (r.rows > 0 ? static_cast<double>(r.nnz) / static_cast<double>(r.rows) : 0.0) << " of "
        << with_commas(r.n_features) << " features) in " << human_duration(r.seconds) << "\n";
    std::cout << out.str() << std::flush;
  }
  return 0;
}

}  // namespace coact::app
