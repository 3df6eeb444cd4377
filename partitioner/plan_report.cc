#include "partitioner/plan_report.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/text_table.h"

namespace etchsim::partitioner {

using Json = nlohmann::ordered_json;

namespace {
// A core holding all of its layer's experts (or a dense layer).
bool WholeLayer(const v1::LayerSlice& s) {
  if (s.ffn_only() || s.attention_only()) return true;  // the part the shard says
  return s.core() && (s.num_routed_experts() == 0 ||
                      (s.expert_begin() == 0 && s.expert_end() == s.num_routed_experts()));
}
}  // namespace

std::string DescribeShard(const v1::ChipShard& shard) {
  std::vector<std::string> parts;
  if (shard.embedding()) parts.push_back("emb");
  int run_start = -1, run_end = -1;
  auto flush = [&] {
    if (run_start < 0) return;
    parts.push_back(run_start == run_end ? absl::StrCat(run_start)
                                         : absl::StrCat(run_start, "-", run_end));
    run_start = -1;
  };
  for (const v1::LayerSlice& s : shard.layers()) {
    // Whole layers join a range; a layer whose experts are split shows
    // which experts this chip holds ("3[e0-99]" with its core, "3:[e100-255]"
    // without).
    if (WholeLayer(s)) {
      if (run_start >= 0 && s.layer() == run_end + 1) {
        run_end = s.layer();
      } else {
        flush();
        run_start = run_end = s.layer();
      }
      continue;
    }
    flush();
    if (s.expert_end() == s.expert_begin()) {
      parts.push_back(absl::StrCat(s.layer(), "[core]"));
    } else {
      parts.push_back(absl::StrCat(s.layer(), s.core() ? "" : ":", "[e", s.expert_begin(), "-",
                                   s.expert_end() - 1, "]"));
    }
  }
  flush();
  if (shard.lm_head()) parts.push_back("head");
  // Attention/FFN disaggregation: "attn: emb, 0-60, head" or "ffn: 3-4".
  if (shard.layers_size() > 0 && (shard.layers(0).attention_only() || shard.layers(0).ffn_only())) {
    return absl::StrCat(shard.layers(0).attention_only() ? "attn: " : "ffn: ",
                        absl::StrJoin(parts, ", "));
  }
  return absl::StrJoin(parts, ", ");
}

Json PlanJson(const v1::Plan& p) {
  Json j;
  j["model"] = p.model();
  j["chip"] = p.chip();
  j["strategy"] = p.strategy();
  j["weight_format"] = p.weight_format();
  j["chip_capacity_bytes"] = p.chip_capacity_bytes();
  j["num_chips"] = p.num_chips();
  j["min_chips"] = p.min_chips();
  j["total_params"] = p.total_params();
  j["stored_params"] = p.stored_params();
  j["hops_per_token"] = p.hops_per_token();
  j["handoff_bytes_per_token"] = p.handoff_bytes_per_token();
  j["all_to_all_bytes_per_token"] = p.all_to_all_bytes_per_token();
  j["all_to_all_messages_per_token"] = p.all_to_all_messages_per_token();
  j["balance"] = p.balance();
  j["max_stage_cost"] = p.max_stage_cost();
  j["mean_stage_cost"] = p.mean_stage_cost();
  j["explanation"] = p.explanation();
  Json chips = Json::array();
  for (const v1::ChipShard& c : p.chips()) {
    Json cj;
    cj["index"] = c.index();
    cj["params"] = c.params();
    cj["weight_bytes"] = c.weight_bytes();
    cj["capacity_used"] = c.capacity_used();
    Json layers = Json::array();
    for (const v1::LayerSlice& s : c.layers()) layers.push_back(s.layer());
    cj["layers"] = layers;
    Json slices = Json::array();
    for (const v1::LayerSlice& s : c.layers()) {
      Json sj;
      sj["layer"] = s.layer();
      sj["core"] = s.core();
      sj["expert_begin"] = s.expert_begin();
      sj["expert_end"] = s.expert_end();
      sj["num_routed_experts"] = s.num_routed_experts();
      sj["params"] = s.params();
      slices.push_back(sj);
    }
    cj["slices"] = slices;
    cj["embedding"] = c.embedding();
    cj["lm_head"] = c.lm_head();
    cj["expected_macs_per_token"] = c.expected_macs_per_token();
    cj["kv_bytes_per_token"] = c.kv_bytes_per_token();
    cj["handoff_bytes_per_token"] = c.handoff_bytes_per_token();
    cj["all_to_all_bytes_per_token"] = c.all_to_all_bytes_per_token();
    chips.push_back(cj);
  }
  j["chips"] = chips;
  return j;
}

std::string PlanText(const v1::Plan& p) {
  std::string out =
      absl::StrCat(p.model(), " on ", p.num_chips(), " x ", p.chip(), " (", p.weight_format(), ", ",
                   base::HumanBytes(static_cast<double>(p.chip_capacity_bytes())),
                   " ROM each), strategy ", p.strategy(), "\n");
  absl::StrAppend(&out, "parameters: ", base::WithCommas(p.total_params()), " in the model, ",
                  base::WithCommas(p.stored_params()), " stored on chips\n");
  absl::StrAppend(&out, "per token: ", base::Fixed(p.hops_per_token(), 2), " chip-to-chip hops, ",
                  base::HumanBytes(static_cast<double>(p.handoff_bytes_per_token())),
                  " of pipeline hand-offs, ", base::HumanBytes(p.all_to_all_bytes_per_token()),
                  " of expert dispatch/combine\n\n");
  base::TextTable t({"chip", "holds", "params", "weight bytes", "used", "KV B/token", "hand-off B",
                     "a2a B/token"},
                    {base::TextTable::Align::kRight, base::TextTable::Align::kLeft});
  for (const v1::ChipShard& c : p.chips()) {
    t.AddRow({absl::StrCat(c.index()), DescribeShard(c),
              base::HumanCount(static_cast<double>(c.params())),
              base::HumanBytes(static_cast<double>(c.weight_bytes())),
              absl::StrCat(base::Fixed(100.0 * c.capacity_used(), 1), "%"),
              base::WithCommas(c.kv_bytes_per_token()),
              base::WithCommas(c.handoff_bytes_per_token()),
              base::Fixed(c.all_to_all_bytes_per_token(), 0)});
  }
  out += t.Render();
  absl::StrAppend(&out, "\n", p.explanation(), "\n");
  return out;
}

}  // namespace etchsim::partitioner
