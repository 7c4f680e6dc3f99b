// The model module: configs of both formats, hook names, and the forward pass of every
// available backend against a plain forward built from the reference ops (double arithmetic,
// C library functions) with naive double matrix products. cuda cases skip without a device.
// (record_command_test.py checks the commands against an independent NumPy forward.)
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "coact/backend/backend.h"
#include "coact/backend/reference.h"
#include "coact/core/errors.h"
#include "coact/core/json_value.h"
#include "coact/model/ce_recovered.h"
#include "coact/model/config.h"
#include "coact/model/hooks.h"
#include "coact/model/transformer.h"
#include "support/every_backend.h"

namespace coact::model {
namespace {

using backend::DeviceRequest;

TransformerConfig config_from(std::string_view json) { return parse_transformer_config(parse_json(json, "test.json")); }

TEST(Config, HuggingFaceGpt2) {
  const TransformerConfig c = config_from(R"({"model_type": "gpt2", "n_embd": 64, "n_layer": 3, "n_head": 4,
      "vocab_size": 100, "n_positions": 32, "bos_token_id": 99, "layer_norm_epsilon": 1e-6})");
  EXPECT_EQ(c.format, "huggingface");
  EXPECT_EQ(c.d_head, 16);
  EXPECT_EQ(c.d_mlp, 256);  // n_inner defaults to 4·n_embd
  EXPECT_EQ(c.activation, backend::GeluKind::Tanh);  // GPT-2's gelu_new
  EXPECT_DOUBLE_EQ(c.attention_scale, 0.25);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-6);
  ASSERT_TRUE(c.bos_id.has_value());
  EXPECT_EQ(*c.bos_id, 99);
}

TEST(Config, TransformerLensGelu1l) {
  const TransformerConfig c = config_from(R"({"model_name": "gelu-1l", "d_model": 512, "n_layers": 1, "n_heads": 8,
      "d_head": 64, "d_mlp": 2048, "d_vocab": 48262, "d_vocab_out": 48262, "n_ctx": 1024, "act_fn": "gelu",
      "normalization_type": "LN", "positional_embedding_type": "standard", "attn_only": false})");
  EXPECT_EQ(c.format, "transformerlens");
  EXPECT_EQ(c.name, "gelu-1l");
  EXPECT_EQ(c.activation, backend::GeluKind::Erf);
  EXPECT_EQ(c.normalization, Normalization::LayerNorm);
  EXPECT_DOUBLE_EQ(c.attention_scale, 1.0 / 8.0);
}

TEST(Config, RefusesWhatTheForwardPassDoesNotCompute) {
  // gelu-1l's keys with one changed: the error names the file and the key's value.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"("positional_embedding_type": "alibi", "act_fn": "gelu", "normalization_type": "LN")", "alibi"},
      {R"("gated_mlp": true, "act_fn": "relu", "normalization_type": "LN")", "relu"},
      {R"("act_fn": "gelu", "normalization_type": "RMSPre")", "RMSPre"},
      {R"("act_fn": "gelu", "normalization_type": "LN", "use_local_attn": true)", "local attention"},
      {R"("act_fn": "silu", "normalization_type": "LN")", "silu"}};
  for (const auto& [keys, fragment] : cases) {
    const std::string json =
        "{" + keys + R"(, "d_model": 64, "n_layers": 1, "n_heads": 4, "d_vocab": 10, "n_ctx": 8})";
    try {
      config_from(json);
      ADD_FAILURE() << "accepted " << keys;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("test.json"), std::string::npos) << e.what();
    }
  }
  // n_embd not a multiple of n_head; neither format.
  EXPECT_THROW(config_from(R"({"n_embd": 30, "n_layer": 1, "n_head": 4, "vocab_size": 5, "n_positions": 4})"),
               InputError);
  EXPECT_THROW(config_from(R"({"hidden_size": 30})"), InputError);
}

TEST(Hooks, NamesRoundTripAndUnknownNamesListTheValidOnes) {
  TransformerConfig c;
  c.n_layers = 2;
  c.d_model = 8;
  c.d_mlp = 32;
  c.d_vocab_out = 11;
  const auto names = hook_names(c);
  ASSERT_EQ(names.size(), 24u);  // hook_embed, hook_pos_embed, 10 per block, ln_final, logits
  for (const std::string& name : names) EXPECT_EQ(parse_hook(name, c).name(), name);
  EXPECT_EQ(parse_hook("blocks.1.mlp.hook_post", c).width(c), 32);
  EXPECT_EQ(parse_hook("blocks.0.hook_resid_mid", c).width(c), 8);
  EXPECT_EQ(parse_hook("logits", c).width(c), 11);
  for (const char* bad : {"blocks.2.mlp.hook_post", "blocks.01.mlp.hook_post", "blocks.0.mlp.hook_mid", "mlp",
                          "blocks.-1.hook_resid_pre", "blocks.0.hook_resid_pre.x"}) {
    try {
      parse_hook(bad, c);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find("blocks.L.mlp.hook_post"), std::string::npos) << e.what();
    }
  }
}

