// Forward tokens/s of the model module on one backend, for bench_forward.py:
//
//   bench_forward CONFIG WEIGHTS TOKENS.npy OUTDIR [--hook NAME] [--batch S] [--repeats R] [--device cpu|cuda]
//
// runs every sequence of TOKENS (a 2-D .npy [sequences, positions]) in batches of S, R times, in
// two modes: "hook" stops at the hook (what `coact record` computes) and "loss" runs through the
// final norm, the unembedding and the next-token losses. Prints "hook tokens/s X" and
// "loss tokens/s Y" (the best of the R repeats), and writes the first batch's hook activations
// and losses to OUTDIR/coact_hook.f32 and OUTDIR/coact_losses.f32 for the script to verify.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/data/token_source.h"
#include "coact/model/config.h"
#include "coact/model/transformer.h"
#include "bench_driver.h"

namespace coact::model {
namespace {

void write_floats(const std::string& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  COACT_REQUIRE(out.good(), IoError, path, ": cannot write");
}

int run(int argc, char** argv) {
  if (argc < 5) throw UsageError("usage: bench_forward CONFIG WEIGHTS TOKENS.npy OUTDIR [--hook H] [--batch S] [--repeats R]");
  const std::string config_path = argv[1], weights_path = argv[2], tokens_path = argv[3], out_dir = argv[4];
  std::string hook_name = "blocks.0.mlp.hook_post", device = "cpu";
  std::int64_t batch = 32, repeats = 3;
  for (int i = 5; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--hook") hook_name = value;
    else if (key == "--batch") batch = std::stoll(value);
    else if (key == "--repeats") repeats = std::stoll(value);
    else if (key == "--device") device = value;
    else throw UsageError(str("unknown option ", key));
  }
  COACT_REQUIRE(repeats >= 1, UsageError, "--repeats must be at least 1");
  const TransformerConfig config = read_transformer_config(config_path);
  const HookPoint hook = parse_hook(hook_name, config);
  const data::TokenArray tokens = data::read_npy_tokens(tokens_path);
  COACT_REQUIRE(tokens.row_length > 0, UsageError, tokens_path, ": expected a 2-D array [sequences, positions]");
  const std::int64_t seq_len = tokens.row_length, sequences = tokens.rows();
  auto compute = backend::make_backend(backend::parse_device_request(device));
  const Transformer model(*compute, config, load_transformer_weights(weights_path, config));
  ForwardPass pass(model, std::min(batch, sequences), seq_len);
  std::cerr << config.summary() << "; " << compute->description() << "; " << sequences << " sequences × " << seq_len
            << ", batches of " << pass.max_sequences() << "\n";

  // One pass over every batch in the given mode, ending when the device has finished it.
  auto sweep = [&](bool losses, bool keep_first) {
    for (std::int64_t first = 0; first < sequences; first += pass.max_sequences()) {
      const std::int64_t count = std::min(pass.max_sequences(), sequences - first);
      ForwardRequest request;
      request.hook = hook;
      request.capture = !losses;
      request.losses = losses;
      const std::span<const std::int32_t> ids(tokens.ids.data() + first * seq_len, static_cast<std::size_t>(count * seq_len));
      pass.run(ids, count, request);
      // Only the verified batch comes back to the host: the timed passes leave the results on
      // the device, as the PyTorch passes they are compared with do.
      if (keep_first && first == 0) {
        const float* result = losses ? pass.losses() : pass.activations();
        std::vector<float> host(static_cast<std::size_t>(pass.rows() * (losses ? 1 : hook.width(config))));
        compute->copy_bytes(host.data(), result, host.size() * sizeof(float), backend::CopyKind::DeviceToHost);
        write_floats(out_dir + (losses ? "/coact_losses.f32" : "/coact_hook.f32"), host);
      }
    }
    compute->synchronize();
  };
  for (const bool losses : {false, true}) {
    // The warm-up pass also writes the outputs the script verifies, which the timed passes must
    // not spend time on, so it runs here rather than as time_runs' warm-up.
    sweep(losses, true);
    const double best = bench::time_runs(0, static_cast<int>(repeats), [&] { sweep(losses, false); }).min();
    std::printf("%s tokens/s %.1f\n", losses ? "loss" : "hook", static_cast<double>(sequences * seq_len) / best);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace
}  // namespace coact::model

int main(int argc, char** argv) {
  try {
    return coact::model::run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "bench_forward: " << e.what() << "\n";
    return 1;
  }
}
