// The forward pass of every family on a Backend (cpu or cuda), written once and configured by
// TransformerConfig (model/config.h):
//
//   resid = scale · W_E[tokens] (+ W_pos[positions]) (BERT: + W_type[0], LN)  hook_embed ...
//   per block (pre-norm):   x = N1(resid); z = Attn(x·W_qkv + b, rotary?)      attn.hook_z
//                           a = z·W_O + b_O (Gemma-2: post-norm)               hook_attn_out
//                           resid += a                                          hook_resid_mid
//                           pre = N2(resid)·W_in + b_in                         mlp.hook_pre
//                           post = GELU(pre), or act(pre)·(N2(resid)·W_up)      mlp.hook_post
//                           resid += post·W_out + b_out (Gemma-2: post-norm)   hook_resid_post
//     parallel residual:    resid += Attn(N1(resid)) + MLP(N2(resid))          (GPT-NeoX)
//     post-LN (BERT):       resid = LN1(resid + Attn(resid)); resid = LN2(resid + MLP(resid))
//   logits = N_final(resid) · W_U + b_U (Gemma-2: soft-capped); loss_t = −log softmax[t+1]
//
// The residual stream is updated in place (the GEMMs accumulate into it unless a hook or a
// post-norm needs the block's output on its own), so a forward pass needs a handful of
// [rows, width] buffers. A pass that only records a hook stops there.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "coact/backend/backend.h"
#include "coact/backend/buffer.h"
#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/weights.h"

namespace coact::model {

// The parameters on the backend's device.
class Transformer {
 public:
  // Checks every tensor's size against the config (InputError) and copies them to the device.
  Transformer(backend::Backend& backend, TransformerConfig config, const TransformerWeights& weights);

  backend::Backend& backend() const { return *backend_; }
  const TransformerConfig& config() const { return config_; }

  // Empty buffers where the architecture has no such parameter (see BlockWeights).
  struct Block {
    backend::Buffer<float> ln1_weight, ln1_bias, w_qkv, b_qkv, w_o, b_o, ln2_weight, ln2_bias, w_in, b_in, w_up, b_up,
        w_out, b_out, post_attn_norm, post_mlp_norm;
  };
  const backend::Buffer<float>& wte() const { return wte_; }
  const backend::Buffer<float>& wpe() const { return wpe_; }
  const backend::Buffer<float>& token_type() const { return token_type_; }
  const backend::Buffer<float>& embed_ln_weight() const { return embed_ln_weight_; }
  const backend::Buffer<float>& embed_ln_bias() const { return embed_ln_bias_; }
  const Block& block(std::int64_t layer) const { return blocks_[static_cast<std::size_t>(layer)]; }
  const backend::Buffer<float>& ln_final_weight() const { return ln_final_weight_; }
  const backend::Buffer<float>& ln_final_bias() const { return ln_final_bias_; }
  // [d, vocab_out], or [vocab_out, d] when unembed_transposed() (wte itself when tied).
  const float* unembed() const { return unembed_tied_ ? wte_.data() : unembed_.data(); }
  bool unembed_transposed() const { return unembed_transposed_; }
  const float* unembed_bias() const { return unembed_bias_.size() ? unembed_bias_.data() : nullptr; }

 private:
  backend::Backend* backend_;
  TransformerConfig config_;
  backend::Buffer<float> wte_, wpe_, token_type_, embed_ln_weight_, embed_ln_bias_;
  std::vector<Block> blocks_;
  backend::Buffer<float> ln_final_weight_, ln_final_bias_, unembed_, unembed_bias_;
  bool unembed_transposed_ = false;
  bool unembed_tied_ = false;
};

// Changes the activations at a hook point in place during a forward pass: the SAE's
// reconstruction, a zero ablation. `activations` is device memory [rows, width].
class HookEdit {
 public:
  virtual ~HookEdit() = default;
  virtual void apply(backend::Backend& backend, float* activations, std::int64_t rows, std::int64_t width) = 0;
};

// Sets the activations to zero (the zero-ablation baseline of CE-loss recovered).
class ZeroAblation final : public HookEdit {
 public:
  void apply(backend::Backend& backend, float* activations, std::int64_t rows, std::int64_t width) override;
};

struct ForwardRequest {
  std::optional<HookPoint> hook;  // where capture and edit happen
  bool capture = false;           // keep the hook's activations: activations() (the logits
                                  // for HookSite::Logits, which cannot be edited)
  HookEdit* edit = nullptr;       // applied at the hook, after the capture
  bool logits = false;            // keep every logit: logits() [rows, d_vocab_out] (decoders)
  bool losses = false;            // next-token cross-entropy per row: losses() (decoders)
};

// The work space of forward passes over up to max_sequences sequences of seq_len tokens.
class ForwardPass {
 public:
  // logit_chunk_bytes bounds the logits buffer when only losses are asked for: rows are
  // unembedded in chunks of that size. Throws UsageError when seq_len exceeds the context.
  ForwardPass(const Transformer& model, std::int64_t max_sequences, std::int64_t seq_len,
              std::int64_t logit_chunk_bytes = std::int64_t{256} << 20);