TEST(Config, FamiliesFromHuggingFaceFiles) {
  const TransformerConfig llama = config_from(R"({"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2,
      "num_attention_heads": 8, "num_key_value_heads": 2, "intermediate_size": 96, "vocab_size": 50,
      "max_position_embeddings": 128, "rms_norm_eps": 1e-5, "rope_theta": 500000.0, "hidden_act": "silu",
      "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                       "original_max_position_embeddings": 64}})");
  EXPECT_EQ(llama.family, "llama");
  EXPECT_EQ(llama.kv_heads(), 2);
  EXPECT_TRUE(llama.gated_mlp);
  EXPECT_EQ(llama.normalization, Normalization::RmsNorm);
  EXPECT_EQ(llama.rotary.scaling, "llama3");
  EXPECT_FALSE(llama.qkv_bias);
  // Hooks: the gated MLP's up projection is listed; no position embedding.
  const auto names = hook_names(llama);
  EXPECT_NE(std::find(names.begin(), names.end(), "blocks.1.mlp.hook_pre_linear"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "hook_pos_embed"), names.end());
  EXPECT_EQ(names.back(), "logits");

  const TransformerConfig neox = config_from(R"({"architectures": ["GPTNeoXForCausalLM"], "hidden_size": 64,
      "num_hidden_layers": 1, "num_attention_heads": 4, "intermediate_size": 256, "vocab_size": 50,
      "max_position_embeddings": 64, "rotary_pct": 0.25, "use_parallel_residual": true})");
  EXPECT_EQ(neox.family, "gpt_neox");
  EXPECT_EQ(neox.rotary.dim, 4);
  EXPECT_TRUE(neox.parallel_residual);
  EXPECT_THROW(parse_hook("blocks.0.hook_resid_mid", neox), UsageError);

  const TransformerConfig gemma2 = config_from(R"({"model_type": "gemma2", "hidden_size": 64, "num_hidden_layers": 3,
      "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "intermediate_size": 96,
      "vocab_size": 50, "max_position_embeddings": 64, "query_pre_attn_scalar": 16, "sliding_window": 8,
      "attn_logit_softcapping": 50.0, "final_logit_softcapping": 30.0})");
  EXPECT_DOUBLE_EQ(gemma2.attention_scale, 0.25);
  EXPECT_DOUBLE_EQ(gemma2.embedding_scale, 8.0);
  EXPECT_EQ(gemma2.sliding_window, (std::vector<std::int64_t>{8, 0, 8}));
  EXPECT_TRUE(gemma2.tie_embeddings);

  const TransformerConfig bert = config_from(R"({"model_type": "bert", "hidden_size": 32, "num_hidden_layers": 1,
      "num_attention_heads": 4, "intermediate_size": 64, "vocab_size": 50, "max_position_embeddings": 64,
      "pad_token_id": 0})");
  EXPECT_TRUE(bert.encoder());
  EXPECT_THROW(parse_hook("logits", bert), UsageError);
  EXPECT_EQ(parse_hook("blocks.0.hook_normalized_resid_post", bert).width(bert), 32);

  // Refusals name the key and the supported families.
  try {
    config_from(R"({"model_type": "t5", "hidden_size": 8})");
    ADD_FAILURE() << "accepted t5";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("model_type"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("gemma2"), std::string::npos) << e.what();
  }
}

TEST(Config, Llama3InverseFrequenciesFollowTheRelease) {
  RotaryConfig r;
  r.dim = 64;
  r.base = 500000.0;
  const std::vector<float> plain = rotary_inverse_frequencies(r);
  r.scaling = "llama3";
  r.factor = 8.0;
  r.original_context = 8192;
  const std::vector<float> scaled = rotary_inverse_frequencies(r);
  ASSERT_EQ(scaled.size(), 32u);
  for (std::size_t i = 0; i < scaled.size(); ++i) {
    const double wavelen = 2 * M_PI / plain[i];
    if (wavelen < 8192.0 / 4.0) EXPECT_EQ(scaled[i], plain[i]) << i;                    // high: kept
    else if (wavelen > 8192.0) EXPECT_NEAR(scaled[i], plain[i] / 8.0, 1e-6 * plain[i]) << i;  // low: / factor
    else EXPECT_TRUE(scaled[i] < plain[i] && scaled[i] > plain[i] / 8.0) << i;         // a blend between
  }
}

