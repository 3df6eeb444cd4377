#include "tools/scenario_flags.h"

#include "absl/flags/commandlineflag.h"
#include "absl/flags/flag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "serving/routing.h"
#include "sim/scenario.h"
#include "sim/scenario_validate.h"
#include "tools/flags.h"

namespace etchsim::tools {

namespace {

// Flags whose value is a scenario field: a range error on the field is
// reported under the flag's name when the flag was given.
struct FlagField {
  const char* flag;   // as registered ("think_time")
  const char* field;  // as ValidateScenario names it
};
constexpr FlagField kFlagFields[] = {
    {"chips", "chips"},
    {"cards_per_server", "topology.cards_per_server"},
    {"users", "workload.closed_loop.users"},
    {"rate", "workload.poisson.rate_per_s"},
    {"offline", "workload.offline.requests"},
    {"think_time", "workload.closed_loop.think_time_s"},
    {"duration", "duration_s"},
    {"requests", "max_requests"},
    {"warmup", "warmup_s"},
    {"draft_len", "speculative.draft_len"},
    {"acceptance", "speculative.acceptance_rate"},
    {"slo_ttft", "slo.ttft_s"},
    {"slo_tpot", "slo.tpot_s"},
    {"tensor_parallel", "tensor_parallel"},
};

std::string Dashed(absl::string_view flag) {
  return absl::StrCat("--", absl::StrReplaceAll(flag, {{"_", "-"}}));
}

// A scenario validator's error for a value that came from `flag`: its
// "scenario: block." prefix becomes "--flag: ".
absl::Status AsFlagError(absl::Status st, absl::string_view flag, absl::string_view prefix) {
  if (st.ok()) return st;
  absl::string_view msg = st.message();
  if (absl::StartsWith(msg, prefix)) msg.remove_prefix(prefix.size());
  return absl::InvalidArgumentError(absl::StrCat(flag, ": ", msg));
}

// --prefix-cache TOKENS:HIT_RATE.
absl::Status ParsePrefixCache(absl::string_view spec, v1::KvPolicy& k) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  int32_t tokens = 0;
  double rate = 0;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[0], &tokens) ||
      !absl::SimpleAtod(parts[1], &rate)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--prefix-cache: expected TOKENS:HIT_RATE, got \"", spec, "\""));
  }
  if (tokens < 1 || !(rate > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--prefix-cache: TOKENS must be >= 1 and HIT_RATE > 0, got \"", spec, "\""));
  }
  k.set_prefix_tokens(tokens);
  k.set_prefix_hit_rate(rate);
  return AsFlagError(sim::ValidateKvPolicy(k), "--prefix-cache", "scenario: kv_policy.");
}

// --kv-policy reserve | paged[:BLOCK[:recompute|:swap[:GBPS]]].
absl::StatusOr<v1::KvPolicy> ParseKvPolicy(absl::string_view spec) {
  v1::KvPolicy k;
  auto bad = [&] {
    return absl::InvalidArgumentError(absl::StrCat(
        "--kv-policy: expected reserve or paged[:BLOCK[:recompute|:swap[:GB_PER_S]]], got \"", spec,
        "\""));
  };
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  if (parts[0] == "reserve" && parts.size() == 1) {
    k.set_kind("reserve");
    return k;
  }
  if (parts[0] != "paged" || parts.size() > 4) return bad();
  k.set_kind("paged");
  if (parts.size() > 1) {
    int32_t block = 0;
    if (!absl::SimpleAtoi(parts[1], &block)) return bad();
    k.set_block_tokens(block);
    if (block < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kv-policy: block must be >= 1 token, got ", block));
    }
  }
  if (parts.size() > 2) k.set_preemption(std::string(parts[2]));
  if (parts.size() > 3) {
    double gbps = 0;
    if (!absl::SimpleAtod(parts[3], &gbps)) return bad();
    k.set_swap_gb_per_s(gbps);
    if (!(gbps > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--kv-policy: swap GB/s must be > 0, got ", parts[3]));
    }
  }
  RETURN_IF_ERROR(AsFlagError(sim::ValidateKvPolicy(k), "--kv-policy", "scenario: kv_policy."));
  return k;
}

}  // namespace

