#include "sim/scenario_validate.h"

#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "model/model_spec.h"
#include "serving/faults.h"
#include "serving/routing.h"
#include "sim/scenario.h"

namespace etchsim::sim {
namespace {

using base::kMaxVirtualSeconds;

absl::Status Bad(absl::string_view field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("scenario: ", field, " ", what));
}

// Scenario fields are reported as "scenario: <field> ...", flags as
// "--input-len ...".
std::string Where(absl::string_view field) {
  return absl::StartsWith(field, "--") ? "" : "scenario";
}

absl::Status Range(absl::string_view field, double v, double lo, double hi) {
  return base::CheckRange(Where(field), field, v, lo, hi);
}
absl::Status IntRange(absl::string_view field, int64_t v, int64_t lo, int64_t hi) {
  return base::CheckIntRange(Where(field), field, v, lo, hi);
}

absl::Status ValidateWorkload(const v1::Scenario& s) {
  const v1::Workload& w = s.workload();
  const double duration = s.duration_s();
  switch (w.kind_case()) {
    case v1::Workload::kClosedLoop: {
      const auto& c = w.closed_loop();
      RETURN_IF_ERROR(IntRange("workload.closed_loop.users", c.users(), 1, serving::kMaxUsers));
      // An exponential gap is at most ~37x its mean (53-bit uniforms).
      RETURN_IF_ERROR(Range("workload.closed_loop.think_time_s", c.think_time_s(), 0, 1e4));
      // A ramp longer than a virtual day is a unit mistake.
      constexpr double kMaxRampUpS = 86400;
      if (const double r = c.ramp_up_s(); !(r >= 0 && r <= kMaxRampUpS)) {
        return Bad("workload.closed_loop.ramp_up_s",
                   absl::StrCat("must be in [0, ", kMaxRampUpS, "] s, got ", r));
      }
      if (duration > 0 && c.ramp_up_s() >= duration) {
        return Bad("workload.closed_loop.ramp_up_s",
                   absl::StrCat("must be < duration_s (", duration, "), got ", c.ramp_up_s()));
      }
      if (duration == 0) {
        const double rounds = std::ceil(static_cast<double>(s.max_requests()) / c.users());
        if (rounds * c.think_time_s() > kMaxVirtualSeconds) {
          return Bad("workload.closed_loop.think_time_s",
                     absl::StrCat("with max_requests ", s.max_requests(), " and ", c.users(),
                                  " users, the run would think for ", rounds * c.think_time_s(),
                                  " virtual seconds, more than the ", kMaxVirtualSeconds,
                                  " the clock allows; set duration_s"));
        }
      }
      break;
    }
    case v1::Workload::kPoisson: {
      const double rate = w.poisson().rate_per_s();
      RETURN_IF_ERROR(Range("workload.poisson.rate_per_s", rate, 1e-3, 1e6));
      const double arrivals = duration > 0 ? rate * duration : 0;
      if (arrivals > static_cast<double>(serving::kMaxRequests)) {
        return Bad(
            "workload.poisson.rate_per_s",
            absl::StrCat("x duration_s gives ", arrivals, " expected arrivals, more than the ",
                         serving::kMaxRequests, " a run may hold"));
      }
      if (duration == 0 && static_cast<double>(s.max_requests()) / rate > kMaxVirtualSeconds) {
        return Bad(
            "workload.poisson.rate_per_s",
            absl::StrCat("is too low for max_requests ", s.max_requests(), ": arrivals would span ",
                         s.max_requests() / rate, " virtual seconds, more than the ",
                         kMaxVirtualSeconds, " the clock allows"));
      }
      break;
    }
    case v1::Workload::kTrace:
      if (w.trace().path().empty()) return Bad("workload.trace.path", "must be set");
      RETURN_IF_ERROR(base::CheckUtf8("scenario", "workload.trace.path", w.trace().path()));
      break;
    case v1::Workload::kOffline:
      RETURN_IF_ERROR(
          IntRange("workload.offline.requests", w.offline().requests(), 1, serving::kMaxRequests));
      break;
    case v1::Workload::KIND_NOT_SET:
      return Bad("workload", "must set closed_loop, poisson, trace or offline");
  }
  if (w.kind_case() != v1::Workload::kTrace) {
    RETURN_IF_ERROR(ValidateLengthDist(w.input_len(), "workload.input_len"));
    RETURN_IF_ERROR(ValidateLengthDist(w.output_len(), "workload.output_len"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateLengthDist(const v1::LengthDist& d, absl::string_view field) {
  auto Bad = [&](absl::string_view what) {
    return absl::InvalidArgumentError(absl::StartsWith(field, "--")
                                          ? absl::StrCat(field, ": ", what)
                                          : absl::StrCat("scenario: ", field, " ", what));
  };
  const int64_t max_ctx = model::kMaxContextTokens;
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      if (d.fixed() < 1) return Bad(absl::StrCat("must be >= 1, got ", d.fixed()));
      break;
    case v1::LengthDist::kUniform:
      if (d.uniform().min() < 1 || d.uniform().max() < d.uniform().min()) {
        return Bad(absl::StrCat("uniform needs 1 <= min <= max, got [", d.uniform().min(), ", ",
                                d.uniform().max(), "]"));
      }
      break;
    case v1::LengthDist::kLognormal:
      if (!(d.lognormal().median() >= 1 && d.lognormal().median() <= max_ctx) ||
          !(d.lognormal().sigma() >= 0 && d.lognormal().sigma() <= 10) || d.lognormal().max() < 0) {
        return Bad(absl::StrCat("lognormal needs median in [1, ", max_ctx,
                                "], sigma in [0, 10] and max >= 0, got median ",
                                d.lognormal().median(), ", sigma ", d.lognormal().sigma(), ", max ",
                                d.lognormal().max()));
      }
      break;
    case v1::LengthDist::KIND_NOT_SET:
      return Bad("must be set (fixed, uniform or lognormal)");
  }
  if (MaxOf(d) > max_ctx) {
    return Bad(absl::StrCat("can exceed the ", max_ctx, "-token context limit"));
  }
  return absl::OkStatus();
}

absl::Status ValidateScenario(const v1::Scenario& s) {
  for (auto [name, v] : {std::pair{"model", &s.model()}, std::pair{"chip", &s.chip()},
                         std::pair{"strategy", &s.strategy()}, std::pair{"kv_dtype", &s.kv_dtype()},
                         std::pair{"topology.kind", &s.topology().kind()},
                         std::pair{"topology.chip_link", &s.topology().chip_link()},
                         std::pair{"topology.card_link", &s.topology().card_link()},
                         std::pair{"topology.server_link", &s.topology().server_link()}}) {
    RETURN_IF_ERROR(base::CheckUtf8("scenario", name, *v));
  }
  RETURN_IF_ERROR(IntRange("chips", s.chips(), 0, serving::kMaxChips));
  RETURN_IF_ERROR(IntRange("topology.cards_per_server", s.topology().cards_per_server(), 0,
                           serving::kMaxChips));
  RETURN_IF_ERROR(Range("duration_s", s.duration_s(), 0, kMaxVirtualSeconds));
  RETURN_IF_ERROR(IntRange("max_requests", s.max_requests(), 0, serving::kMaxRequests));
  if (s.duration_s() == 0 && s.max_requests() == 0) {
    return Bad("duration_s", "or max_requests must be > 0, or the run never ends");
  }
  RETURN_IF_ERROR(Range("warmup_s", s.warmup_s(), 0, kMaxVirtualSeconds));
  if (s.duration_s() > 0 && s.warmup_s() >= s.duration_s()) {
    return Bad("warmup_s",
               absl::StrCat("must be < duration_s (", s.duration_s(), "), got ", s.warmup_s()));
  }
  RETURN_IF_ERROR(ValidateWorkload(s));
  const v1::Speculative& sp = s.speculative();
  RETURN_IF_ERROR(IntRange("speculative.draft_len", sp.draft_len(), 0, 16));
  RETURN_IF_ERROR(Range("speculative.acceptance_rate", sp.acceptance_rate(), 0, 1));
  RETURN_IF_ERROR(Range("speculative.draft_ns_per_token", sp.draft_ns_per_token(), 0, 1e9));
  RETURN_IF_ERROR(Range("slo.ttft_s", s.slo().ttft_s(), 0, kMaxVirtualSeconds));
  RETURN_IF_ERROR(Range("slo.tpot_s", s.slo().tpot_s(), 0, kMaxVirtualSeconds));
  RETURN_IF_ERROR(
      IntRange("prefill_chunk_tokens", s.prefill_chunk_tokens(), 0, model::kMaxContextTokens));
  RETURN_IF_ERROR(Range("host_overhead_ns", s.host_overhead_ns(), 0, 1e9));
  RETURN_IF_ERROR(IntRange("tensor_parallel", s.tensor_parallel(), 0, 1024));
  // At least 1 us, so a window is a whole number of picoseconds > 0.
  RETURN_IF_ERROR(Range("throughput_window_s", s.throughput_window_s(), 1e-6, kMaxVirtualSeconds));
  if (s.duration_s() / s.throughput_window_s() > serving::kMaxThroughputWindows) {
    return Bad(
        "throughput_window_s",
        absl::StrCat("gives ", s.duration_s() / s.throughput_window_s(),
                     " windows over duration_s, more than ", serving::kMaxThroughputWindows));
  }
  const v1::CostBlock& c = s.cost();
  RETURN_IF_ERROR(Range("cost.card_price_usd", c.card_price_usd(), 0, 1e9));
  RETURN_IF_ERROR(Range("cost.server_price_usd", c.server_price_usd(), 0, 1e10));
  RETURN_IF_ERROR(Range("cost.server_overhead_watts", c.server_overhead_watts(), 0, 1e7));
  RETURN_IF_ERROR(Range("cost.electricity_usd_per_kwh", c.electricity_usd_per_kwh(), 0, 100));
  if (!(c.amortization_years() > 0)) return Bad("cost.amortization_years", "must be > 0");
  RETURN_IF_ERROR(Range("cost.amortization_years", c.amortization_years(), 0, 100));
  RETURN_IF_ERROR(Range("cost.pue", c.pue(), 1, 10));
  RETURN_IF_ERROR(IntRange("cost.cards_per_server", c.cards_per_server(), 0, 1024));
  RETURN_IF_ERROR(serving::ValidateFaults(s.faults(), s.duration_s()));
  RETURN_IF_ERROR(serving::ValidateRouting(s.routing()));
  RETURN_IF_ERROR(ValidateKvPolicy(s.kv_policy()));
  RETURN_IF_ERROR(ValidateDisaggregation(s));
  RETURN_IF_ERROR(ValidateAttentionFfn(s));
  return absl::OkStatus();
}

absl::Status ValidateAttentionFfn(const v1::Scenario& s) {
  const v1::AttentionFfn& a = s.attention_ffn();
  RETURN_IF_ERROR(base::CheckUtf8("scenario", "attention_ffn.attention_chip", a.attention_chip()));
  RETURN_IF_ERROR(IntRange("attention_ffn.attention_chips", a.attention_chips(), 0, 1024));
  if (a.attention_chip().empty()) {
    if (a.attention_chips() != 0) {
      return Bad("attention_ffn.attention_chip",
                 "is empty, but attention_chips is set (name the attention group's chip)");
    }
    return absl::OkStatus();
  }
  if (!s.disaggregation().prefill_chip().empty()) {
    return Bad("attention_ffn", "cannot be combined with disaggregation (one second pool per run)");
  }
  if (serving::HasFaults(s.faults())) {
    return Bad("attention_ffn", "cannot be combined with faults (not modelled together)");
  }
  if (s.kv_policy().kind() == "paged" || s.kv_policy().prefix_tokens() > 0) {
    return Bad("attention_ffn",
               "cannot be combined with paged KV or a cached prefix (kv_policy; not modelled "
               "together)");
  }
  if (s.routing().redundant_experts() > 0 || s.routing().balance() ||
      (!s.routing().kind().empty() && s.routing().kind() != "uniform")) {
    return Bad("attention_ffn",
               "cannot be combined with routing (a skewed kind, balance or redundant_experts): "
               "each FFN chip holds all of a layer's experts, so routing has no effect");
  }
  if (s.tensor_parallel() != 0) {
    return Bad("attention_ffn",
               "sets the attention group's size with attention_chips, not "
               "tensor_parallel");
  }
  return absl::OkStatus();
}

absl::Status ValidateDisaggregation(const v1::Scenario& s) {
  const v1::Disaggregation& d = s.disaggregation();
  RETURN_IF_ERROR(base::CheckUtf8("scenario", "disaggregation.prefill_chip", d.prefill_chip()));
  RETURN_IF_ERROR(
      base::CheckUtf8("scenario", "disaggregation.prefill_strategy", d.prefill_strategy()));
  RETURN_IF_ERROR(
      IntRange("disaggregation.prefill_chips", d.prefill_chips(), 0, serving::kMaxChips));
  RETURN_IF_ERROR(
      IntRange("disaggregation.prefill_tensor_parallel", d.prefill_tensor_parallel(), 0, 1024));
  if (d.prefill_chip().empty()) {
    if (d.prefill_chips() != 0 || !d.prefill_strategy().empty() ||
        d.prefill_tensor_parallel() != 0) {
      return Bad("disaggregation.prefill_chip",
                 "is empty, but other disaggregation fields are set (name the prefill pool's "
                 "chip)");
    }
    return absl::OkStatus();
  }
  if (int64_t{s.chips()} + d.prefill_chips() > serving::kMaxChips) {
    return Bad("disaggregation.prefill_chips",
               absl::StrCat("plus chips (", s.chips(), ") must be at most ", serving::kMaxChips,
                            ", got ", int64_t{s.chips()} + d.prefill_chips()));
  }
  // What a disaggregated run does not model yet: each is a named refusal.
  if (serving::HasFaults(s.faults())) {
    return Bad("disaggregation", "cannot be combined with faults (not modelled together)");
  }
  if (s.kv_policy().kind() == "paged" || s.kv_policy().prefix_tokens() > 0) {
    return Bad("disaggregation",
               "cannot be combined with paged KV or a cached prefix (kv_policy; not modelled "
               "together: the decode pool reserves each request whole)");
  }
  if (s.routing().redundant_experts() > 0) {
    return Bad("disaggregation",
               "cannot be combined with routing.redundant_experts (not modelled together)");
  }
  return absl::OkStatus();
}

absl::Status ValidateKvPolicy(const v1::KvPolicy& k) {
  RETURN_IF_ERROR(base::CheckUtf8("scenario", "kv_policy.kind", k.kind()));
  RETURN_IF_ERROR(base::CheckUtf8("scenario", "kv_policy.preemption", k.preemption()));
  if (k.kind() != "" && k.kind() != "reserve" && k.kind() != "paged") {
    return Bad("kv_policy.kind", absl::StrCat("must be reserve or paged, got \"", k.kind(), "\""));
  }
  const bool paged = k.kind() == "paged";
  if (!paged && (k.block_tokens() != 0 || !k.preemption().empty() || k.swap_gb_per_s() != 0)) {
    return Bad("kv_policy.kind",
               "must be paged for block_tokens, preemption or swap_gb_per_s to apply");
  }
  RETURN_IF_ERROR(IntRange("kv_policy.block_tokens", k.block_tokens(), 0, 65536));
  if (k.preemption() != "" && k.preemption() != "recompute" && k.preemption() != "swap") {
    return Bad("kv_policy.preemption",
               absl::StrCat("must be recompute or swap, got \"", k.preemption(), "\""));
  }
  RETURN_IF_ERROR(Range("kv_policy.swap_gb_per_s", k.swap_gb_per_s(), 0, 1e5));
  if (k.swap_gb_per_s() != 0 && k.swap_gb_per_s() < 1e-3) {
    return Bad("kv_policy.swap_gb_per_s",
               absl::StrCat("must be 0 (default) or at least 0.001, got ", k.swap_gb_per_s()));
  }
  RETURN_IF_ERROR(
      IntRange("kv_policy.prefix_tokens", k.prefix_tokens(), 0, model::kMaxContextTokens));
  RETURN_IF_ERROR(Range("kv_policy.prefix_hit_rate", k.prefix_hit_rate(), 0, 1));
  if ((k.prefix_tokens() > 0) != (k.prefix_hit_rate() > 0)) {
    return Bad("kv_policy.prefix_tokens", "and prefix_hit_rate must both be > 0 or both 0");
  }
  if (k.swap_gb_per_s() != 0 && k.preemption() != "swap") {
    return Bad("kv_policy.swap_gb_per_s", "applies only with preemption: swap");
  }
  return absl::OkStatus();
}

}  // namespace etchsim::sim