// ---- forward pass ---------------------------------------------------------------------------

std::vector<float> random_vector(std::mt19937& gen, std::int64_t n, float scale, float offset = 0.0f) {
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = offset + dist(gen);
  return v;
}

TransformerConfig small_config(backend::GeluKind activation, Normalization normalization) {
  TransformerConfig c;
  c.name = "small";
  c.n_layers = 2;
  c.d_model = 24;
  c.n_heads = 3;
  c.d_head = 10;  // d_attn 30 != d_model
  c.d_mlp = 40;
  c.d_vocab = 53;
  c.d_vocab_out = 53;
  c.n_ctx = 40;
  c.activation = activation;
  c.normalization = normalization;
  c.attention_scale = 1.0 / std::sqrt(10.0);
  return c;
}

TransformerWeights random_weights(const TransformerConfig& c, unsigned seed) {
  std::mt19937 gen(seed);
  const std::int64_t d = c.d_model, da = c.d_attn(), m = c.d_mlp;
  const bool ln = c.normalization == Normalization::LayerNorm;
  TransformerWeights w;
  w.wte = random_vector(gen, c.d_vocab * d, 0.5f);
  w.wpe = random_vector(gen, c.n_ctx * d, 0.3f);
  for (std::int64_t layer = 0; layer < c.n_layers; ++layer) {
    BlockWeights b;
    if (ln) {
      b.ln1_weight = random_vector(gen, d, 0.2f, 1.0f);
      b.ln1_bias = random_vector(gen, d, 0.1f);
      b.ln2_weight = random_vector(gen, d, 0.2f, 1.0f);
      b.ln2_bias = random_vector(gen, d, 0.1f);
    }
    b.w_qkv = random_vector(gen, d * 3 * da, 1.0f / std::sqrt(static_cast<float>(d)));
    b.b_qkv = random_vector(gen, 3 * da, 0.1f);
    b.w_o = random_vector(gen, da * d, 1.0f / std::sqrt(static_cast<float>(da)));
    b.b_o = random_vector(gen, d, 0.1f);
    b.w_in = random_vector(gen, d * m, 1.0f / std::sqrt(static_cast<float>(d)));
    b.b_in = random_vector(gen, m, 0.1f);
    b.w_out = random_vector(gen, m * d, 1.0f / std::sqrt(static_cast<float>(m)));
    b.b_out = random_vector(gen, d, 0.1f);
    w.blocks.push_back(std::move(b));
  }
  if (ln) {
    w.ln_final_weight = random_vector(gen, d, 0.2f, 1.0f);
    w.ln_final_bias = random_vector(gen, d, 0.1f);
  }
  w.unembed = random_vector(gen, d * c.d_vocab_out, 1.0f / std::sqrt(static_cast<float>(d)));
  w.unembed_bias = random_vector(gen, c.d_vocab_out, 0.1f);
  return w;
}

// out[rows, n] (+)= a[rows, k]·b[k, n] in double, rounded to float.
void matmul(std::int64_t rows, std::int64_t n, std::int64_t k, const std::vector<float>& a, const std::vector<float>& b,
            std::vector<float>& out, bool accumulate) {
  out.resize(static_cast<std::size_t>(rows * n));
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) {
      double sum = accumulate ? out[r * n + j] : 0.0;
      for (std::int64_t i = 0; i < k; ++i) sum += static_cast<double>(a[r * k + i]) * b[i * n + j];
      out[r * n + j] = static_cast<float>(sum);
    }
}

void add_bias(std::int64_t rows, const std::vector<float>& bias, std::vector<float>& x) {
  const std::int64_t n = static_cast<std::int64_t>(bias.size());
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int64_t j = 0; j < n; ++j) x[r * n + j] += bias[j];
}

const float* opt(const std::vector<float>& v) { return v.empty() ? nullptr : v.data(); }

