#include "functional/runtime.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "functional/formats.h"

namespace etchsim::functional {
namespace {

// Upper bound on trace entries a carry may bring (a peer is hostile).
constexpr int kMaxTraceEntries = 1 << 16;

int32_t Sat(int64_t v) {
  return static_cast<int32_t>(std::clamp<int64_t>(v, std::numeric_limits<int32_t>::min(),
                                                  std::numeric_limits<int32_t>::max()));
}

Act Add(const Act& a, const Act& b) {
  Act y(a.size());
  for (size_t i = 0; i < a.size(); ++i) y[i] = Sat(int64_t{a[i]} + b[i]);
  return y;
}

Act Slice(const Act& a, int64_t begin, int64_t n) {
  return Act(a.begin() + begin, a.begin() + begin + n);
}

// Softmax over attention scores in position order, as Q16 probabilities.
std::vector<int32_t> SoftmaxQ16(const std::vector<double>& s) {
  const double m = *std::max_element(s.begin(), s.end());
  std::vector<double> e(s.size());
  double sum = 0;
  for (size_t j = 0; j < s.size(); ++j) sum += (e[j] = std::exp(s[j] - m));
  std::vector<int32_t> p(s.size());
  for (size_t j = 0; j < s.size(); ++j) p[j] = ToAct(e[j] / sum);
  return p;
}

// sum_j p_j * value_j[offset + d] for d < n, rounded to Q16.
void WeightedSum(const std::vector<int32_t>& p, const std::vector<const int32_t*>& values,
                 int64_t n, int32_t* out) {
  for (int64_t d = 0; d < n; ++d) {
    __int128 acc = 0;
    for (size_t j = 0; j < p.size(); ++j) acc += static_cast<int64_t>(p[j]) * values[j][d];
    out[d] = RoundShift(acc, kActFrac);
  }
}

std::string Prefix(int layer) { return absl::StrCat("model.layers.", layer, "."); }

}  // namespace

absl::StatusOr<std::unique_ptr<ChipRuntime>> ChipRuntime::Create(
    const Arch& arch, const v1::ChipShard& shard, const TensorFile& weights,
    const std::string& format, int chip, const v1::FunctionalFault& fault) {
  RETURN_IF_ERROR(CheckQuantFormat(format));
  std::unique_ptr<ChipRuntime> rt(new ChipRuntime(arch, shard, chip, fault));
  const std::vector<TensorSpec> need = ShardTensors(arch, shard);
  RETURN_IF_ERROR(
      CheckTensorSet(need, weights, "weights", absl::StrCat("chip ", chip, "'s shard")));
  for (const TensorSpec& s : need) {
    const std::vector<float> v = weights.tensors.at(s.name).ToFloat();
    if (s.shape.size() == 2) {
      rt->matrices_[s.name] = Quantize(format, v, s.shape[0], s.shape[1]);
    } else {
      rt->vectors_[s.name] = ToQ24(v);
    }
  }
  return rt;
}

absl::Status ChipRuntime::CheckCarry(const v1::FunctionalCarry& c) const {
  const model::ModelConfig& m = arch_.config;
  const std::string where = absl::StrCat("chip ", chip_, ": carry");
  auto bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", what));
  };
  if (c.position() < 0 || c.position() >= m.max_position_embeddings) {
    return bad(
        absl::StrCat("position ", c.position(), " outside [0, ", m.max_position_embeddings, ")"));
  }
  if (c.token() < 0 || c.token() >= m.vocab_size) {
    return bad(absl::StrCat("token ", c.token(), " outside [0, ", m.vocab_size, ")"));
  }
  const int want = shard_.embedding() ? 0 : static_cast<int>(m.hidden_size);
  if (c.hidden_size() != want) {
    return bad(absl::StrCat("hidden has ", c.hidden_size(), " values, expected ", want));
  }
  if (c.pending_layer() < -1 || c.pending_layer() >= arch_.num_layers()) {
    return bad(absl::StrCat("pending_layer ", c.pending_layer(), " out of range"));
  }
  if (c.pending_layer() >= 0) {
    if (c.moe_input_size() != m.hidden_size || c.partial_size() != m.hidden_size ||
        c.expert_ids_size() != c.expert_weights_size() ||
        c.expert_ids_size() > m.num_experts_per_tok) {
      return bad("pending MoE layer with inconsistent sizes");
    }
    for (int64_t v : c.partial()) {
      // A partial sum is at most k + shared experts of saturated Q16 values.
      if (v > (int64_t{1} << 40) || v < -(int64_t{1} << 40)) {
        return bad(absl::StrCat("partial sum ", v, " outside +-2^40"));
      }
    }
    for (int e : c.expert_ids()) {
      if (e < 0 || e >= m.num_routed_experts)
        return bad(absl::StrCat("expert id ", e, " out of range"));
    }
  }
  if (c.trace_size() > kMaxTraceEntries || !c.logits().empty()) {
    return bad("trace too long or logits already set");
  }
  return absl::OkStatus();
}

