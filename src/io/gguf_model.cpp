// Model hyperparameters from GGUF metadata, the rotary row permutation, and the Hugging Face view
// of a GGUF file's tensors.
#include "coact/io/gguf_model.h"

#include <algorithm>
#include <cctype>

#include "coact/core/errors.h"
#include "display_name.h"

namespace coact::io {

using detail::display_name;

namespace {

// A count stored as one integer; a per-layer array is refused by name.
std::optional<std::int64_t> find_count(const GgufMetadata& metadata, const std::string& key) {
  const GgufValue* value = metadata.find(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_array()) {
    metadata.fail(key, str("per-layer values (", value->describe(), ") are not supported; coact expects one number"));
  }
  const std::int64_t count = metadata.get_int(key);
  if (count < 0) metadata.fail(key, str("expected a non-negative count, found ", count));
  return count;
}

std::int64_t require_positive(const GgufMetadata& metadata, const std::string& key) {
  const auto count = find_count(metadata, key);
  if (!count) metadata.fail(key, "is missing (the model's shape needs it)");
  if (*count <= 0) metadata.fail(key, str("expected a positive count, found ", *count));
  return *count;
}

// The rows of each head, checked: rows = n_heads · head_dim with head_dim even.
std::int64_t head_rows(std::size_t size, std::int64_t rows, std::int64_t cols, std::int64_t n_heads) {
  if (n_heads <= 0 || rows <= 0 || cols < 0 || rows % n_heads != 0 || (rows / n_heads) % 2 != 0 ||
      static_cast<std::int64_t>(size) != rows * cols) {
    throw UsageError(str("rotary row permutation: ", rows, " rows x ", cols, " columns (", size, " values) are not ", n_heads,
                         " heads of an even number of rows"));
  }
  return rows / n_heads;
}

// gguf row 2i + p of a head holds hf row p·d/2 + i. `to_hf` copies in that direction.
void permute_heads(std::span<float> values, std::int64_t rows, std::int64_t cols, std::int64_t n_heads, bool to_hf) {
  const std::int64_t d = head_rows(values.size(), rows, cols, n_heads);
  std::vector<float> head(static_cast<std::size_t>(d * cols));
  for (std::int64_t h = 0; h < n_heads; ++h) {
    float* block = values.data() + h * d * cols;
    std::copy(block, block + d * cols, head.begin());
    for (std::int64_t i = 0; i < d / 2; ++i) {
      for (std::int64_t p = 0; p < 2; ++p) {
        const std::int64_t gguf_row = 2 * i + p, hf_row = p * (d / 2) + i;
        const std::int64_t from = to_hf ? gguf_row : hf_row, to = to_hf ? hf_row : gguf_row;
        std::copy(head.begin() + from * cols, head.begin() + (from + 1) * cols, block + to * cols);
      }
    }
  }
}

struct LayerPart {
  const char* gguf;
  const char* hf;
  bool rotary_q, rotary_k;
};

// The per-layer tensors of llama.cpp's "llama" architecture and their LlamaForCausalLM names.
constexpr LayerPart kLlamaLayer[] = {
    {"attn_norm.weight", "input_layernorm.weight", false, false},
    {"attn_q.weight", "self_attn.q_proj.weight", true, false},
    {"attn_q.bias", "self_attn.q_proj.bias", true, false},
    {"attn_k.weight", "self_attn.k_proj.weight", false, true},
    {"attn_k.bias", "self_attn.k_proj.bias", false, true},
    {"attn_v.weight", "self_attn.v_proj.weight", false, false},
    {"attn_v.bias", "self_attn.v_proj.bias", false, false},
    {"attn_output.weight", "self_attn.o_proj.weight", false, false},
    {"attn_output.bias", "self_attn.o_proj.bias", false, false},
    {"ffn_norm.weight", "post_attention_layernorm.weight", false, false},
    {"ffn_gate.weight", "mlp.gate_proj.weight", false, false},
    {"ffn_up.weight", "mlp.up_proj.weight", false, false},
    {"ffn_down.weight", "mlp.down_proj.weight", false, false},
};

struct Mapped {
  std::string hf;
  bool rotary_q = false, rotary_k = false;
};

std::optional<Mapped> map_llama(std::string_view name) {
  if (name == "token_embd.weight") return Mapped{"model.embed_tokens.weight"};
  if (name == "output_norm.weight") return Mapped{"model.norm.weight"};
  if (name == "output.weight") return Mapped{"lm_head.weight"};
  if (!name.starts_with("blk.")) return std::nullopt;
  const std::string_view rest = name.substr(4);
  const std::size_t dot = rest.find('.');
  if (dot == 0 || dot == std::string_view::npos || dot > 9) return std::nullopt;
  const std::string_view layer = rest.substr(0, dot);
  if (!std::all_of(layer.begin(), layer.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  if (layer.size() > 1 && layer[0] == '0') return std::nullopt;
  const std::string_view part = rest.substr(dot + 1);
  for (const LayerPart& p : kLlamaLayer) {
    if (part == p.gguf) return Mapped{str("model.layers.", layer, ".", p.hf), p.rotary_q, p.rotary_k};
  }
  return std::nullopt;
}

}  // namespace

std::int64_t GgufModelParams::head_dim() const {
  if (key_length) return *key_length;
  return head_count > 0 ? embedding_length / head_count : 0;
}

GgufModelParams read_gguf_model_params(const GgufFile& file) {
  const GgufMetadata& m = file.metadata();
  GgufModelParams p;
  p.architecture = m.get_string("general.architecture");
  p.name = m.find_string("general.name").value_or("");
  const std::string a = p.architecture + ".";
  p.block_count = require_positive(m, a + "block_count");
  p.embedding_length = require_positive(m, a + "embedding_length");
  p.feed_forward_length = require_positive(m, a + "feed_forward_length");
  p.head_count = require_positive(m, a + "attention.head_count");
  p.head_count_kv = find_count(m, a + "attention.head_count_kv").value_or(p.head_count);
  if (p.head_count_kv <= 0 || p.head_count % p.head_count_kv != 0) {
    m.fail(a + "attention.head_count_kv", str(p.head_count_kv, " does not divide the ", p.head_count, " query heads"));
  }
  p.context_length = require_positive(m, a + "context_length");
  p.key_length = find_count(m, a + "attention.key_length");
  p.value_length = find_count(m, a + "attention.value_length");
  if (!p.key_length && p.embedding_length % p.head_count != 0) {
    m.fail(a + "attention.head_count", str(p.head_count, " heads do not divide embedding_length ", p.embedding_length,
                                           " and no attention.key_length gives the head size"));
  }
  p.rope_dimension_count = find_count(m, a + "rope.dimension_count");
  p.rope_freq_base = m.find_float(a + "rope.freq_base");
  p.rope_scaling_type = m.find_string(a + "rope.scaling.type");
  p.rope_scaling_factor = m.find_float(a + "rope.scaling.factor");
  p.rope_scaling_original_context_length = find_count(m, a + "rope.scaling.original_context_length");
  p.rms_norm_epsilon = m.find_float(a + "attention.layer_norm_rms_epsilon");
  p.layer_norm_epsilon = m.find_float(a + "attention.layer_norm_epsilon");
  p.bos_token_id = find_count(m, "tokenizer.ggml.bos_token_id");
  p.eos_token_id = find_count(m, "tokenizer.ggml.eos_token_id");
  if (const auto vocab = find_count(m, a + "vocab_size")) {
    p.vocab_size = *vocab;
  } else if (const GgufValue* tokens = m.find("tokenizer.ggml.tokens"); tokens != nullptr && tokens->is_array()) {
    p.vocab_size = static_cast<std::int64_t>(tokens->size());
  } else if (const TensorInfo* embedding = file.find("token_embd.weight"); embedding != nullptr && !embedding->shape.empty()) {
    p.vocab_size = embedding->shape[0];
  }
  p.tied_embeddings = file.find("output.weight") == nullptr;
  return p;
}

void unpermute_rotary_rows(std::span<float> values, std::int64_t rows, std::int64_t cols, std::int64_t n_heads) {
  permute_heads(values, rows, cols, n_heads, true);
}

void permute_rotary_rows(std::span<float> values, std::int64_t rows, std::int64_t cols, std::int64_t n_heads) {
  permute_heads(values, rows, cols, n_heads, false);
}

std::optional<std::string> gguf_to_huggingface_name(std::string_view arch, std::string_view gguf_name) {
  if (arch != "llama") return std::nullopt;
  if (auto mapped = map_llama(gguf_name)) return mapped->hf;
  return std::nullopt;
}

GgufHuggingFaceView::GgufHuggingFaceView(std::shared_ptr<const GgufFile> file)
    : TensorFile(file->path()), file_(std::move(file)), params_(read_gguf_model_params(*file_)) {
  if (params_.architecture != "llama") {
    throw InputError(str(path(), ": metadata key general.architecture: \"", display_name(params_.architecture),
                         "\" has no Hugging Face tensor mapping in coact (mapped: llama)"));
  }
  for (const TensorInfo& t : file_->tensors()) {
    const auto mapped = map_llama(t.name);
    if (!mapped) {
      throw InputError(str(path(), ": tensor ", display_name(t.name), " has no Hugging Face equivalent in coact's mapping of \"",
                           params_.architecture, "\" (LlamaForCausalLM)"));
    }
    TensorInfo hf = t;
    hf.name = mapped->hf;
    tensors_.push_back(std::move(hf));
    const std::int64_t heads = mapped->rotary_q ? params_.head_count : mapped->rotary_k ? params_.head_count_kv : 0;
    if (heads > 0) {
      const std::int64_t rows = t.shape.empty() ? 1 : t.shape[0];
      if (rows % heads != 0 || (rows / heads) % 2 != 0) {
        throw InputError(str(path(), ": tensor ", display_name(t.name), ": ", rows, " rows are not ", heads,
                             " heads of an even size, so the rotary permutation cannot be undone"));
      }
    }
    sources_.push_back({&t, heads});
  }
  index_tensors();
}

GgufHuggingFaceView::~GgufHuggingFaceView() = default;

const std::string& GgufHuggingFaceView::gguf_name(std::string_view hf_name) const {
  return sources_[static_cast<std::size_t>(&info(hf_name) - tensors_.data())].gguf_tensor->name;
}

TensorLayout GgufHuggingFaceView::layout(const TensorInfo& info) const {
  const Source& source = sources_[static_cast<std::size_t>(&info - tensors_.data())];
  if (source.rotary_heads > 0) {
    throw InputError(str(path(), ": tensor ", display_name(info.name), " is permuted in the file; read it with read_f32"));
  }
  return layout_of(*file_, *source.gguf_tensor);
}

void GgufHuggingFaceView::check_readable(const TensorInfo& info) const {
  check_readable_of(*file_, *sources_[static_cast<std::size_t>(&info - tensors_.data())].gguf_tensor);
}

void GgufHuggingFaceView::convert_f32(const TensorInfo& info, std::span<float> out) const {
  const Source& source = sources_[static_cast<std::size_t>(&info - tensors_.data())];
  convert_f32_of(*file_, *source.gguf_tensor, out);
  if (source.rotary_heads > 0 && info.numel > 0) {
    const std::int64_t rows = info.shape.empty() ? 1 : info.shape[0];
    unpermute_rotary_rows(out, rows, info.numel / rows, source.rotary_heads);
  }
}

std::unique_ptr<TensorFile> open_gguf_as_huggingface(const std::string& path) {
  return std::make_unique<GgufHuggingFaceView>(std::make_shared<const GgufFile>(path));
}

}  // namespace coact::io