// The plain forward: hook_post of the last layer and the logits.
void reference_forward(const TransformerConfig& c, const TransformerWeights& w, const std::vector<std::int32_t>& ids,
                       std::int64_t seq_len, std::vector<float>& post, std::vector<float>& logits) {
  const std::int64_t rows = static_cast<std::int64_t>(ids.size()), d = c.d_model, da = c.d_attn(), m = c.d_mlp;
  const auto eps = static_cast<float>(c.layer_norm_eps);
  std::vector<float> x(static_cast<std::size_t>(rows * d)), normed(x.size()), qkv, z(static_cast<std::size_t>(rows * da));
  backend::reference::embed_tokens(rows, d, seq_len, ids.data(), w.wte.data(), w.wpe.data(), x.data());
  for (const BlockWeights& b : w.blocks) {
    backend::reference::layernorm(rows, d, eps, x.data(), opt(b.ln1_weight), opt(b.ln1_bias), normed.data());
    matmul(rows, 3 * da, d, normed, b.w_qkv, qkv, false);
    add_bias(rows, b.b_qkv, qkv);
    backend::AttentionShape shape;
    shape.sequences = rows / seq_len;
    shape.seq_len = seq_len;
    shape.heads = c.n_heads;
    shape.head_dim = c.d_head;
    shape.scale = static_cast<float>(c.attention_scale);
    backend::reference::attention(shape, qkv.data(), z.data());
    matmul(rows, d, da, z, b.w_o, x, true);
    add_bias(rows, b.b_o, x);
    backend::reference::layernorm(rows, d, eps, x.data(), opt(b.ln2_weight), opt(b.ln2_bias), normed.data());
    matmul(rows, m, d, normed, b.w_in, post, false);
    backend::reference::bias_gelu(rows, m, c.activation, b.b_in.data(), post.data(), post.data());
    matmul(rows, d, m, post, b.w_out, x, true);
    add_bias(rows, b.b_out, x);
  }
  backend::reference::layernorm(rows, d, eps, x.data(), opt(w.ln_final_weight), opt(w.ln_final_bias), normed.data());
  matmul(rows, c.d_vocab_out, d, normed, w.unembed, logits, false);
  add_bias(rows, w.unembed_bias, logits);
}

// max |got − want| / (|want| + mean |want|).
double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  double mean = 0.0;
  for (float v : want) mean += std::abs(v);
  mean /= static_cast<double>(want.size());
  double worst = 0.0;
  for (std::size_t i = 0; i < want.size(); ++i)
    worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i]) / (std::abs(want[i]) + mean));
  return worst;
}

template <class T>
std::vector<T> to_host(backend::Backend& b, const T* device, std::int64_t count) {
  std::vector<T> host(static_cast<std::size_t>(count));
  b.copy_bytes(host.data(), device, host.size() * sizeof(T), backend::CopyKind::DeviceToHost);
  return host;
}

ForwardRequest request(std::optional<HookPoint> hook, bool capture, bool logits, bool losses, HookEdit* edit = nullptr) {
  ForwardRequest r;
  r.hook = hook;
  r.capture = capture;
  r.edit = edit;
  r.logits = logits;
  r.losses = losses;
  return r;
}

// Replaces nothing: CE-loss recovered of the unchanged model is 1.
class NoEdit final : public HookEdit {
 public:
  void apply(backend::Backend&, float*, std::int64_t, std::int64_t) override {}
};

class Forward : public coact::testing::EveryBackend {
 protected:
  std::vector<std::int32_t> random_ids(const TransformerConfig& c, std::int64_t count, unsigned seed) {
    std::mt19937 gen(seed);
    std::vector<std::int32_t> ids(static_cast<std::size_t>(count));
    for (auto& id : ids) id = static_cast<std::int32_t>(gen() % static_cast<unsigned>(c.d_vocab));
    return ids;
  }
};