void ChipRuntime::Record(v1::FunctionalCarry& c, int layer, const std::string& tensor,
                         const Act& v) const {
  v1::FunctionalTrace* t = c.add_trace();
  t->set_step(c.step());
  t->set_layer(layer);
  t->set_tensor(tensor);
  t->set_chip(chip_);
  t->mutable_values()->Assign(v.begin(), v.end());
}

Act ChipRuntime::GqaAttention(int l, int pos, const Act& x, KvCache& kv) {
  const model::ModelConfig& m = arch_.config;
  const std::string p = Prefix(l) + "self_attn.";
  const int64_t nh = m.num_attention_heads, nkv = m.num_key_value_heads, hd = m.head_dim;
  Act q = MatVec(M(p + "q_proj.weight"), x);
  Act k = MatVec(M(p + "k_proj.weight"), x);
  Act v = MatVec(M(p + "v_proj.weight"), x);
  for (int64_t h = 0; h < nh; ++h) {
    if (m.qk_norm) {
      const Act n = RmsNorm(Slice(q, h * hd, hd), V(p + "q_norm.weight"), arch_.rms_norm_eps);
      std::copy(n.begin(), n.end(), q.begin() + h * hd);
    }
    ApplyRope(q, h * hd, hd, pos, arch_.rope_theta);
  }
  for (int64_t h = 0; h < nkv; ++h) {
    if (m.qk_norm) {
      const Act n = RmsNorm(Slice(k, h * hd, hd), V(p + "k_norm.weight"), arch_.rms_norm_eps);
      std::copy(n.begin(), n.end(), k.begin() + h * hd);
    }
    ApplyRope(k, h * hd, hd, pos, arch_.rope_theta);
  }
  const bool stale =
      fault_.kind() == v1::FunctionalFault::STALE_KV && fault_.layer() == l && pos > 0;
  kv.k.push_back(stale ? kv.k.back() : k);
  kv.v.push_back(stale ? kv.v.back() : v);
  Act out(static_cast<size_t>(nh * hd));
  const double scale = 1.0 / (kActOne * kActOne * std::sqrt(static_cast<double>(hd)));
  for (int64_t h = 0; h < nh; ++h) {
    const int64_t g = h / (nh / nkv);
    std::vector<double> s;
    std::vector<const int32_t*> vals;
    for (size_t j = 0; j < kv.k.size(); ++j) {
      s.push_back(static_cast<double>(Dot(q.data() + h * hd, kv.k[j].data() + g * hd, hd)) * scale);
      vals.push_back(kv.v[j].data() + g * hd);
    }
    WeightedSum(SoftmaxQ16(s), vals, hd, out.data() + h * hd);
  }
  return MatVec(M(p + "o_proj.weight"), out);
}

Act ChipRuntime::MlaAttention(int l, int pos, const Act& x, KvCache& kv) {
  const model::ModelConfig& m = arch_.config;
  const std::string p = Prefix(l) + "self_attn.";
  const int64_t nh = m.num_attention_heads, nope = m.qk_nope_head_dim, rope = m.qk_rope_head_dim;
  const int64_t vd = m.v_head_dim, qd = nope + rope, r = m.kv_lora_rank;
  Act q = m.q_lora_rank > 0 ? MatVec(M(p + "q_b_proj.weight"),
                                     RmsNorm(MatVec(M(p + "q_a_proj.weight"), x),
                                             V(p + "q_a_layernorm.weight"), arch_.rms_norm_eps))
                            : MatVec(M(p + "q_proj.weight"), x);
  for (int64_t h = 0; h < nh; ++h) ApplyRope(q, h * qd + nope, rope, pos, arch_.rope_theta);
  const Act kva = MatVec(M(p + "kv_a_proj_with_mqa.weight"), x);
  const Act latent = RmsNorm(Slice(kva, 0, r), V(p + "kv_a_layernorm.weight"), arch_.rms_norm_eps);
  Act k_rope = Slice(kva, r, rope);
  ApplyRope(k_rope, 0, rope, pos, arch_.rope_theta);
  // The cache holds the latent and the rope key, as the accounting counts.
  const bool stale =
      fault_.kind() == v1::FunctionalFault::STALE_KV && fault_.layer() == l && pos > 0;
  kv.k.push_back(stale ? kv.k.back() : latent);
  kv.v.push_back(stale ? kv.v.back() : k_rope);
  // Naive (non-absorbed) form: expand every cached latent per head.
  std::vector<Act> expanded;
  for (const Act& c : kv.k) expanded.push_back(MatVec(M(p + "kv_b_proj.weight"), c));
  Act out(static_cast<size_t>(nh * vd));
  const double scale = 1.0 / (kActOne * kActOne * std::sqrt(static_cast<double>(qd)));
  for (int64_t h = 0; h < nh; ++h) {
    std::vector<double> s;
    std::vector<const int32_t*> vals;
    for (size_t j = 0; j < kv.k.size(); ++j) {
      const int32_t* e = expanded[j].data() + h * (nope + vd);
      const __int128 d =
          Dot(q.data() + h * qd, e, nope) + Dot(q.data() + h * qd + nope, kv.v[j].data(), rope);
      s.push_back(static_cast<double>(d) * scale);
      vals.push_back(e + nope);
    }
    WeightedSum(SoftmaxQ16(s), vals, vd, out.data() + h * vd);
  }
  return MatVec(M(p + "o_proj.weight"), out);
}

