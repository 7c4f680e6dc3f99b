// The forward pass: embeddings, blocks, final norm, unembedding and losses, as a sequence of
// Backend ops over [rows, width] buffers (rows = sequences · seq_len, sequence-major).
#include <algorithm>
#include <cmath>
#include <vector>

#include "coact/core/errors.h"
#include "coact/core/strings.h"
#include "coact/model/transformer.h"

namespace coact::model {
namespace {

using backend::Transpose;

// A parameter that LNPre models do not have: null tells the op to skip it.
const float* optional(const backend::Buffer<float>& buffer) { return buffer.size() ? buffer.data() : nullptr; }

// Grows `buffer` to hold at least `count` values (contents are not kept).
template <class T>
void reserve(backend::Buffer<T>& buffer, backend::Backend& backend, std::int64_t count) {
  if (static_cast<std::int64_t>(buffer.size()) < count) buffer = backend::Buffer<T>(backend, static_cast<std::size_t>(count));
}

}  // namespace

ForwardPass::ForwardPass(const Transformer& model, std::int64_t max_sequences, std::int64_t seq_len,
                         std::int64_t logit_chunk_bytes)
    : model_(&model), backend_(&model.backend()), max_sequences_(max_sequences), seq_len_(seq_len) {
  const TransformerConfig& c = model.config();
  COACT_REQUIRE(max_sequences >= 1, UsageError, "forward pass: at least one sequence per batch (got ", max_sequences, ")");
  COACT_REQUIRE(seq_len >= 1, UsageError, "forward pass: the sequence length must be positive (got ", seq_len, ")");
  COACT_REQUIRE(seq_len <= c.n_ctx, UsageError, "sequence length ", seq_len, " exceeds the context of ",
                c.name.empty() ? "the model" : c.name, " (n_ctx ", c.n_ctx, ")");
  const std::int64_t rows = max_sequences * seq_len;
  logit_chunk_rows_ = c.encoder() ? 1 : std::clamp<std::int64_t>(logit_chunk_bytes / (4 * c.d_vocab_out), 1, rows);
  backend::Backend& b = *backend_;
  auto floats = [&](std::int64_t count) { return backend::Buffer<float>(b, static_cast<std::size_t>(count)); };
  tokens_ = backend::Buffer<std::int32_t>(b, static_cast<std::size_t>(rows));
  resid_ = floats(rows * c.d_model);
  normed_ = floats(rows * c.d_model);
  if (c.parallel_residual) normed2_ = floats(rows * c.d_model);
  qkv_ = floats(rows * c.d_qkv());
  attn_ = floats(rows * c.d_attn());
  mlp_ = floats(rows * c.d_mlp);
  if (c.gated_mlp) up_ = floats(rows * c.d_mlp);
  if (c.pad_id) lengths_ = backend::Buffer<std::int32_t>(b, static_cast<std::size_t>(max_sequences));
  if (c.positions == Positions::Rotary) {
    // The angles as Hugging Face forms them: float32 position × float32 inverse frequency.
    const std::vector<float> inverse = rotary_inverse_frequencies(c.rotary);
    const std::int64_t half = c.rotary.dim / 2;
    std::vector<float> cos(static_cast<std::size_t>(seq_len * half)), sin(cos.size());
    for (std::int64_t p = 0; p < seq_len; ++p)
      for (std::int64_t i = 0; i < half; ++i) {
        const float angle = static_cast<float>(p) * inverse[static_cast<std::size_t>(i)];
        cos[static_cast<std::size_t>(p * half + i)] = static_cast<float>(std::cos(static_cast<double>(angle)));
        sin[static_cast<std::size_t>(p * half + i)] = static_cast<float>(std::sin(static_cast<double>(angle)));
      }
    rotary_cos_ = floats(seq_len * half);
    rotary_sin_ = floats(seq_len * half);
    rotary_cos_.copy_from_host(cos);
    rotary_sin_.copy_from_host(sin);
  }
}

void ForwardPass::run(std::span<const std::int32_t> ids, std::int64_t sequences, const ForwardRequest& request) {
  const TransformerConfig& c = model_->config();
  COACT_REQUIRE(sequences >= 1 && sequences <= max_sequences_, UsageError, "forward pass: ", sequences,
                " sequences, the work space holds 1 to ", max_sequences_);
  COACT_REQUIRE(static_cast<std::int64_t>(ids.size()) == sequences * seq_len_, UsageError, "forward pass: ", ids.size(),
                " token ids for ", sequences, " sequences of ", seq_len_);
  COACT_REQUIRE(!request.hook || (request.hook->layer >= 0 && request.hook->layer < c.n_layers &&
                                  has_hook(request.hook->site, c)),
                UsageError, "forward pass: hook ", request.hook ? request.hook->name() : "", " is outside the model");
  COACT_REQUIRE(!c.encoder() || (!request.logits && !request.losses), UsageError, "forward pass: ",
                c.name.empty() ? "the model" : c.name, " is an encoder (", c.family,
                "): it has no next-token logits or losses");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    COACT_REQUIRE(ids[i] >= 0 && ids[i] < c.d_vocab, InputError, "token id ", ids[i], " at sequence ",
                  static_cast<std::int64_t>(i) / seq_len_, ", position ", static_cast<std::int64_t>(i) % seq_len_,
                  " is not below the model's vocabulary size ", c.d_vocab);
  }
  const bool logits_hook = request.hook && request.hook->site == HookSite::Logits;
  COACT_REQUIRE(!logits_hook || !request.edit, UsageError, "forward pass: the logits are recorded, not edited");
  request_ = &request;
  keep_logits_ = request.logits || (logits_hook && request.capture);
  sequences_ = sequences;
  rows_ = sequences * seq_len_;
  activations_ = nullptr;
  have_logits_ = have_losses_ = false;
  backend::Backend& b = *backend_;
  b.copy_bytes(tokens_.data(), ids.data(), ids.size_bytes(), backend::CopyKind::HostToDevice);
  padded_ = false;
  if (c.pad_id) {
    // An encoder's sequences end in padding: its keys are masked (Hugging Face's attention_mask).
    std::vector<std::int32_t> lengths(static_cast<std::size_t>(sequences));
    for (std::int64_t s = 0; s < sequences; ++s) {
      std::int64_t length = seq_len_;
      while (length > 0 && ids[static_cast<std::size_t>(s * seq_len_ + length - 1)] == *c.pad_id) --length;
      lengths[static_cast<std::size_t>(s)] = static_cast<std::int32_t>(length);
      padded_ = padded_ || length < seq_len_;
    }
    if (padded_)
      b.copy_bytes(lengths_.data(), lengths.data(), lengths.size() * sizeof(std::int32_t), backend::CopyKind::HostToDevice);
  }

