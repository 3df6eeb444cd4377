#include "cluster/scenario.h"

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

namespace etchsim::cluster {
namespace {

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("scenario: ", field, " ", what));
}

// `Bad` for a distribution: named as a scenario field, or as a flag
// ("--input-len: ...") when the field name starts with "--".
absl::Status BadDist(absl::string_view field, absl::string_view what) {
  if (absl::StartsWith(field, "--")) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": ", what));
  }
  return Bad(field, what);
}

absl::Status CheckDist(const v1::LengthDist& d, absl::string_view field) {
  auto Bad = BadDist;
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      if (d.fixed() < 1) return Bad(field, absl::StrCat("must be >= 1, got ", d.fixed()));
      break;
    case v1::LengthDist::kUniform:
      if (d.uniform().min() < 1 || d.uniform().max() < d.uniform().min()) {
        return Bad(field, absl::StrCat("uniform needs 1 <= min <= max, got [",
                                       d.uniform().min(), ", ", d.uniform().max(), "]"));
      }
      break;
    case v1::LengthDist::kLognormal:
      if (!(d.lognormal().median() >= 1) || !(d.lognormal().sigma() >= 0) ||
          d.lognormal().max() < 0) {
        return Bad(field, "lognormal needs median >= 1, sigma >= 0 and max >= 0");
      }
      break;
    case v1::LengthDist::KIND_NOT_SET:
      return Bad(field, "must be set (fixed, uniform or lognormal)");
  }
  if (MaxOf(d) > model::kMaxContextTokens) {
    return Bad(field, absl::StrCat("can exceed the ", model::kMaxContextTokens,
                                   "-token context limit"));
  }
  return absl::OkStatus();
}

}  // namespace

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
  if (s.duration_s() == 0 && s.max_requests() == 0) s.set_max_requests(d.max_requests());
  if (s.throughput_window_s() == 0) s.set_throughput_window_s(d.throughput_window_s());
  if (s.prefill_chunk_tokens() == 0) s.set_prefill_chunk_tokens(d.prefill_chunk_tokens());
  if (s.host_overhead_ns() == 0) s.set_host_overhead_ns(d.host_overhead_ns());
  v1::CostBlock* c = s.mutable_cost();
  if (c->amortization_years() == 0) c->set_amortization_years(d.cost().amortization_years());
  if (c->electricity_usd_per_kwh() == 0) {
    c->set_electricity_usd_per_kwh(d.cost().electricity_usd_per_kwh());
  }
  if (c->pue() == 0) c->set_pue(d.cost().pue());
}

absl::StatusOr<v1::Scenario> ParseScenario(const std::string& text,
                                           const std::string& source) {
  return base::ParseTextProto<v1::Scenario>(text, source);
}

absl::StatusOr<v1::Scenario> LoadScenarioFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
  return ParseScenario(text, path);
}

// A ramp longer than a virtual day is a unit mistake.
constexpr double kMaxRampUpS = 86400;

