#include "sim/scenario.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "fabric/topology.h"
#include "model/model_spec.h"
#include "sim/scenario_validate.h"

namespace etchsim::sim {
v1::Scenario DefaultScenario() {
  v1::Scenario s;
  s.set_model("deepseek-r1");
  s.set_chip("hc2");
  s.set_chips(30);
  s.set_strategy("auto");
  fabric::ApplyTopologyDefaults(*s.mutable_topology());
  s.mutable_workload()->mutable_closed_loop()->set_users(1);
  s.mutable_workload()->mutable_input_len()->set_fixed(1024);
  s.mutable_workload()->mutable_output_len()->set_fixed(1024);
  s.set_max_requests(10);
  s.set_seed(1);
  s.set_prefill_chunk_tokens(64);
  s.set_host_overhead_ns(1000);
  s.set_throughput_window_s(0.01);
  v1::CostBlock* c = s.mutable_cost();
  c->set_amortization_years(3);
  c->set_electricity_usd_per_kwh(0.10);
  c->set_pue(1.3);
  return s;
}

void ApplyDefaults(v1::Scenario& s) {
  const v1::Scenario d = DefaultScenario();
  if (s.model().empty()) s.set_model(d.model());
  if (s.chip().empty()) s.set_chip(d.chip());
  if (s.strategy().empty()) s.set_strategy(d.strategy());
  fabric::ApplyTopologyDefaults(*s.mutable_topology());
  v1::Workload* w = s.mutable_workload();
  if (w->kind_case() == v1::Workload::KIND_NOT_SET) {
    *w->mutable_closed_loop() = d.workload().closed_loop();
  }
  if (w->input_len().kind_case() == v1::LengthDist::KIND_NOT_SET) {
    *w->mutable_input_len() = d.workload().input_len();
  }
  if (w->output_len().kind_case() == v1::LengthDist::KIND_NOT_SET) {
    *w->mutable_output_len() = d.workload().output_len();
  }
  // Offline runs every request it holds to completion unless told less.
  if (w->has_offline() && w->offline().requests() > 0 && s.duration_s() == 0 &&
      s.max_requests() == 0) {
    s.set_max_requests(w->offline().requests());
  }
  if (s.duration_s() == 0 && s.max_requests() == 0) s.set_max_requests(d.max_requests());
  if (s.throughput_window_s() == 0) s.set_throughput_window_s(d.throughput_window_s());
  if (s.prefill_chunk_tokens() == 0) s.set_prefill_chunk_tokens(d.prefill_chunk_tokens());
  if (s.host_overhead_ns() == 0) s.set_host_overhead_ns(d.host_overhead_ns());
  if (s.kv_policy().kind() == "paged") {
    v1::KvPolicy* k = s.mutable_kv_policy();
    if (k->block_tokens() == 0) k->set_block_tokens(16);  // vLLM's default block
    if (k->preemption().empty()) k->set_preemption("recompute");
    if (k->preemption() == "swap" && k->swap_gb_per_s() == 0) k->set_swap_gb_per_s(25);
  }
  v1::CostBlock* c = s.mutable_cost();
  if (c->amortization_years() == 0) c->set_amortization_years(d.cost().amortization_years());
  if (c->electricity_usd_per_kwh() == 0) {
    c->set_electricity_usd_per_kwh(d.cost().electricity_usd_per_kwh());
  }
  if (c->pue() == 0) c->set_pue(d.cost().pue());
}

absl::StatusOr<v1::Scenario> ParseScenario(const std::string& text, const std::string& source) {
  return base::ParseTextProto<v1::Scenario>(text, source);
}

absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
  return ParseScenario(text, path);
}

absl::StatusOr<v1::LengthDist> ParseLengthDist(const std::string& spec, const std::string& flag) {
  v1::LengthDist d;
  const std::vector<std::string> parts = absl::StrSplit(spec, ':');
  auto err = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", why, ", got \"", spec,
                     "\" (use N, uniform:MIN:MAX or lognormal:MEDIAN:SIGMA[:MAX])"));
  };
  auto to_int = [&](const std::string& x, int32_t* v) { return absl::SimpleAtoi(x, v); };
  if (parts.size() == 1) {
    int32_t v;
    if (!to_int(parts[0], &v)) return err("not an integer");
    d.set_fixed(v);
  } else if (parts[0] == "uniform" && parts.size() == 3) {
    int32_t a, b;
    if (!to_int(parts[1], &a) || !to_int(parts[2], &b)) return err("bounds must be integers");
    d.mutable_uniform()->set_min(a);
    d.mutable_uniform()->set_max(b);
  } else if (parts[0] == "lognormal" && (parts.size() == 3 || parts.size() == 4)) {
    double median, sigma;
    if (!absl::SimpleAtod(parts[1], &median) || !absl::SimpleAtod(parts[2], &sigma)) {
      return err("median and sigma must be numbers");
    }
    d.mutable_lognormal()->set_median(median);
    d.mutable_lognormal()->set_sigma(sigma);
    if (parts.size() == 4) {
      int32_t cap;
      if (!to_int(parts[3], &cap)) return err("cap must be an integer");
      d.mutable_lognormal()->set_max(cap);
    }
  } else {
    return err("unknown form");
  }
  RETURN_IF_ERROR(ValidateLengthDist(d, flag));
  return d;
}

std::string DescribeLengthDist(const v1::LengthDist& d) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      return absl::StrCat(d.fixed());
    case v1::LengthDist::kUniform:
      return absl::StrCat("uniform:", d.uniform().min(), ":", d.uniform().max());
    case v1::LengthDist::kLognormal:
      return absl::StrCat("lognormal:", d.lognormal().median(), ":", d.lognormal().sigma(),
                          d.lognormal().max() ? absl::StrCat(":", d.lognormal().max()) : "");
    default:
      return "unset";
  }
}

int64_t MaxOf(const v1::LengthDist& d) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      return d.fixed();
    case v1::LengthDist::kUniform:
      return d.uniform().max();
    case v1::LengthDist::kLognormal:
      return d.lognormal().max() > 0 ? d.lognormal().max() : -1;
    default:
      return 0;
  }
}

}  // namespace etchsim::sim