TEST_P(Forward, HookAndLogitsMatchThePlainForward) {
  for (auto activation : {backend::GeluKind::Erf, backend::GeluKind::Tanh}) {
    for (auto normalization : {Normalization::LayerNorm, Normalization::LayerNormPre}) {
      const TransformerConfig c = small_config(activation, normalization);
      const TransformerWeights w = random_weights(c, 3);
      const Transformer model(*backend_, c, w);
      const std::int64_t sequences = 3, seq_len = 33;
      const auto ids = random_ids(c, sequences * seq_len, 4);
      std::vector<float> want_post, want_logits;
      reference_forward(c, w, ids, seq_len, want_post, want_logits);

      ForwardPass pass(model, sequences, seq_len);
      const HookPoint hook{1, HookSite::MlpPost};
      pass.run(ids, sequences, request(hook, true, true, true));
      const auto post = to_host(*backend_, pass.activations(), sequences * seq_len * c.d_mlp);
      const auto logits = to_host(*backend_, pass.logits(), sequences * seq_len * c.d_vocab_out);
      EXPECT_LT(relative_error(post, want_post), 1e-5);
      EXPECT_LT(relative_error(logits, want_logits), 1e-5);

      // The losses from the kept logits, and from a chunked unembedding (one row at a time).
      std::vector<std::int32_t> targets(ids.size());
      for (std::size_t r = 0; r < ids.size(); ++r)
        targets[r] = (r + 1) % static_cast<std::size_t>(seq_len) == 0 ? -1 : ids[r + 1];
      std::vector<float> want_losses(ids.size());
      backend::reference::cross_entropy_rows(sequences * seq_len, c.d_vocab_out, want_logits.data(), c.d_vocab_out,
                                             targets.data(), want_losses.data());
      EXPECT_LT(relative_error(to_host(*backend_, pass.losses(), sequences * seq_len), want_losses), 1e-5);
      const double full_sum = pass.loss_sum();
      ForwardPass chunked(model, sequences, seq_len, 4 * c.d_vocab_out);
      chunked.run(ids, sequences, request(std::nullopt, false, false, true));
      EXPECT_NEAR(chunked.loss_sum(), full_sum, 1e-4 * full_sum);
      EXPECT_EQ(chunked.loss_count(), sequences * (seq_len - 1));

      // A pass that only records stops at the hook and gives the same rows.
      ForwardPass record(model, sequences, seq_len);
      record.run(ids, sequences, request(hook, true, false, false));
      EXPECT_EQ(to_host(*backend_, record.activations(), sequences * seq_len * c.d_mlp), post);
      EXPECT_THROW(record.logits(), UsageError);
    }
  }
}

TEST_P(Forward, LogitsHookRecordsTheLogits) {
  const TransformerConfig c = small_config(backend::GeluKind::Erf, Normalization::LayerNorm);
  const TransformerWeights w = random_weights(c, 5);
  const Transformer model(*backend_, c, w);
  const auto ids = random_ids(c, 2 * 7, 6);
  ForwardPass pass(model, 2, 7);
  pass.run(ids, 2, request(std::nullopt, false, true, false));
  const auto logits = to_host(*backend_, pass.logits(), 14 * c.d_vocab_out);
  pass.run(ids, 2, request(parse_hook("logits", c), true, false, false));
  EXPECT_EQ(to_host(*backend_, pass.activations(), 14 * c.d_vocab_out), logits);
  ZeroAblation zero;
  EXPECT_THROW(pass.run(ids, 2, request(parse_hook("logits", c), false, false, false, &zero)), UsageError);
}

TEST_P(Forward, CeLossRecoveredIsOneUnchangedAndZeroAblated) {
  const TransformerConfig c = small_config(backend::GeluKind::Tanh, Normalization::LayerNorm);
  const TransformerWeights w = random_weights(c, 7);
  const Transformer model(*backend_, c, w);
  const std::int64_t sequences = 5, seq_len = 12;
  const auto ids = random_ids(c, sequences * seq_len, 8);
  ForwardPass pass(model, 2, seq_len);  // blocks of 2, 2, 1 sequences
  const HookPoint hook{0, HookSite::MlpPost};
  NoEdit none;
  const CeLossRecovered same = ce_loss_recovered(pass, hook, none, ids, sequences, nullptr);
  EXPECT_EQ(same.tokens, sequences * (seq_len - 1));
  EXPECT_DOUBLE_EQ(same.replaced, same.clean);
  EXPECT_DOUBLE_EQ(same.recovered(), 1.0);
  EXPECT_NE(same.zero_ablated, same.clean);
  ZeroAblation zero;
  const CeLossRecovered ablated = ce_loss_recovered(pass, hook, zero, ids, sequences, nullptr);
  EXPECT_DOUBLE_EQ(ablated.recovered(), 0.0);
  EXPECT_DOUBLE_EQ(ablated.clean, same.clean);

  // The clean mean from one pass over everything.
  ForwardPass whole(model, sequences, seq_len);
  whole.run(ids, sequences, request(std::nullopt, false, false, true));
  EXPECT_NEAR(same.clean, whole.loss_sum() / static_cast<double>(whole.loss_count()), 1e-6 * same.clean);
}