  if (embed()) return;
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const Transformer::Block& block = model_->block(layer);
    if (c.post_ln ? post_ln_block(layer, block) : pre_norm_block(layer, block)) return;
  }
  if (c.encoder()) return;
  const std::int64_t last = c.n_layers - 1;
  if (!keep_logits_ && !request.losses && !wants(HookSite::LnFinalNormalized, last)) return;
  if (norm(model_->ln_final_weight(), model_->ln_final_bias(), resid_.data(), normed_.data(),
           HookSite::LnFinalNormalized, last))
    return;
  if (request.losses) {
    // Row r predicts the next token of its sequence; a sequence's last row has none.
    host_targets_.resize(static_cast<std::size_t>(rows_));
    for (std::int64_t r = 0; r < rows_; ++r) {
      const bool final_position = r % seq_len_ == seq_len_ - 1;
      const std::int32_t target = final_position ? -1 : ids[static_cast<std::size_t>(r + 1)];
      COACT_REQUIRE(target < c.d_vocab_out, InputError, "token id ", target, " at sequence ", r / seq_len_,
                    ", position ", r % seq_len_ + 1, " is not below the model's output vocabulary size ", c.d_vocab_out);
      host_targets_[static_cast<std::size_t>(r)] = target;
    }
    reserve(targets_, b, rows_);
    reserve(losses_, b, rows_);
    b.copy_bytes(targets_.data(), host_targets_.data(), host_targets_.size() * sizeof(std::int32_t),
                 backend::CopyKind::HostToDevice);
  }
  unembed_and_losses();
  if (logits_hook && request.capture) activations_ = logits_.data();
}

bool ForwardPass::wants(HookSite site, std::int64_t layer) const {
  const ForwardRequest& r = *request_;
  return r.hook && r.hook->site == site && r.hook->layer == layer;
}

