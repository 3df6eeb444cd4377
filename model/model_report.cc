#include "model/model_report.h"

#include "absl/strings/str_cat.h"
#include "base/text_table.h"
#include "model/weight_format.h"

namespace etchsim::model {
namespace {

using Json = nlohmann::ordered_json;
using base::HumanBytes;
using base::HumanCount;
using base::TextTable;
using base::WithCommas;

const char* FfnName(FfnKind k) { return k == FfnKind::kMoe ? "moe" : "dense"; }
const char* AttnName(AttentionKind k) { return k == AttentionKind::kMla ? "mla" : "gqa"; }
// What mixes positions in the layer: its attention kind, or the recurrence.
const char* MixerName(const LayerSpec& l) {
  return l.mixer == MixerKind::kGatedDeltaNet ? "gated-deltanet" : AttnName(l.attention_kind);
}
const char* SpanName(AttentionSpan s) {
  switch (s) {
    case AttentionSpan::kSliding:
      return "sliding";
    case AttentionSpan::kChunked:
      return "chunked";
    case AttentionSpan::kFull:
      break;
  }
  return "full";
}

Json MatmulJson(const Matmul& m) {
  Json j;
  j["name"] = m.name;
  j["in_features"] = m.in_features;
  j["out_features"] = m.out_features;
  j["bias"] = m.bias;
  j["params"] = m.params();
  j["step"] = m.step;
  return j;
}

Json LayerJson(const LayerSpec& l, const AccountingOptions& opt) {
  Json j;
  j["index"] = l.index;
  j["ffn"] = FfnName(l.ffn_kind);
  j["attention"] = MixerName(l);
  j["params"] = l.Params();
  if (l.is_recurrent()) j["state_bytes_per_sequence"] = l.state_bytes;
  j["active_params_per_token"] = l.ActiveParams();
  j["kv_cache_bytes_per_token"] = l.KvBytesPerToken(opt.kv_dtype);
  j["decode_flops_per_token"] = l.DecodeFlops(opt.context_tokens);
  j["attention_span"] = SpanName(l.attention_span);
  j["attention_window"] = l.attention_window;
  j["kv_cache_bytes_at_context"] = l.KvBytes(opt.context_tokens, opt.kv_dtype);
  Json c;
  c["attention"] = l.AttentionParams();
  c["norms"] = l.layer_norm_params;
  c["dense_mlp"] = l.DenseMlpParams();
  c["router"] = l.RouterParams();
  c["routed_experts"] = l.RoutedExpertParams();
  c["expert"] = l.ExpertParams();
  c["num_routed_experts"] = l.num_routed_experts;
  c["experts_per_token"] = l.experts_per_token;
  c["shared_experts"] = l.SharedExpertParams();
  c["num_shared_experts"] = l.num_shared_experts;
  j["components"] = c;
  Json ms = Json::array();
  for (const Matmul& m : l.attention) ms.push_back(MatmulJson(m));
  for (const Matmul& m : l.dense_mlp) ms.push_back(MatmulJson(m));
  if (l.router) ms.push_back(MatmulJson(*l.router));
  for (const Matmul& m : l.expert) {
    Json e = MatmulJson(m);
    e["name"] = "expert." + m.name;
    ms.push_back(e);
  }
  for (const Matmul& m : l.shared_expert) ms.push_back(MatmulJson(m));
  j["matmuls"] = ms;
  return j;
}

struct ComponentTotals {
  int64_t attention = 0, norms = 0, dense_mlp = 0, router = 0, routed_experts = 0,
          shared_experts = 0;
};

ComponentTotals Totals(const ModelSpec& m) {
  ComponentTotals t;
  for (const LayerSpec& l : m.layers) {
    t.attention += l.AttentionParams();
    t.norms += l.layer_norm_params;
    t.dense_mlp += l.DenseMlpParams();
    t.router += l.RouterParams();
    t.routed_experts += l.RoutedExpertParams();
    t.shared_experts += l.SharedExpertParams();
  }
  return t;
}

}  // namespace

Json ModelAccountingJson(const ModelSpec& m, const AccountingOptions& opt) {
  Json j;
  j["name"] = m.name;
  j["source"] = m.source;
  j["architecture"] = m.architecture;
  j["num_layers"] = static_cast<int64_t>(m.layers.size());
  j["hidden_size"] = m.hidden_size;
  j["vocab_size"] = m.vocab_size;
  j["tied_embeddings"] = m.tied_embeddings;
  j["moe"] = m.is_moe();
  j["attention"] = m.is_mla() ? "mla" : "gqa";
  j["total_params"] = m.TotalParams();
  j["active_params_per_token"] = m.ActiveParamsPerToken();
  j["mtp_params"] = m.MtpParams();
  j["kv_dtype"] = std::string(KvDtypeName(opt.kv_dtype));
  j["kv_cache_bytes_per_token"] = m.KvBytesPerToken(opt.kv_dtype);
  // The fixed part: recurrent layers' state, whatever the context.
  j["state_bytes_per_sequence"] = m.StateBytesPerSequence();
  j["context_tokens"] = opt.context_tokens;
  // Windowed layers cap what a sequence of context_tokens holds.
  j["kv_cache_bytes_at_context"] = m.KvBytes(opt.context_tokens, opt.kv_dtype);
  // The same activity in each publisher's convention (docs/models.md).
  Json conv;
  conv["etchsim"] = m.ActiveParamsPerToken();
  conv["with_embedding_table"] = m.ActiveParamsWithEmbeddingTable();
  conv["non_embedding"] = m.ActiveParamsNonEmbedding();
  j["active_params_conventions"] = conv;
  j["total_params_non_embedding"] = m.TotalParamsNonEmbedding();
  if (!m.multimodal_wrapper.empty()) j["text_model_of"] = m.multimodal_wrapper;
  if (!m.native_expert_format.empty()) {
    j["native_expert_format"] = m.native_expert_format;
    j["native_weight_bytes"] = m.NativeWeightBytes();
  }
  j["decode_flops_per_token"] = m.DecodeFlops(opt.context_tokens);
  j["prompt_tokens"] = opt.prompt_tokens;
  j["prefill_flops"] = m.PrefillFlops(opt.prompt_tokens);
  const ComponentTotals t = Totals(m);
  Json c;
  c["embedding"] = m.embedding_params;
  c["attention"] = t.attention;
  c["norms"] = t.norms + m.final_norm_params;
  c["dense_mlp"] = t.dense_mlp;
  c["router"] = t.router;
  c["routed_experts"] = t.routed_experts;
  c["shared_experts"] = t.shared_experts;
  c["lm_head"] = m.lm_head_params;
  j["components"] = c;
  Json wb;
  for (const WeightFormat& f : AllWeightFormats()) {
    wb[f.name] = f.BytesFor(m.TotalParams());
  }
  j["weight_bytes"] = wb;
  Json layers = Json::array();
  for (const LayerSpec& l : m.layers) layers.push_back(LayerJson(l, opt));
  j["layers"] = layers;
  Json mtp = Json::array();
  for (const MtpSpec& x : m.mtp) {
    Json e;
    e["params"] = x.Params();
    e["extra_params"] = x.extra_params;
    e["layer"] = LayerJson(x.layer, opt);
    mtp.push_back(e);
  }
  j["mtp"] = mtp;
  return j;
}

std::string ModelAccountingText(const ModelSpec& m, const AccountingOptions& opt) {
  std::string out =
      absl::StrCat(m.name, " (", m.architecture, ", ", m.layers.size(), " layers, ",
                   m.is_mla() ? "MLA" : "GQA", m.is_moe() ? ", MoE" : ", dense",
                   m.tied_embeddings ? ", tied embeddings" : "", ")\n", "source: ", m.source, "\n");
  if (!m.multimodal_wrapper.empty()) {
    absl::StrAppend(&out, "text model of ", m.multimodal_wrapper,
                    " (the vision tower is not counted)\n");
  }
  out += "\n";
  TextTable summary({"quantity", "value", ""});
  summary.AddRow({"total parameters", WithCommas(m.TotalParams()),
                  HumanCount(static_cast<double>(m.TotalParams()))});
  summary.AddRow({"active parameters / token", WithCommas(m.ActiveParamsPerToken()),
                  HumanCount(static_cast<double>(m.ActiveParamsPerToken()))});
  summary.AddRow({"  with the whole embedding table",
                  WithCommas(m.ActiveParamsWithEmbeddingTable()),
                  HumanCount(static_cast<double>(m.ActiveParamsWithEmbeddingTable()))});
  summary.AddRow({"  without embedding and LM head", WithCommas(m.ActiveParamsNonEmbedding()),
                  HumanCount(static_cast<double>(m.ActiveParamsNonEmbedding()))});
  if (!m.mtp.empty()) {
    summary.AddRow({"MTP module (not in total)", WithCommas(m.MtpParams()),
                    HumanCount(static_cast<double>(m.MtpParams()))});
  }
  const int64_t kv = m.KvBytesPerToken(opt.kv_dtype);
  summary.AddRow({absl::StrCat("KV cache / token (", KvDtypeName(opt.kv_dtype), ")"),
                  WithCommas(kv), HumanBytes(static_cast<double>(kv))});
  if (m.has_recurrent_layers()) {
    const int64_t st = m.StateBytesPerSequence();
    summary.AddRow({"recurrent state / sequence (fixed)", WithCommas(st),
                    HumanBytes(static_cast<double>(st))});
  }
  if (m.has_windowed_layers()) {
    const int64_t at = m.KvBytes(opt.context_tokens, opt.kv_dtype);
    summary.AddRow({absl::StrCat("KV cache at L=", opt.context_tokens, " (windows capped)"),
                    WithCommas(at), HumanBytes(static_cast<double>(at))});
  }
  if (!m.native_expert_format.empty()) {
    summary.AddRow({absl::StrCat("native checkpoint (", m.native_expert_format, " experts)"),
                    WithCommas(m.NativeWeightBytes()),
                    HumanBytes(static_cast<double>(m.NativeWeightBytes()))});
  }
  summary.AddRow({absl::StrCat("decode FLOPs / token at L=", opt.context_tokens),
                  WithCommas(m.DecodeFlops(opt.context_tokens)),
                  HumanCount(static_cast<double>(m.DecodeFlops(opt.context_tokens)))});
  summary.AddRow({absl::StrCat("prefill FLOPs, prompt L=", opt.prompt_tokens),
                  WithCommas(m.PrefillFlops(opt.prompt_tokens)),
                  HumanCount(static_cast<double>(m.PrefillFlops(opt.prompt_tokens)))});
  out += summary.Render() + "\n";

  const ComponentTotals t = Totals(m);
  TextTable comp({"component", "parameters", "share"});
  const double total = static_cast<double>(m.TotalParams());
  auto row = [&](const std::string& name, int64_t v) {
    if (v == 0) return;
    comp.AddRow({name, WithCommas(v), absl::StrCat(base::Fixed(100.0 * v / total, 2), "%")});
  };
  row(m.tied_embeddings ? "embedding (tied with LM head)" : "embedding", m.embedding_params);
  row("attention", t.attention);
  row("norms", t.norms + m.final_norm_params);
  row("dense MLP", t.dense_mlp);
  row("router", t.router);
  row("routed experts", t.routed_experts);
  row("shared experts", t.shared_experts);
  row("LM head", m.lm_head_params);
  out += comp.Render() + "\n";

  // Consecutive identical layers are shown as one range.
  TextTable layers({"layers", "ffn", "attn", "span", "params/layer", "active/layer", "experts",
                    "KV B/token/layer"});
  size_t i = 0;
  while (i < m.layers.size()) {
    size_t j = i + 1;
    const LayerSpec& a = m.layers[i];
    while (j < m.layers.size() && m.layers[j].Params() == a.Params() &&
           m.layers[j].ffn_kind == a.ffn_kind && m.layers[j].attention_span == a.attention_span &&
           m.layers[j].mixer == a.mixer) {
      ++j;
    }
    const std::string range =
        j - i == 1 ? absl::StrCat(i) : absl::StrCat(i, "-", j - 1, " (x", j - i, ")");
    const std::string experts =
        a.ffn_kind == FfnKind::kMoe
            ? absl::StrCat(
                  a.experts_per_token, "/", a.num_routed_experts,
                  a.num_shared_experts ? absl::StrCat(" +", a.num_shared_experts, " shared") : "")
            : "-";
    const std::string span =
        a.attention_span == AttentionSpan::kFull
            ? "full"
            : absl::StrCat(SpanName(a.attention_span), " ", a.attention_window);
    layers.AddRow({range, FfnName(a.ffn_kind), MixerName(a), a.is_recurrent() ? "-" : span,
                   WithCommas(a.Params()), WithCommas(a.ActiveParams()), experts,
                   WithCommas(a.KvBytesPerToken(opt.kv_dtype))});
    i = j;
  }
  out += layers.Render() + "\n";

  TextTable wb({"weight format", "bits/param", "weight bytes"});
  for (const WeightFormat& f : AllWeightFormats()) {
    wb.AddRow({f.name + (f.assumption ? " (assumed layout)" : ""),
               base::Fixed(f.bits_per_param(), 4),
               HumanBytes(static_cast<double>(f.BytesFor(m.TotalParams())))});
  }
  out += wb.Render();
  return out;
}

}  // namespace etchsim::model
