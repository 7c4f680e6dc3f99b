// The forward pass: embeddings, blocks, final norm, unembedding and losses, as a sequence of
// Backend ops over [rows, width] buffers (rows = sequences · seq_len, sequence-major).
#include <algorithm>

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
  logit_chunk_rows_ = std::clamp<std::int64_t>(logit_chunk_bytes / (4 * c.d_vocab_out), 1, rows);
  backend::Backend& b = *backend_;
  tokens_ = backend::Buffer<std::int32_t>(b, static_cast<std::size_t>(rows));
  resid_ = backend::Buffer<float>(b, static_cast<std::size_t>(rows * c.d_model));
  normed_ = backend::Buffer<float>(b, static_cast<std::size_t>(rows * c.d_model));
  qkv_ = backend::Buffer<float>(b, static_cast<std::size_t>(rows * 3 * c.d_attn()));
  attn_ = backend::Buffer<float>(b, static_cast<std::size_t>(rows * c.d_attn()));
  mlp_ = backend::Buffer<float>(b, static_cast<std::size_t>(rows * c.d_mlp));
}

void ForwardPass::run(std::span<const std::int32_t> ids, std::int64_t sequences, const ForwardRequest& request) {
  const TransformerConfig& c = model_->config();
  COACT_REQUIRE(sequences >= 1 && sequences <= max_sequences_, UsageError, "forward pass: ", sequences,
                " sequences, the work space holds 1 to ", max_sequences_);
  COACT_REQUIRE(static_cast<std::int64_t>(ids.size()) == sequences * seq_len_, UsageError, "forward pass: ", ids.size(),
                " token ids for ", sequences, " sequences of ", seq_len_);
  COACT_REQUIRE(!request.hook || (request.hook->layer >= 0 && request.hook->layer < c.n_layers), UsageError,
                "forward pass: hook ", request.hook ? request.hook->name() : "", " is outside the model");
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

  b.embed_tokens(rows_, c.d_model, seq_len_, tokens_.data(), model_->wte().data(), model_->wpe().data(), resid_.data());
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    const Transformer::Block& block = model_->block(layer);
    if (at_hook(HookSite::ResidPre, layer, resid_.data(), c.d_model)) return;
    attention_half(block);
    if (at_hook(HookSite::ResidMid, layer, resid_.data(), c.d_model)) return;
    bool stop = false;
    mlp_half(layer, block, stop);
    if (stop) return;
    if (at_hook(HookSite::ResidPost, layer, resid_.data(), c.d_model)) return;
  }
  if (keep_logits_ || request.losses) {
    if (request.losses) {
      // Row r predicts the next token of its sequence; a sequence's last row has none.
      host_targets_.resize(static_cast<std::size_t>(rows_));
      for (std::int64_t r = 0; r < rows_; ++r) {
        const bool last = r % seq_len_ == seq_len_ - 1;
        const std::int32_t target = last ? -1 : ids[static_cast<std::size_t>(r + 1)];
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
}

bool ForwardPass::at_hook(HookSite site, std::int64_t layer, float* activations, std::int64_t width) {
  const ForwardRequest& r = *request_;
  if (!r.hook || r.hook->site != site || r.hook->layer != layer) return false;
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

void ForwardPass::attention_half(const Transformer::Block& block) {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, da = c.d_attn();
  b.layernorm(rows_, d, static_cast<float>(c.layer_norm_eps), resid_.data(), optional(block.ln1_weight),
              optional(block.ln1_bias), normed_.data());
  b.gemm(Transpose::No, Transpose::No, rows_, 3 * da, d, 1.0f, normed_.data(), d, block.w_qkv.data(), 3 * da, 0.0f,
         qkv_.data(), 3 * da);
  b.add_row_vector(rows_, 3 * da, 1.0f, block.b_qkv.data(), qkv_.data(), qkv_.data());
  backend::AttentionShape shape;
  shape.sequences = sequences_;
  shape.seq_len = seq_len_;
  shape.heads = c.n_heads;
  shape.head_dim = c.d_head;
  shape.scale = static_cast<float>(c.attention_scale);
  b.causal_attention(shape, qkv_.data(), attn_.data());
  // The residual stream accumulates the attention output in place: resid += attn·W_O + b_O.
  b.gemm(Transpose::No, Transpose::No, rows_, d, da, 1.0f, attn_.data(), da, block.w_o.data(), d, 1.0f, resid_.data(), d);
  b.add_row_vector(rows_, d, 1.0f, block.b_o.data(), resid_.data(), resid_.data());
}

void ForwardPass::mlp_half(std::int64_t layer, const Transformer::Block& block, bool& stop) {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, m = c.d_mlp;
  b.layernorm(rows_, d, static_cast<float>(c.layer_norm_eps), resid_.data(), optional(block.ln2_weight),
              optional(block.ln2_bias), normed_.data());
  b.gemm(Transpose::No, Transpose::No, rows_, m, d, 1.0f, normed_.data(), d, block.w_in.data(), m, 0.0f, mlp_.data(), m);
  const ForwardRequest& r = *request_;
  if (r.hook && r.hook->layer == layer && r.hook->site == HookSite::MlpPre) {
    // hook_pre includes b_in: add it on its own, then GELU without bias.
    b.add_row_vector(rows_, m, 1.0f, block.b_in.data(), mlp_.data(), mlp_.data());
    if ((stop = at_hook(HookSite::MlpPre, layer, mlp_.data(), m))) return;
    b.bias_gelu(rows_, m, c.activation, nullptr, mlp_.data(), mlp_.data());
  } else {
    b.bias_gelu(rows_, m, c.activation, block.b_in.data(), mlp_.data(), mlp_.data());
  }
  if ((stop = at_hook(HookSite::MlpPost, layer, mlp_.data(), m))) return;
  b.gemm(Transpose::No, Transpose::No, rows_, d, m, 1.0f, mlp_.data(), m, block.w_out.data(), d, 1.0f, resid_.data(), d);
  b.add_row_vector(rows_, d, 1.0f, block.b_out.data(), resid_.data(), resid_.data());
}

void ForwardPass::unembed_and_losses() {
  const TransformerConfig& c = model_->config();
  backend::Backend& b = *backend_;
  const std::int64_t d = c.d_model, vocab = c.d_vocab_out;
  b.layernorm(rows_, d, static_cast<float>(c.layer_norm_eps), resid_.data(), optional(model_->ln_final_weight()),
              optional(model_->ln_final_bias()), normed_.data());
  const bool transposed = model_->unembed_transposed();
  const float* bias = model_->unembed_bias();
  auto unembed = [&](std::int64_t first, std::int64_t count, float* out) {
    b.gemm(Transpose::No, transposed ? Transpose::Yes : Transpose::No, count, vocab, d, 1.0f,
           normed_.data() + first * d, d, model_->unembed(), transposed ? d : vocab, 0.0f, out, vocab);
    if (bias) b.add_row_vector(count, vocab, 1.0f, bias, out, out);
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