// --prefill-pool CHIP[:CHIPS[:TP]].
absl::Status ParsePrefillPool(absl::string_view spec, v1::Disaggregation& d) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--prefill-pool: ", why, ", got \"", spec,
                                                   "\" (use CHIP[:CHIPS[:TP]], e.g. h100:8:8)"));
  };
  if (parts.size() > 3) return bad("too many fields");
  if (parts[0].empty()) return bad("expected a chip name");
  d.set_prefill_chip(std::string(parts[0]));
  int32_t v = 0;
  if (parts.size() > 1) {
    if (!absl::SimpleAtoi(parts[1], &v)) return bad("CHIPS is not an integer");
    d.set_prefill_chips(v);
  }
  if (parts.size() > 2) {
    if (!absl::SimpleAtoi(parts[2], &v)) return bad("TP is not an integer");
    d.set_prefill_tensor_parallel(v);
  }
  v1::Scenario probe;
  *probe.mutable_disaggregation() = d;
  return AsFlagError(sim::ValidateDisaggregation(probe), "--prefill-pool",
                     "scenario: disaggregation.");
}

// --attention-pool CHIP[:N].
absl::Status ParseAttentionPool(absl::string_view spec, v1::AttentionFfn& a) {
  const std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("--attention-pool: ", why, ", got \"", spec,
                                                   "\" (use CHIP[:N], e.g. h100:8)"));
  };
  if (parts.size() > 2) return bad("too many fields");
  if (parts[0].empty()) return bad("expected a chip name");
  a.set_attention_chip(std::string(parts[0]));
  int32_t n = 0;
  if (parts.size() > 1) {
    if (!absl::SimpleAtoi(parts[1], &n)) return bad("N is not an integer");
    a.set_attention_chips(n);
  }
  v1::Scenario probe;
  *probe.mutable_attention_ffn() = a;
  return AsFlagError(sim::ValidateAttentionFfn(probe), "--attention-pool",
                     "scenario: attention_ffn.");
}

absl::Status CheckNamedFlags(const Invocation& inv) {
  for (const char* f : {"model", "chip", "topology", "strategy", "scenario", "trace", "kv_dtype",
                        "input_len", "output_len"}) {
    if (!inv.Given(f)) continue;
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(f);
    std::string v;
    if (flag != nullptr) v = flag->CurrentValue();
    if (v.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(Dashed(f), ": must not be empty"));
    }
    RETURN_IF_ERROR(base::CheckUtf8("", Dashed(f), v));
  }
  return absl::OkStatus();
}

namespace {

// Runs the scenario validator now, so that a bad flag is named as the flag.
absl::Status ValidateAsFlags(const Invocation& inv, v1::Scenario s) {
  sim::ApplyDefaults(s);
  absl::Status st = sim::ValidateScenario(s);
  if (st.ok()) return st;
  for (const FlagField& ff : kFlagFields) {
    const std::string prefix = absl::StrCat("scenario: ", ff.field, " ");
    if (inv.Given(ff.flag) && absl::StartsWith(st.message(), prefix)) {
      return absl::InvalidArgumentError(
          absl::StrCat(Dashed(ff.flag), " ", st.message().substr(prefix.size())));
    }
  }
  return st;
}

// --routing uniform | zipf:S | histogram:PATH.
absl::StatusOr<v1::Routing> ParseRouting(absl::string_view spec) {
  v1::Routing r;
  auto bad = [&] {
    return absl::InvalidArgumentError(
        absl::StrCat("--routing: expected uniform, zipf:S or histogram:PATH, got \"", spec, "\""));
  };
  if (spec == "uniform") {
    r.set_kind("uniform");
  } else if (absl::StartsWith(spec, "zipf:")) {
    double v = 0;
    if (!absl::SimpleAtod(spec.substr(5), &v)) return bad();
    r.set_kind("zipf");
    r.set_zipf_s(v);
  } else if (absl::StartsWith(spec, "histogram:") && spec.size() > 10) {
    r.set_kind("histogram");
    r.set_histogram_path(std::string(spec.substr(10)));
  } else {
    return bad();
  }
  RETURN_IF_ERROR(AsFlagError(serving::ValidateRouting(r), "--routing", "scenario: routing."));
  return r;
}

}  // namespace