  // Runs `sequences` sequences, ids row-major [sequences, seq_len] on the host. Throws
  // InputError for an id outside [0, d_vocab). Without logits or losses the pass stops at the
  // hook.
  void run(std::span<const std::int32_t> ids, std::int64_t sequences, const ForwardRequest& request);

  const Transformer& model() const { return *model_; }
  std::int64_t seq_len() const { return seq_len_; }
  std::int64_t max_sequences() const { return max_sequences_; }
  std::int64_t rows() const { return rows_; }  // of the last run: sequences · seq_len

  // Device pointers into the last run's results, valid until the next run.
  const float* activations() const;  // [rows, hook width]
  const float* logits() const;       // [rows, d_vocab_out]
  const float* losses() const;       // [rows]; 0 at each sequence's last position
  // Σ of the last run's losses over rows that have a next token, and how many such rows.
  double loss_sum() const;
  std::int64_t loss_count() const { return rows_ - rows_ / seq_len_; }

 private:
  // Capture and edit at `site` of `layer` when the request names it; true when the pass can
  // stop there.
  bool at_hook(HookSite site, std::int64_t layer, float* activations, std::int64_t width);
  bool wants(HookSite site, std::int64_t layer) const;
  // The config's norm (LayerNorm, LNPre or RMSNorm) of [rows, d_model] (in == out allowed).
  void apply_norm(const backend::Buffer<float>& weight, const backend::Buffer<float>& bias, const float* in, float* out);
  // Normalises `in` into `out` with the block's norm (or the final one); when the request
  // names `site`, the normalised value is a hook before the weight and bias are applied.
  bool norm(const backend::Buffer<float>& weight, const backend::Buffer<float>& bias, const float* in, float* out,
            HookSite site, std::int64_t layer);
  bool embed();
  bool attention(std::int64_t layer, const Transformer::Block& block, const float* input);
  bool mlp(std::int64_t layer, const Transformer::Block& block, const float* input);
  // Adds a block half's output projection to the residual stream: in place (accumulating GEMM)
  // unless a post-norm or the hook `site` needs the output on its own.
  bool project_out(std::int64_t layer, HookSite site, const float* in, std::int64_t width,
                   const backend::Buffer<float>& weight, const backend::Buffer<float>& bias,
                   const backend::Buffer<float>& post_norm);
  bool pre_norm_block(std::int64_t layer, const Transformer::Block& block);
  bool post_ln_block(std::int64_t layer, const Transformer::Block& block);
  void unembed_and_losses();

  const Transformer* model_;
  backend::Backend* backend_;
  std::int64_t max_sequences_, seq_len_, logit_chunk_rows_;
  std::int64_t rows_ = 0, sequences_ = 0;
  const ForwardRequest* request_ = nullptr;
  std::vector<std::int32_t> host_targets_;
  backend::Buffer<std::int32_t> tokens_, targets_, lengths_;
  backend::Buffer<float> resid_, normed_, normed2_, qkv_, attn_, out_, mlp_, up_, capture_, logits_, losses_;
  backend::Buffer<float> rotary_cos_, rotary_sin_;  // [seq_len, rotary_dim/2]
  bool padded_ = false;                             // lengths_ holds this run's sequence lengths
  const float* activations_ = nullptr;
  bool keep_logits_ = false, have_logits_ = false, have_losses_ = false;
};

}  // namespace coact::model
