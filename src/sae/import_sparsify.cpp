// EleutherAI sparsify SAEs: a folder with cfg.json (SparseCoderConfig plus d_in) and
// sae.safetensors (encoder.weight [n, d], encoder.bias [n], W_dec [n, d], b_dec [d]); a training
// run saves one such folder per hookpoint, and per seed (seedN) when it trains several.
#include <algorithm>
#include <filesystem>

#include "coact/core/errors.h"
#include "import_formats.h"

namespace coact::sae::detail {

namespace fs = std::filesystem;

namespace {

bool is_sae_folder(const fs::path& folder) {
  std::error_code ec;
  return fs::is_regular_file(folder / "cfg.json", ec) && fs::is_regular_file(folder / "sae.safetensors", ec);
}

// "seed12" -> 12; -1 for any other name.
std::int64_t seed_of_folder(const std::string& name) {
  if (name.size() <= 4 || name.compare(0, 4, "seed") != 0) return -1;
  std::int64_t value = 0;
  for (std::size_t i = 4; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9' || value > (std::int64_t{1} << 58)) return -1;
    value = value * 10 + (name[i] - '0');
  }
  return value;
}

// The width a sparsify cfg declares: d_in and num_latents (0: d_in × expansion_factor).
std::pair<std::int64_t, std::int64_t> declared_width(const JsonValue& cfg) {
  const std::int64_t d = cfg.get_int("d_in");
  std::int64_t n = cfg.get_int("num_latents", 0);
  if (n == 0) n = d * cfg.get_int("expansion_factor", 32);
  return {d, n};
}

}  // namespace

ImportedSae read_sparsify(const std::string& folder) {
  const std::string cfg_path = (fs::path(folder) / "cfg.json").string();
  const std::string weights_path = (fs::path(folder) / "sae.safetensors").string();
  const JsonValue cfg = parse_json_file(cfg_path);
  if (!cfg.is_object()) throw InputError(str(cfg_path, ": expected a JSON object"));
  ImportedSae out;
  out.source = weights_path + " + " + cfg_path;
  // What changes the codes, refused unless coact computes the same.
  const std::string activation = cfg.get_string("activation", "topk");
  if (!cfg.contains("activation"))
    out.assumptions.push_back("activation = topk (the cfg does not say; sparsify's default)");
  if (activation != "topk")
    cfg.at("activation").fail(str("is '", activation, "': coact encodes sparsify's topk activation only"));
  if (cfg.get_bool("transcode", false))
    cfg.at("transcode").fail("is true: a transcoder maps one hookpoint to another, not an SAE coact can encode");
  if (cfg.get_bool("skip_connection", false))
    cfg.at("skip_connection").fail("is true: the skip connection W_skip adds x·W_skip to the reconstruction, "
                                   "which coact cannot represent");
  TensorSource weights(weights_path);
  const io::TensorInfo& enc = weights.info("encoder.weight");
  if (enc.shape.size() != 2)
    throw InputError(str(weights_path, ": tensor encoder.weight: expected shape [num_latents, d_in], found ",
                         io::shape_string(enc.shape)));
  const std::int64_t n = enc.shape[0], d = enc.shape[1];
  const auto [cfg_d, cfg_n] = declared_width(cfg);
  if (cfg_d != d) cfg.at("d_in").fail(str("is ", cfg_d, " but ", weights_path, " has encoder.weight [", n, ", ", d, "]"));
  if (cfg_n != n)
    cfg.at(cfg.get_int("num_latents", 0) != 0 ? "num_latents" : "expansion_factor")
        .fail(str("gives ", cfg_n, " latents but ", weights_path, " has encoder.weight [", n, ", ", d, "]"));
  const JsonValue& k = cfg.at("k");
  if (!k.is_integer() || k.as_int() < 1 || k.as_int() > n) k.fail(str("must be a whole number in [1, ", n, "]"));
  out.params = SaeTensors::zeros(d, n);
  out.params.w_enc = weights.take_transposed("encoder.weight", n, d);
  out.params.b_enc = weights.take("encoder.bias", {n});
  out.params.w_dec = weights.take("W_dec", {n, d});
  out.params.b_dec = weights.take("b_dec", {d});
  weights.finish("sparsify topk");
  out.encoder.kind = EncoderKind::TopK;
  out.encoder.k = k.as_int();
  out.encoder.subtract_b_dec = true;  // SparseCoder.encode: x − b_dec unless transcoding
  return out;
}

std::vector<std::string> sparsify_run_folders(const std::string& root) {
  std::vector<std::string> folders;
  std::error_code ec;
  for (const auto& hook : fs::directory_iterator(root, ec)) {
    if (!hook.is_directory()) continue;
    if (is_sae_folder(hook.path())) folders.push_back(hook.path().string());
    for (const auto& seed : fs::directory_iterator(hook.path(), ec))
      if (seed.is_directory() && seed_of_folder(seed.path().filename().string()) >= 0 && is_sae_folder(seed.path()))
        folders.push_back(seed.path().string());
  }
  if (ec) throw InputError(str(root, ": cannot list: ", ec.message()));
  std::sort(folders.begin(), folders.end());
  if (folders.empty())
    throw InputError(str(root, ": no SAE in this folder or its hookpoint/seedN folders (cfg.json + sae.safetensors)"));
  // One width for the whole run: what a study compares must be comparable.
  std::pair<std::int64_t, std::int64_t> first{};
  std::string first_cfg;
  for (const auto& folder : folders) {
    const std::string cfg_path = (fs::path(folder) / "cfg.json").string();
    const JsonValue cfg = parse_json_file(cfg_path);
    const auto width = declared_width(cfg);
    if (first_cfg.empty()) {
      first = width;
      first_cfg = cfg_path;
    } else if (width != first) {
      const char* key = width.first != first.first ? "d_in" : "num_latents";
      throw InputError(str(cfg_path, ": ", key, " gives d_in ", width.first, ", ", width.second, " latents, but ", first_cfg,
                           " gives d_in ", first.first, ", ", first.second, ": a run folder is imported only when all its "
                           "SAEs have one width (import the hookpoints one by one otherwise)"));
    }
  }
  return folders;
}

std::string RunMember::file_name() const {
  std::string name = hookpoint;
  for (auto& ch : name)
    if (ch == '/' || ch == '\\') ch = '.';
  return str(name, "_sae_", seed, ".h5");
}

RunMember sparsify_run_member(const std::string& root, const std::string& folder) {
  RunMember m;
  const fs::path relative = fs::relative(folder, root);
  const std::int64_t seed = seed_of_folder(relative.filename().string());
  m.hookpoint = seed >= 0 ? relative.parent_path().string() : relative.string();
  m.seed = seed;
  if (seed < 0) {
    // One seed per hookpoint: the run's config.json lists it (init_seeds).
    const fs::path run_config = fs::path(root) / "config.json";
    std::error_code ec;
    if (fs::is_regular_file(run_config, ec)) {
      const JsonValue config = parse_json_file(run_config.string());
      if (const JsonValue* seeds = config.find("init_seeds"); seeds != nullptr && seeds->is_array() && seeds->size() == 1)
        m.seed = seeds->at(0).as_int();
    }
    if (m.seed < 0) {
      m.seed = 0;
      m.assumption = "seed 0 (neither a seedN folder nor the run's config.json init_seeds says)";
    }
  }
  return m;
}

ImportedSae read_sparsify_run_member(const std::string& root, const std::string& folder) {
  const RunMember m = sparsify_run_member(root, folder);
  ImportedSae sae = read_sparsify(folder);
  sae.name = m.hookpoint;
  sae.hook = m.hookpoint;
  sae.seed = m.seed;
  if (!m.assumption.empty()) sae.assumptions.push_back(m.assumption);
  return sae;
}

}  // namespace coact::sae::detail