absl::StatusOr<v1::Scenario> ScenarioFromFlags(const Invocation& inv) {
  RETURN_IF_ERROR(CheckNamedFlags(inv));
  if (inv.Given("cards_per_server") && absl::GetFlag(FLAGS_cards_per_server) < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--cards-per-server must be >= 1, got ",
                                                   absl::GetFlag(FLAGS_cards_per_server)));
  }
  v1::Scenario s;
  if (inv.Given("scenario")) {
    ASSIGN_OR_RETURN(s, sim::LoadScenarioFile(absl::GetFlag(FLAGS_scenario)));
  } else {
    s = sim::DefaultScenario();
  }
  // Command-specific defaults (calibrate's hc1 / llama-3.1-8b / 1 chip)
  // apply when neither a scenario file nor the flag says otherwise.
  auto apply = [&](const char* flag, bool from_file_set) {
    return inv.Given(flag) || (!inv.Given("scenario") && !from_file_set);
  };
  if (apply("model", false)) s.set_model(absl::GetFlag(FLAGS_model));
  if (apply("chip", false)) s.set_chip(absl::GetFlag(FLAGS_chip));
  if (apply("chips", false)) s.set_chips(absl::GetFlag(FLAGS_chips));
  if (inv.Given("strategy")) s.set_strategy(absl::GetFlag(FLAGS_strategy));
  if (inv.Given("topology")) s.mutable_topology()->set_kind(absl::GetFlag(FLAGS_topology));
  if (inv.Given("cards_per_server")) {
    s.mutable_topology()->set_cards_per_server(absl::GetFlag(FLAGS_cards_per_server));
  }
  if (inv.Given("kv_dtype")) s.set_kv_dtype(absl::GetFlag(FLAGS_kv_dtype));
  const int sources =
      inv.Given("users") + inv.Given("rate") + inv.Given("trace") + inv.Given("offline");
  if (sources > 1) {
    return absl::InvalidArgumentError(
        "give only one of --users (closed loop), --rate (Poisson), --trace and --offline");
  }
  v1::Workload* w = s.mutable_workload();
  if (inv.Given("users")) w->mutable_closed_loop()->set_users(absl::GetFlag(FLAGS_users));
  if (inv.Given("rate")) w->mutable_poisson()->set_rate_per_s(absl::GetFlag(FLAGS_rate));
  if (inv.Given("trace")) w->mutable_trace()->set_path(absl::GetFlag(FLAGS_trace));
  if (inv.Given("offline")) w->mutable_offline()->set_requests(absl::GetFlag(FLAGS_offline));
  if (inv.Given("think_time")) {
    if (!w->has_closed_loop()) {
      return absl::InvalidArgumentError("--think-time applies to closed-loop users only");
    }
    w->mutable_closed_loop()->set_think_time_s(absl::GetFlag(FLAGS_think_time));
  }
  if (inv.Given("ramp_up")) {
    if (!w->has_closed_loop()) {
      return absl::InvalidArgumentError("--ramp-up applies to closed-loop users only");
    }
    w->mutable_closed_loop()->set_ramp_up_s(absl::GetFlag(FLAGS_ramp_up));
  }
  if (inv.Given("input_len")) {
    ASSIGN_OR_RETURN(*w->mutable_input_len(),
                     sim::ParseLengthDist(absl::GetFlag(FLAGS_input_len), "--input-len"));
  }
  if (inv.Given("output_len")) {
    ASSIGN_OR_RETURN(*w->mutable_output_len(),
                     sim::ParseLengthDist(absl::GetFlag(FLAGS_output_len), "--output-len"));
  }
  if (inv.Given("duration")) {
    s.set_duration_s(absl::GetFlag(FLAGS_duration));
    if (!inv.Given("requests")) s.set_max_requests(0);
  }
  if (inv.Given("offline") && !inv.Given("requests") && !inv.Given("duration")) {
    s.set_max_requests(0);  // ApplyDefaults: every offline request
  } else if (apply("requests", false) && (inv.Given("requests") || !inv.Given("duration"))) {
    s.set_max_requests(absl::GetFlag(FLAGS_requests));
  }
  if (inv.Given("warmup")) s.set_warmup_s(absl::GetFlag(FLAGS_warmup));
  if (inv.Given("seed")) s.set_seed(absl::GetFlag(FLAGS_seed));
  if (inv.Given("draft_len"))
    s.mutable_speculative()->set_draft_len(absl::GetFlag(FLAGS_draft_len));
  if (inv.Given("acceptance") || inv.Given("draft_len")) {
    s.mutable_speculative()->set_acceptance_rate(absl::GetFlag(FLAGS_acceptance));
  }
  if (inv.Given("slo_ttft")) s.mutable_slo()->set_ttft_s(absl::GetFlag(FLAGS_slo_ttft));
  if (inv.Given("slo_tpot")) s.mutable_slo()->set_tpot_s(absl::GetFlag(FLAGS_slo_tpot));
  if (inv.Given("tensor_parallel")) s.set_tensor_parallel(absl::GetFlag(FLAGS_tensor_parallel));
  if (inv.Given("routing")) {
    ASSIGN_OR_RETURN(*s.mutable_routing(), ParseRouting(absl::GetFlag(FLAGS_routing)));
  }
  if (inv.Given("balance_experts")) {
    s.mutable_routing()->set_balance(absl::GetFlag(FLAGS_balance_experts));
  }
  if (inv.Given("redundant_experts")) {
    RETURN_IF_ERROR(base::CheckIntRange("", "--redundant-experts",
                                        absl::GetFlag(FLAGS_redundant_experts), 0, 65536));
    s.mutable_routing()->set_redundant_experts(absl::GetFlag(FLAGS_redundant_experts));
  }
  if (inv.Given("kv_policy")) {
    ASSIGN_OR_RETURN(*s.mutable_kv_policy(), ParseKvPolicy(absl::GetFlag(FLAGS_kv_policy)));
  }
  if (inv.Given("prefix_cache"))
    RETURN_IF_ERROR(ParsePrefixCache(absl::GetFlag(FLAGS_prefix_cache), *s.mutable_kv_policy()));
  if (inv.Given("attention_pool")) {
    RETURN_IF_ERROR(
        ParseAttentionPool(absl::GetFlag(FLAGS_attention_pool), *s.mutable_attention_ffn()));
  }
  if (inv.Given("prefill_pool")) {
    RETURN_IF_ERROR(
        ParsePrefillPool(absl::GetFlag(FLAGS_prefill_pool), *s.mutable_disaggregation()));
  }
  // ApplyDefaults would turn "no limit and no duration" into 10 requests.
  if (inv.Given("requests") && s.max_requests() == 0 && s.duration_s() == 0 &&
      !inv.Given("offline")) {
    return absl::InvalidArgumentError(
        "--requests 0 means no limit: give --duration too, or the run never ends");
  }
  RETURN_IF_ERROR(ValidateAsFlags(inv, s));
  return s;
}

}  // namespace etchsim::tools