TEST_P(Forward, KlDivergenceAndReconstructionMetrics) {
  const TransformerConfig c = small_config(backend::GeluKind::Tanh, Normalization::LayerNorm);
  const TransformerWeights w = random_weights(c, 11);
  const Transformer model(*backend_, c, w);
  const std::int64_t sequences = 3, seq_len = 9;
  const auto ids = random_ids(c, sequences * seq_len, 12);
  ForwardPass pass(model, 2, seq_len);
  const HookPoint hook{1, HookSite::MlpPost};
  NoEdit none;
  const CeLossRecovered same = ce_loss_recovered(pass, hook, none, ids, sequences, nullptr);
  EXPECT_TRUE(same.has_kl);
  EXPECT_EQ(same.kl_replaced, 0.0);
  ZeroAblation zero;
  const CeLossRecovered ablated = ce_loss_recovered(pass, hook, zero, ids, sequences, nullptr);
  // The zero-ablated KL from the two passes' logits, in double on the host.
  ForwardPass whole(model, sequences, seq_len);
  whole.run(ids, sequences, request(std::nullopt, false, true, false));
  const auto clean = to_host(*backend_, whole.logits(), sequences * seq_len * c.d_vocab_out);
  whole.run(ids, sequences, request(hook, false, true, false, &zero));
  const auto patched = to_host(*backend_, whole.logits(), sequences * seq_len * c.d_vocab_out);
  double kl = 0.0;
  for (std::int64_t r = 0; r < sequences * seq_len; ++r) {
    if (r % seq_len == seq_len - 1) continue;
    double zp = 0.0, zq = 0.0;
    for (std::int64_t v = 0; v < c.d_vocab_out; ++v) {
      zp += std::exp(static_cast<double>(clean[r * c.d_vocab_out + v]));
      zq += std::exp(static_cast<double>(patched[r * c.d_vocab_out + v]));
    }
    for (std::int64_t v = 0; v < c.d_vocab_out; ++v) {
      const double p = std::exp(static_cast<double>(clean[r * c.d_vocab_out + v])) / zp;
      const double q = std::exp(static_cast<double>(patched[r * c.d_vocab_out + v])) / zq;
      kl += p * std::log(p / q);
    }
  }
  kl /= static_cast<double>(sequences * (seq_len - 1));
  EXPECT_NEAR(ablated.kl_zero_ablated, kl, 1e-4 * kl);
  EXPECT_NEAR(ablated.kl_replaced, kl, 1e-4 * kl);  // the replacement is the zero ablation here

  const ReconstructionMetrics kept = reconstruction_metrics(pass, hook, none, ids, sequences, nullptr);
  EXPECT_EQ(kept.mse, 0.0);
  EXPECT_EQ(kept.fvu, 0.0);
  EXPECT_NEAR(kept.cosine, 1.0, 1e-9);
  EXPECT_NEAR(kept.l2_ratio, 1.0, 1e-9);
  const ReconstructionMetrics lost = reconstruction_metrics(pass, hook, zero, ids, sequences, nullptr);
  EXPECT_GT(lost.fvu, 1.0);  // x̂ = 0: Σ‖x‖² over Σ‖x − mean‖²
  EXPECT_EQ(lost.cosine, 0.0);
  EXPECT_EQ(lost.l2_ratio, 0.0);
  EXPECT_EQ(lost.tokens, sequences * seq_len);
}

TEST_P(Forward, BadInputsAreRefused) {
  const TransformerConfig c = small_config(backend::GeluKind::Erf, Normalization::LayerNorm);
  TransformerWeights w = random_weights(c, 9);
  EXPECT_THROW(ForwardPass(Transformer(*backend_, c, w), 1, c.n_ctx + 1), UsageError);
  const Transformer model(*backend_, c, w);
  ForwardPass pass(model, 2, 5);
  auto ids = random_ids(c, 10, 10);
  ids[7] = static_cast<std::int32_t>(c.d_vocab);
  try {
    pass.run(ids, 2, request(std::nullopt, false, true, false));
    ADD_FAILURE() << "an id outside the vocabulary was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sequence 1, position 2"), std::string::npos) << e.what();
  }
  ids[7] = -1;
  EXPECT_THROW(pass.run(ids, 2, request(std::nullopt, false, true, false)), InputError);
  w.blocks[1].w_in.pop_back();
  EXPECT_THROW(Transformer(*backend_, c, w), InputError);
}

COACT_INSTANTIATE_EVERY_BACKEND(Forward);

}  // namespace
}  // namespace coact::model