absl::Status ValidateScenario(const v1::Scenario& s) {
  if (s.chips() < 0) return Bad("chips", absl::StrCat("must be >= 0, got ", s.chips()));
  if (!(s.duration_s() >= 0) || !std::isfinite(s.duration_s())) {
    return Bad("duration_s", absl::StrCat("must be >= 0, got ", s.duration_s()));
  }
  if (s.max_requests() < 0) {
    return Bad("max_requests", absl::StrCat("must be >= 0, got ", s.max_requests()));
  }
  if (s.duration_s() == 0 && s.max_requests() == 0) {
    return Bad("duration_s", "or max_requests must be > 0, or the run never ends");
  }
  if (s.warmup_s() < 0) return Bad("warmup_s", absl::StrCat("must be >= 0, got ", s.warmup_s()));
  if (s.duration_s() > 0 && s.warmup_s() >= s.duration_s()) {
    return Bad("warmup_s", absl::StrCat("must be < duration_s (", s.duration_s(),
                                        "), got ", s.warmup_s()));
  }
  const v1::Workload& w = s.workload();
  switch (w.kind_case()) {
    case v1::Workload::kClosedLoop:
      if (w.closed_loop().users() < 1) {
        return Bad("workload.closed_loop.users",
                   absl::StrCat("must be >= 1, got ", w.closed_loop().users()));
      }
      if (w.closed_loop().think_time_s() < 0) {
        return Bad("workload.closed_loop.think_time_s", "must be >= 0");
      }
      if (const double r = w.closed_loop().ramp_up_s(); !(r >= 0 && r <= kMaxRampUpS)) {
        return Bad("workload.closed_loop.ramp_up_s",
                   absl::StrCat("must be in [0, ", kMaxRampUpS, "] s, got ", r));
      }
      if (s.duration_s() > 0 && w.closed_loop().ramp_up_s() >= s.duration_s()) {
        return Bad("workload.closed_loop.ramp_up_s",
                   absl::StrCat("must be < duration_s (", s.duration_s(), "), got ",
                                w.closed_loop().ramp_up_s()));
      }
      break;
    case v1::Workload::kPoisson:
      if (!(w.poisson().rate_per_s() > 0)) {
        return Bad("workload.poisson.rate_per_s",
                   absl::StrCat("must be > 0, got ", w.poisson().rate_per_s()));
      }
      break;
    case v1::Workload::kTrace:
      if (w.trace().path().empty()) return Bad("workload.trace.path", "must be set");
      break;
    case v1::Workload::KIND_NOT_SET:
      return Bad("workload", "must set closed_loop, poisson or trace");
  }
  if (w.kind_case() != v1::Workload::kTrace) {
    RETURN_IF_ERROR(CheckDist(w.input_len(), "workload.input_len"));
    RETURN_IF_ERROR(CheckDist(w.output_len(), "workload.output_len"));
  }
  const v1::Speculative& sp = s.speculative();
  if (sp.draft_len() < 0 || sp.draft_len() > 16) {
    return Bad("speculative.draft_len", absl::StrCat("must be in [0, 16], got ", sp.draft_len()));
  }
  if (sp.acceptance_rate() < 0 || sp.acceptance_rate() > 1) {
    return Bad("speculative.acceptance_rate",
               absl::StrCat("must be in [0, 1], got ", sp.acceptance_rate()));
  }
  if (sp.draft_ns_per_token() < 0) return Bad("speculative.draft_ns_per_token", "must be >= 0");
  if (s.slo().ttft_s() < 0 || s.slo().tpot_s() < 0) return Bad("slo", "bounds must be >= 0");
  if (s.prefill_chunk_tokens() < 0) {
    return Bad("prefill_chunk_tokens",
               absl::StrCat("must be >= 0, got ", s.prefill_chunk_tokens()));
  }
  if (s.host_overhead_ns() < 0) return Bad("host_overhead_ns", "must be >= 0");
  if (s.tensor_parallel() < 0) return Bad("tensor_parallel", "must be >= 0");
  if (!(s.throughput_window_s() > 0)) {
    return Bad("throughput_window_s", absl::StrCat("must be > 0, got ", s.throughput_window_s()));
  }
  const v1::CostBlock& c = s.cost();
  for (auto [name, v] : {std::pair{"cost.card_price_usd", c.card_price_usd()},
                         std::pair{"cost.server_price_usd", c.server_price_usd()},
                         std::pair{"cost.server_overhead_watts", c.server_overhead_watts()},
                         std::pair{"cost.electricity_usd_per_kwh", c.electricity_usd_per_kwh()}}) {
    if (v < 0) return Bad(name, absl::StrCat("must be >= 0, got ", v));
  }
  if (!(c.amortization_years() > 0)) return Bad("cost.amortization_years", "must be > 0");
  if (c.pue() < 1) return Bad("cost.pue", absl::StrCat("must be >= 1, got ", c.pue()));
  if (c.cards_per_server() < 0) return Bad("cost.cards_per_server", "must be >= 0");
  return absl::OkStatus();
}

absl::StatusOr<v1::LengthDist> ParseLengthDist(const std::string& spec,
                                               const std::string& flag) {
  v1::LengthDist d;
  const std::vector<std::string> parts = absl::StrSplit(spec, ':');
  auto err = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": ", why, ", got \"", spec,
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
  RETURN_IF_ERROR(CheckDist(d, flag));
  return d;
}

std::string DescribeLengthDist(const v1::LengthDist& d) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed: return absl::StrCat(d.fixed());
    case v1::LengthDist::kUniform:
      return absl::StrCat("uniform:", d.uniform().min(), ":", d.uniform().max());
    case v1::LengthDist::kLognormal:
      return absl::StrCat("lognormal:", d.lognormal().median(), ":", d.lognormal().sigma(),
                          d.lognormal().max() ? absl::StrCat(":", d.lognormal().max()) : "");
    default: return "unset";
  }
}

int64_t MaxOf(const v1::LengthDist& d) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed: return d.fixed();
    case v1::LengthDist::kUniform: return d.uniform().max();
    case v1::LengthDist::kLognormal: return d.lognormal().max() > 0 ? d.lognormal().max() : -1;
    default: return 0;
  }
}

}  // namespace etchsim::cluster