bool ForwardPass::at_hook(HookSite site, std::int64_t layer, float* activations, std::int64_t width) {
  const ForwardRequest& r = *request_;
  if (!wants(site, layer)) return false;
  const bool stop = !r.logits && !r.losses;
  if (r.capture) {
    if (stop && !r.edit) {
      activations_ = activations;  // nothing overwrites it before the next run
    } else {
      reserve(capture_, *backend_, max_sequences_ * seq_len_ * width);
      backend_->copy_bytes(capture_.data(), activations, static_cast<std::size_t>(rows_ * width) * sizeof(float),
                           backend::CopyKind::DeviceToDevice);
      activations_ = capture_.data();
    }
  }
  if (r.edit) r.edit->apply(*backend_, activations, rows_, width);
  return stop;
}

void ForwardPass::apply_norm(const backend::Buffer<float>& weight, const backend::Buffer<float>& bias, const float* in,
                             float* out) {
  const TransformerConfig& c = model_->config();
  const auto eps = static_cast<float>(c.layer_norm_eps);
  if (c.normalization == Normalization::RmsNorm) backend_->rmsnorm(rows_, c.d_model, eps, in, optional(weight), out);
  else backend_->layernorm(rows_, c.d_model, eps, in, optional(weight), optional(bias), out);
}

bool ForwardPass::norm(const backend::Buffer<float>& weight, const backend::Buffer<float>& bias, const float* in,
                       float* out, HookSite site, std::int64_t layer) {
  if (!wants(site, layer)) {
    apply_norm(weight, bias, in, out);
    return false;
  }
  // TransformerLens's ln.hook_normalized is the value before the learned scale and shift.
  apply_norm({}, {}, in, out);
  const std::int64_t d = model_->config().d_model;
  if (at_hook(site, layer, out, d)) return true;
  if (weight.size() || bias.size()) backend_->affine_columns(rows_, d, optional(weight), optional(bias), out, out);
  return false;
}

bool ForwardPass::embed() {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model;
  b.gather_rows(rows_, d, tokens_.data(), model_->wte().data(), static_cast<float>(c.embedding_scale), resid_.data());
  if (at_hook(HookSite::Embed, 0, resid_.data(), d)) return true;
  if (c.positions == Positions::Learned) {
    // Positions 0..seq_len−1 of every sequence: the first seq_len rows of W_pos.
    const float* positions = model_->wpe().data();
    if (wants(HookSite::PosEmbed, 0)) {
      for (std::int64_t s = 0; s < sequences_; ++s)
        b.copy_bytes(normed_.data() + s * seq_len_ * d, positions, static_cast<std::size_t>(seq_len_ * d) * sizeof(float),
                     backend::CopyKind::DeviceToDevice);
      if (at_hook(HookSite::PosEmbed, 0, normed_.data(), d)) return true;
      b.axpy(rows_ * d, 1.0f, normed_.data(), resid_.data());
    } else {
      for (std::int64_t s = 0; s < sequences_; ++s) b.axpy(seq_len_ * d, 1.0f, positions, resid_.data() + s * seq_len_ * d);
    }
  }
  if (c.post_ln) {  // BERT: token type 0, then the embeddings' LayerNorm
    b.add_row_vector(rows_, d, 1.0f, model_->token_type().data(), resid_.data(), resid_.data());
    b.layernorm(rows_, d, static_cast<float>(c.layer_norm_eps), resid_.data(), model_->embed_ln_weight().data(),
                model_->embed_ln_bias().data(), resid_.data());
  }
  return false;
}

bool ForwardPass::pre_norm_block(std::int64_t layer, const Transformer::Block& block) {
  const TransformerConfig& c = model_->config();
  const std::int64_t d = c.d_model;
  if (at_hook(HookSite::ResidPre, layer, resid_.data(), d)) return true;
  if (norm(block.ln1_weight, block.ln1_bias, resid_.data(), normed_.data(), HookSite::Ln1Normalized, layer)) return true;
  if (c.parallel_residual) {
    // Both halves read the block's input: the MLP's norm is taken before the attention adds in.
    if (norm(block.ln2_weight, block.ln2_bias, resid_.data(), normed2_.data(), HookSite::Ln2Normalized, layer))
      return true;
    if (attention(layer, block, normed_.data())) return true;
    if (mlp(layer, block, normed2_.data())) return true;
  } else {
    if (attention(layer, block, normed_.data())) return true;
    if (at_hook(HookSite::ResidMid, layer, resid_.data(), d)) return true;
    if (norm(block.ln2_weight, block.ln2_bias, resid_.data(), normed_.data(), HookSite::Ln2Normalized, layer)) return true;
    if (mlp(layer, block, normed_.data())) return true;
  }
  return at_hook(HookSite::ResidPost, layer, resid_.data(), d);
}

