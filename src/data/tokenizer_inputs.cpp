#include "coact/data/tokenizer_inputs.h"

#include "coact/core/errors.h"

namespace coact::data {

std::optional<Tokenizer> load_tokenizer(const TokenizerFiles& files, std::map<std::string, std::string>& provenance_inputs) {
  const bool hf = !files.tokenizer.empty(), encoder = !files.encoder.empty(), merges = !files.merges.empty();
  if (hf && (encoder || merges)) throw UsageError("give --tokenizer, or --encoder with --merges, not both");
  if (encoder != merges) throw UsageError("--encoder (encoder.json) and --merges (vocab.bpe) go together");
  if (hf) {
    provenance_inputs["tokenizer"] = files.tokenizer;
    return Tokenizer::from_file(files.tokenizer);
  }
  if (encoder) {
    provenance_inputs["encoder"] = files.encoder;
    provenance_inputs["merges"] = files.merges;
    return Tokenizer::from_gpt2_files(files.encoder, files.merges);
  }
  return std::nullopt;
}

}  // namespace coact::data