Act ChipRuntime::Mlp(const std::string& prefix, const Act& x, bool mixtral) const {
  const Act g = MatVec(M(prefix + (mixtral ? "w1" : "gate_proj") + ".weight"), x);
  const Act u = MatVec(M(prefix + (mixtral ? "w3" : "up_proj") + ".weight"), x);
  return MatVec(M(prefix + (mixtral ? "w2" : "down_proj") + ".weight"), SiluMul(g, u));
}

void ChipRuntime::Route(int l, const Act& x, v1::FunctionalCarry& c) const {
  const model::ModelConfig& m = arch_.config;
  const bool mixtral = m.architecture == model::Architecture::kMixtral;
  const std::string p = Prefix(l) + (mixtral ? "block_sparse_moe." : "mlp.") + "gate.";
  const Act logits = MatVec(M(p + "weight"), x);
  const size_t e = logits.size();
  std::vector<double> score(e), choice(e);
  if (arch_.deepseek()) {
    for (size_t i = 0; i < e; ++i) {
      score[i] = 1.0 / (1.0 + std::exp(-FromAct(logits[i])));
      choice[i] = score[i];
      if (m.router_bias) {
        choice[i] += static_cast<double>(V(p + "e_score_correction_bias")[i]) / kWeightOne;
      }
    }
  } else {
    const double mx = FromAct(*std::max_element(logits.begin(), logits.end()));
    double sum = 0;
    for (size_t i = 0; i < e; ++i) sum += (score[i] = std::exp(FromAct(logits[i]) - mx));
    for (size_t i = 0; i < e; ++i) choice[i] = score[i] /= sum;
  }
  std::vector<int> order(e);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return choice[a] > choice[b]; });
  std::vector<int> top(order.begin(), order.begin() + m.num_experts_per_tok);
  std::sort(top.begin(), top.end());
  double sum = 0;
  for (int i : top) sum += score[i];
  for (int i : top) {
    double w = arch_.norm_topk_prob ? score[i] / sum : score[i];
    if (arch_.deepseek()) w *= arch_.routed_scaling_factor;
    c.add_expert_ids(i);
    c.add_expert_weights(ToAct(w));
  }
}