// TransformerLens's BertBlock: ln1 normalises hook_resid_mid, ln2 hook_resid_post.
bool ForwardPass::post_ln_block(std::int64_t layer, const Transformer::Block& block) {
  const std::int64_t d = model_->config().d_model;
  float* resid = resid_.data();
  if (at_hook(HookSite::ResidPre, layer, resid, d)) return true;
  if (attention(layer, block, resid)) return true;
  if (at_hook(HookSite::ResidMid, layer, resid, d)) return true;
  if (norm(block.ln1_weight, block.ln1_bias, resid, resid, HookSite::Ln1Normalized, layer)) return true;
  if (mlp(layer, block, resid)) return true;
  if (at_hook(HookSite::ResidPost, layer, resid, d)) return true;
  if (norm(block.ln2_weight, block.ln2_bias, resid, resid, HookSite::Ln2Normalized, layer)) return true;
  return at_hook(HookSite::NormalizedResidPost, layer, resid, d);
}

bool ForwardPass::attention(std::int64_t layer, const Transformer::Block& block, const float* input) {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, da = c.d_attn(), width = c.d_qkv();
  b.gemm(Transpose::No, Transpose::No, rows_, width, d, 1.0f, input, d, block.w_qkv.data(), width, 0.0f, qkv_.data(),
         width);
  if (block.b_qkv.size()) b.add_row_vector(rows_, width, 1.0f, block.b_qkv.data(), qkv_.data(), qkv_.data());
  if (c.positions == Positions::Rotary) {
    b.rotary(rows_, seq_len_, c.n_heads, c.d_head, c.rotary.dim, width, rotary_cos_.data(), rotary_sin_.data(), qkv_.data());
    b.rotary(rows_, seq_len_, c.kv_heads(), c.d_head, c.rotary.dim, width, rotary_cos_.data(), rotary_sin_.data(),
             qkv_.data() + da);
  }
  backend::AttentionShape shape;
  shape.sequences = sequences_;
  shape.seq_len = seq_len_;
  shape.heads = c.n_heads;
  shape.kv_heads = c.kv_heads();
  shape.head_dim = c.d_head;
  shape.scale = static_cast<float>(c.attention_scale);
  shape.causal = c.causal;
  shape.window = c.window(layer);
  shape.softcap = static_cast<float>(c.attention_softcap);
  shape.lengths = padded_ ? lengths_.data() : nullptr;
  b.attention(shape, qkv_.data(), attn_.data());
  if (at_hook(HookSite::AttnZ, layer, attn_.data(), da)) return true;
  return project_out(layer, HookSite::AttnOut, attn_.data(), da, block.w_o, block.b_o, block.post_attn_norm);
}

bool ForwardPass::mlp(std::int64_t layer, const Transformer::Block& block, const float* input) {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, m = c.d_mlp;
  b.gemm(Transpose::No, Transpose::No, rows_, m, d, 1.0f, input, d, block.w_in.data(), m, 0.0f, mlp_.data(), m);
  if (c.gated_mlp) {
    if (block.b_in.size()) b.add_row_vector(rows_, m, 1.0f, block.b_in.data(), mlp_.data(), mlp_.data());
    if (at_hook(HookSite::MlpPre, layer, mlp_.data(), m)) return true;
    b.gemm(Transpose::No, Transpose::No, rows_, m, d, 1.0f, input, d, block.w_up.data(), m, 0.0f, up_.data(), m);
    if (block.b_up.size()) b.add_row_vector(rows_, m, 1.0f, block.b_up.data(), up_.data(), up_.data());
    if (at_hook(HookSite::MlpPreLinear, layer, up_.data(), m)) return true;
    b.gated_activation(rows_ * m, c.gate_activation, mlp_.data(), up_.data(), mlp_.data());
  } else if (wants(HookSite::MlpPre, layer)) {
    // hook_pre includes b_in: add it on its own, then GELU without bias.
    if (block.b_in.size()) b.add_row_vector(rows_, m, 1.0f, block.b_in.data(), mlp_.data(), mlp_.data());
    if (at_hook(HookSite::MlpPre, layer, mlp_.data(), m)) return true;
    b.bias_gelu(rows_, m, c.activation, nullptr, mlp_.data(), mlp_.data());
  } else {
    b.bias_gelu(rows_, m, c.activation, optional(block.b_in), mlp_.data(), mlp_.data());
  }
  if (at_hook(HookSite::MlpPost, layer, mlp_.data(), m)) return true;
  return project_out(layer, HookSite::MlpOut, mlp_.data(), m, block.w_out, block.b_out, block.post_mlp_norm);
}