absl::Status ChipRuntime::RunSlice(const v1::LayerSlice& s, v1::FunctionalCarry& c) {
  const model::ModelConfig& m = arch_.config;
  const int l = s.layer();
  const bool mixtral = m.architecture == model::Architecture::kMixtral;
  const std::string moe = Prefix(l) + (mixtral ? "block_sparse_moe." : "mlp.");
  const size_t hsize = static_cast<size_t>(m.hidden_size);
  if (s.core()) {
    if (c.pending_layer() != -1) {
      return absl::InvalidArgumentError(absl::StrCat("chip ", chip_, ": layer ", l,
                                                     " starts while layer ", c.pending_layer(),
                                                     " still waits for experts"));
    }
    const bool skip = fault_.kind() == v1::FunctionalFault::SKIP_LAYER && fault_.layer() == l;
    const Act in(c.hidden().begin(), c.hidden().end());
    Act attn(hsize, 0);
    if (!skip) {
      KvCache& kv = kv_[l];
      if (static_cast<int>(kv.k.size()) != c.position()) {
        return absl::FailedPreconditionError(
            absl::StrCat("chip ", chip_, ": layer ", l, " got position ", c.position(),
                         " but its KV cache holds ", kv.k.size(), " positions"));
      }
      const Act x = RmsNorm(in, V(Prefix(l) + "input_layernorm.weight"), arch_.rms_norm_eps);
      attn =
          m.is_mla() ? MlaAttention(l, c.position(), x, kv) : GqaAttention(l, c.position(), x, kv);
    }
    Record(c, l, "attn", attn);
    const Act h = Add(in, attn);
    c.mutable_hidden()->Assign(h.begin(), h.end());
    const Act x2 = RmsNorm(h, V(Prefix(l) + "post_attention_layernorm.weight"), arch_.rms_norm_eps);
    if (!m.moe_layer[l]) {
      const Act ffn = skip ? Act(hsize, 0) : Mlp(Prefix(l) + "mlp.", x2, false);
      Record(c, l, "ffn", ffn);
      const Act out = Add(h, ffn);
      c.mutable_hidden()->Assign(out.begin(), out.end());
      Record(c, l, "out", out);
      return absl::OkStatus();
    }
    c.set_pending_layer(l);
    c.mutable_moe_input()->Assign(x2.begin(), x2.end());
    Act shared(hsize, 0);
    if (!skip && m.num_shared_experts > 0) shared = Mlp(moe + "shared_experts.", x2, false);
    c.mutable_partial()->Assign(shared.begin(), shared.end());
    if (!skip) {
      Route(l, x2, c);
      Record(c, l, "route", Act(c.expert_ids().begin(), c.expert_ids().end()));
    }
  }
  if (!m.moe_layer[l]) return absl::OkStatus();
  if (c.pending_layer() != l) {
    return absl::InvalidArgumentError(absl::StrCat("chip ", chip_, " holds experts of layer ", l,
                                                   " but the carry has pending layer ",
                                                   c.pending_layer()));
  }
  const Act x(c.moe_input().begin(), c.moe_input().end());
  for (int i = 0; i < c.expert_ids_size(); ++i) {
    const int e = c.expert_ids(i);
    if (e < s.expert_begin() || e >= s.expert_end()) continue;
    const Act y = Mlp(absl::StrCat(moe, "experts.", e, "."), x, mixtral);
    Act contrib(hsize, 0);
    const bool drop = fault_.kind() == v1::FunctionalFault::DROP_EXPERT && fault_.layer() == l &&
                      fault_.expert() == e;
    for (size_t d = 0; d < hsize && !drop; ++d) {
      contrib[d] = RoundShift(static_cast<int64_t>(c.expert_weights(i)) * y[d], kActFrac);
    }
    for (size_t d = 0; d < hsize; ++d) c.set_partial(d, c.partial(d) + contrib[d]);
    Record(c, l, absl::StrCat("expert.", e), contrib);
  }
  if (s.expert_end() == m.num_routed_experts) Finish(l, c);
  return absl::OkStatus();
}

void ChipRuntime::Finish(int l, v1::FunctionalCarry& c) const {
  Act ffn(c.partial_size());
  for (int d = 0; d < c.partial_size(); ++d) ffn[d] = Sat(c.partial(d));
  Record(c, l, "ffn", ffn);
  const Act out = Add(Act(c.hidden().begin(), c.hidden().end()), ffn);
  c.mutable_hidden()->Assign(out.begin(), out.end());
  Record(c, l, "out", out);
  c.set_pending_layer(-1);
  c.clear_moe_input();
  c.clear_expert_ids();
  c.clear_expert_weights();
  c.clear_partial();
}

absl::Status ChipRuntime::Run(v1::FunctionalCarry& c) {
  RETURN_IF_ERROR(CheckCarry(c));
  const model::ModelConfig& m = arch_.config;
  if (shard_.embedding()) {
    const Matrix& e = M("model.embed_tokens.weight");
    c.clear_hidden();
    for (int64_t d = 0; d < e.cols; ++d) {
      c.add_hidden(RoundShift(e.q24[c.token() * e.cols + d], kWeightFrac - kActFrac));
    }
  }
  for (const v1::LayerSlice& s : shard_.layers()) RETURN_IF_ERROR(RunSlice(s, c));
  if (shard_.lm_head()) {
    if (c.pending_layer() != -1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "chip ", chip_, ": LM head reached with layer ", c.pending_layer(), " unfinished"));
    }
    const Act x = RmsNorm(Act(c.hidden().begin(), c.hidden().end()), V("model.norm.weight"),
                          arch_.rms_norm_eps);
    const Act logits =
        MatVec(M(m.tie_word_embeddings ? "model.embed_tokens.weight" : "lm_head.weight"), x);
    c.mutable_logits()->Assign(logits.begin(), logits.end());
    Record(c, arch_.num_layers(), "logits", logits);
  }
  return absl::OkStatus();
}

}  // namespace etchsim::functional