bool ForwardPass::project_out(std::int64_t layer, HookSite site, const float* in, std::int64_t width,
                              const backend::Buffer<float>& weight, const backend::Buffer<float>& bias,
                              const backend::Buffer<float>& post_norm) {
  backend::Backend& b = *backend_;
  const std::int64_t d = model_->config().d_model;
  if (!post_norm.size() && !wants(site, layer)) {
    // The residual stream accumulates the output in place: resid += in·W + bias.
    b.gemm(Transpose::No, Transpose::No, rows_, d, width, 1.0f, in, width, weight.data(), d, 1.0f, resid_.data(), d);
    if (bias.size()) b.add_row_vector(rows_, d, 1.0f, bias.data(), resid_.data(), resid_.data());
    return false;
  }
  reserve(out_, b, max_sequences_ * seq_len_ * d);
  b.gemm(Transpose::No, Transpose::No, rows_, d, width, 1.0f, in, width, weight.data(), d, 0.0f, out_.data(), d);
  if (bias.size()) b.add_row_vector(rows_, d, 1.0f, bias.data(), out_.data(), out_.data());
  if (post_norm.size()) apply_norm(post_norm, {}, out_.data(), out_.data());
  if (at_hook(site, layer, out_.data(), d)) return true;
  b.axpy(rows_ * d, 1.0f, out_.data(), resid_.data());
  return false;
}

void ForwardPass::unembed_and_losses() {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, vocab = c.d_vocab_out;
  const bool transposed = model_->unembed_transposed();
  const float* bias = model_->unembed_bias();
  const auto softcap = static_cast<float>(c.final_logit_softcap);
  auto unembed = [&](std::int64_t first, std::int64_t count, float* out) {
    b.gemm(Transpose::No, transposed ? Transpose::Yes : Transpose::No, count, vocab, d, 1.0f,
           normed_.data() + first * d, d, model_->unembed(), transposed ? d : vocab, 0.0f, out, vocab);
    if (bias) b.add_row_vector(count, vocab, 1.0f, bias, out, out);
    if (softcap > 0.0f) b.softcap(count * vocab, softcap, out);
  };
  const ForwardRequest& r = *request_;
  if (keep_logits_) {
    // Every logit kept: one product over all rows.
    reserve(logits_, b, rows_ * vocab);
    unembed(0, rows_, logits_.data());
    if (r.losses) b.cross_entropy_rows(rows_, vocab, logits_.data(), vocab, targets_.data(), losses_.data());
  } else {
    // Losses only: rows in chunks through a bounded logits buffer.
    reserve(logits_, b, std::min(rows_, logit_chunk_rows_) * vocab);
    for (std::int64_t first = 0; first < rows_; first += logit_chunk_rows_) {
      const std::int64_t count = std::min(logit_chunk_rows_, rows_ - first);
      unembed(first, count, logits_.data());
      b.cross_entropy_rows(count, vocab, logits_.data(), vocab, targets_.data() + first, losses_.data() + first);
    }
  }
  have_logits_ = keep_logits_;
  have_losses_ = r.losses;
}

const float* ForwardPass::activations() const {
  COACT_REQUIRE(activations_, UsageError, "forward pass: the last run captured no hook activations");
  return activations_;
}

const float* ForwardPass::logits() const {
  COACT_REQUIRE(have_logits_, UsageError, "forward pass: the last run kept no logits");
  return logits_.data();
}

const float* ForwardPass::losses() const {
  COACT_REQUIRE(have_losses_, UsageError, "forward pass: the last run computed no losses");
  return losses_.data();
}

double ForwardPass::loss_sum() const {
  std::vector<float> host(static_cast<std::size_t>(rows_));
  backend_->copy_bytes(host.data(), losses(), host.size() * sizeof(float), backend::CopyKind::DeviceToHost);
  double sum = 0.0;
  for (float loss : host) sum += loss;  // rows without a next token hold 0
  return sum;
}

}  // namespace coact::model
