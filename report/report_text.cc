// The report as text: what ran, latency, energy and cost, faults, pools,
// the analytic estimate, chips and the busiest links.
#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/text_table.h"
#include "report/report.h"

namespace etchsim::report {
namespace {

// Milliseconds with three decimals, the report's latency unit.
std::string Ms(double seconds) { return base::Fixed(seconds * 1e3, 3); }

// A run with two pools reports them under its disaggregation kind.
const google::protobuf::RepeatedPtrField<v1::PoolReport>& PoolsOf(const v1::Report& j) {
  return j.has_disaggregation() ? j.disaggregation().pools() : j.attention_ffn().pools();
}

// What ran on what, under which load.
std::string HeaderText(const v1::Report& j) {
  const auto& pools = PoolsOf(j);
  const v1::ScenarioSummary& sc = j.scenario();
  std::string on = absl::StrCat(j.num_chips(), " x ", j.chip());
  if (pools.size() == 2) {
    on = absl::StrCat(pools[0].devices(), " x ", pools[0].chip(), " ", pools[0].role(), " + ",
                      pools[1].devices(), " x ", pools[1].chip(), " ", pools[1].role());
  }
  std::string out =
      absl::StrFormat("%s on %s (%s, %d stage%s, %s topology, %d server%s)\n", j.model(), on,
                      j.strategy(), j.num_stages(), j.num_stages() == 1 ? "" : "s", j.topology(),
                      j.num_servers(), j.num_servers() == 1 ? "" : "s");
  const v1::WorkloadSummary& w = sc.workload();
  std::string load;
  if (w.kind() == "closed_loop") {
    load = absl::StrCat(w.users(), " closed-loop user(s)");
    if (w.has_ramp_up_s())
      absl::StrAppend(&load, " starting over ", base::Fixed(w.ramp_up_s(), 3), " s");
  } else if (w.kind() == "poisson") {
    load = absl::StrCat("Poisson arrivals at ", base::Fixed(w.rate_per_s(), 2), "/s");
  } else if (w.kind() == "offline") {
    load = absl::StrCat("offline: ", w.requests(), " requests at t = 0");
  } else {
    load = absl::StrCat("trace ", w.path());
  }
  if (w.has_input_len()) {
    absl::StrAppend(&load, ", input ", w.input_len(), " / output ", w.output_len(), " tokens");
  }
  absl::StrAppend(&out, "workload: ", load, "; seed ", sc.seed(), "\n");
  if (sc.has_routing()) absl::StrAppend(&out, "expert routing: ", sc.routing(), "\n");
  absl::StrAppend(&out, "measured ", base::Fixed(j.measured_s(), 4),
                  " s of virtual time: ", j.requests_completed(), " requests completed, ",
                  j.requests_in_flight_at_end(), " in flight, ", j.requests_rejected(),
                  " rejected\n\n");

  return out;
}

std::string LatencyTable(const v1::Report& j) {
  std::string out;
  base::TextTable t({"metric", "mean", "p50", "p90", "p99"});
  auto row_ms = [&](const std::string& name, const v1::Distribution& x) {
    t.AddRow({name, Ms(x.mean()), Ms(x.p50()), Ms(x.p90()), Ms(x.p99())});
  };
  row_ms("TTFT (ms)", j.ttft_s());
  row_ms("TPOT (ms)", j.tpot_s());
  row_ms("ITL (ms)", j.itl_s());
  row_ms("end-to-end (ms)", j.e2e_s());
  row_ms("queueing for KV (ms)", j.queue_s());
  const v1::Distribution& u = j.tokens_per_s_per_user();
  t.AddRow({"tokens/s per user", base::Fixed(u.mean(), 1), base::Fixed(u.p50(), 1),
            base::Fixed(u.p90(), 1), base::Fixed(u.p99(), 1)});
  const v1::Throughput& o = j.output_tokens_per_s();
  t.AddRow({absl::StrCat("output tokens/s (", base::Fixed(o.window_s() * 1e3, 0), " ms windows)"),
            base::Fixed(o.mean(), 1), base::Fixed(o.p50(), 1), base::Fixed(o.p90(), 1),
            base::Fixed(o.p99(), 1)});
  out += t.Render() + "\n";

  return out;
}

// Energy, cost, goodput and the KV cache.
std::string EnergyTable(const v1::Report& j) {
  std::string out;
  base::TextTable e({"quantity", "value"});
  e.AddRow({"energy per output token", absl::StrCat(base::Fixed(j.energy_j_per_token(), 4), " J")});
  e.AddRow({"average IT power", absl::StrCat(base::Fixed(j.average_power_w() / 1e3, 2), " kW")});
  e.AddRow({"cost per million output tokens",
            absl::StrCat("$", base::Fixed(j.usd_per_million_tokens(), 4))});
  e.AddRow({"  hardware (amortised)",
            absl::StrCat("$", base::Fixed(j.cost().capex_usd_per_hour(), 3), "/h of $",
                         base::WithCommas(std::llround(j.cost().capex_usd())))});
  e.AddRow(
      {"  electricity", absl::StrCat("$", base::Fixed(j.cost().energy_usd_per_hour(), 3), "/h")});
  const v1::Goodput& g = j.goodput();
  if (g.slo_ttft_s() > 0 || g.slo_tpot_s() > 0) {
    e.AddRow({"goodput (requests meeting SLO)",
              absl::StrCat(base::Fixed(g.fraction() * 100, 1), "%, ",
                           base::Fixed(g.requests_per_s(), 2), " req/s")});
  }
  e.AddRow({"KV cache peak / capacity",
            absl::StrCat(
                base::WithCommas(j.kv_cache().peak_tokens()), " / ",
                base::WithCommas(j.kv_cache().capacity_tokens()), " tokens",
                j.kv_cache().has_state_bytes_per_sequence()
                    ? absl::StrCat(" (capacity at the full rate beside one sequence's state; plus ",
                                   base::HumanBytes(static_cast<double>(
                                       j.kv_cache().state_bytes_per_sequence())),
                                   " of recurrent state per sequence)")
                : j.kv_cache().windowed_layers() ? " (windowed layers: capacity at the full rate)"
                                                 : "")});
  if (j.kv_cache().has_policy()) {
    e.AddRow({"KV policy", j.kv_cache().policy()});
    if (j.kv_cache().has_preemptions()) {
      e.AddRow({"  requests preempted", base::WithCommas(j.kv_cache().preemptions())});
    }
    if (j.kv_cache().has_prefix_hits()) {
      e.AddRow({"  prefix cache hits", base::WithCommas(j.kv_cache().prefix_hits())});
    }
    if (j.kv_cache().has_swapped_bytes()) {
      e.AddRow({"  swapped (busiest chip)",
                base::HumanBytes(static_cast<double>(j.kv_cache().swapped_bytes()))});
    }
  }
  e.AddRow({"chip-to-chip hops per token", base::Fixed(j.hops_per_token(), 2)});
  out += e.Render() + "\n";

  return out;
}

std::string FaultsText(const v1::Report& j) {
  std::string out;
  if (j.has_faults()) {
    const v1::FaultReport& fr = j.faults();
    absl::StrAppend(&out, "faults: availability ", base::Fixed(fr.availability() * 100, 3), "% (",
                    base::Fixed(fr.downtime_s(), 3), " s down), ", fr.requests_failed(),
                    " failed, ", fr.requests_retried(), " retried, request success ",
                    base::Fixed(fr.request_success() * 100, 2), "%\n");
    base::TextTable ft({"phase", "from s", "to s", "avail", "done", "failed", "retried",
                        "TTFT p99 ms", "TPOT p99 ms", "e2e p99 ms", "tok/s"},
                       {base::TextTable::Align::kLeft});
    for (const v1::PhaseReport& p : fr.phases()) {
      ft.AddRow({p.name(), base::Fixed(p.start_s(), 3), base::Fixed(p.end_s(), 3),
                 absl::StrCat(base::Fixed(p.availability() * 100, 1), "%"),
                 base::WithCommas(p.requests_completed()), base::WithCommas(p.requests_failed()),
                 base::WithCommas(p.requests_retried()), Ms(p.ttft_s().p99()), Ms(p.tpot_s().p99()),
                 Ms(p.e2e_s().p99()), base::Fixed(p.output_tokens_per_s(), 1)});
    }
    out += ft.Render() + "\n";
  }

  return out;
}

// Both pools of a disaggregated run and what passed between them.
std::string PoolsText(const v1::Report& j) {
  const auto& pools = PoolsOf(j);
  std::string out;
  if (pools.size() == 2) {
    base::TextTable pt(
        {"pool", "chip", "devices", "stages", "util mean", "util max", "power kW", "capex $"},
        {base::TextTable::Align::kLeft, base::TextTable::Align::kLeft});
    for (const v1::PoolReport& p : pools) {
      pt.AddRow({p.role(), p.chip(), base::WithCommas(p.devices()), base::WithCommas(p.stages()),
                 absl::StrCat(base::Fixed(p.utilization_mean() * 100, 1), "%"),
                 absl::StrCat(base::Fixed(p.utilization_max() * 100, 1), "%"),
                 base::Fixed(p.average_power_w() / 1e3, 2),
                 base::WithCommas(std::llround(p.capex_usd()))});
    }
    out += pt.Render();
  }
  if (j.has_disaggregation()) {
    const v1::DisaggregationReport& d = j.disaggregation();
    absl::StrAppend(&out, "KV transfers: ", base::WithCommas(d.kv_transfers()), " requests, ",
                    base::HumanBytes(static_cast<double>(d.kv_bytes())), "; first to second token ",
                    Ms(d.first_itl_s().mean()), " ms mean, ", Ms(d.first_itl_s().p99()),
                    " ms p99 (decode steps waited ", Ms(d.kv_wait_s_mean()),
                    " ms for KV at the stages)\n\n");
  }
  if (j.has_attention_ffn()) {
    const v1::AttentionFfnReport& a = j.attention_ffn();
    absl::StrAppend(&out, "attention <-> FFN: ", base::WithCommas(a.layer_steps()),
                    " layer-steps, ", base::HumanBytes(static_cast<double>(a.activation_bytes())),
                    " of activations, ", base::Fixed(a.ffn_round_trip_s_mean() * 1e6, 2),
                    " us per round trip\n\n");
  }

  return out;
}

std::string AnalyticTable(const v1::Report& j) {
  std::string out;
  const v1::AnalyticSummary& a = j.analytic();
  base::TextTable at({"analytic fast path", "value"});
  at.AddRow(
      {"single-user TTFT", absl::StrCat(base::Fixed(a.single_user_ttft_s() * 1e3, 3), " ms")});
  at.AddRow(
      {"single-user TPOT", absl::StrCat(base::Fixed(a.single_user_tpot_s() * 1e6, 2), " us")});
  at.AddRow({"single-user tokens/s", base::Fixed(a.single_user_tokens_per_s(), 1)});
  at.AddRow({"peak output tokens/s", base::Fixed(a.peak_output_tokens_per_s(), 1)});
  at.AddRow({"  limited by", a.bottleneck()});
  out += at.Render() + "\n";

  return out;
}

std::string ChipsTable(const v1::Report& j) {
  std::string out;
  base::TextTable ct(
      {"chip", "holds", "util", "expert util", "tokens", "KV mean", "KV peak", "power W"},
      {base::TextTable::Align::kRight, base::TextTable::Align::kLeft});
  for (const v1::StageReport& c : j.chips()) {
    ct.AddRow({absl::StrCat(c.index(), c.devices() > 1 ? absl::StrCat(" (x", c.devices(), ")") : "",
                            c.has_pool() ? absl::StrCat(" ", c.pool()) : ""),
               c.holds(), absl::StrCat(base::Fixed(c.utilization() * 100, 1), "%"),
               absl::StrCat(base::Fixed(c.expert_utilization() * 100, 1), "%"),
               base::WithCommas(c.tokens()),
               absl::StrCat(base::Fixed(c.kv_occupancy_mean() * 100, 2), "%"),
               absl::StrCat(base::Fixed(c.kv_occupancy_peak() * 100, 2), "%"),
               base::Fixed(c.average_power_w(), 1)});
  }
  out += ct.Render() + "\n";

  return out;
}

std::string LinksTable(const v1::Report& j) {
  std::string out;
  // The busiest links.
  std::vector<const v1::LinkReport*> links;
  for (const v1::LinkReport& l : j.links()) links.push_back(&l);
  std::stable_sort(links.begin(), links.end(),
                   [](const v1::LinkReport* x, const v1::LinkReport* y) {
                     return x->utilization() > y->utilization();
                   });
  base::TextTable lt({"busiest links", "util", "bytes", "messages"},
                     {base::TextTable::Align::kLeft});
  for (size_t i = 0; i < std::min<size_t>(8, links.size()); ++i) {
    const v1::LinkReport& l = *links[i];
    lt.AddRow({l.name(), absl::StrCat(base::Fixed(l.utilization() * 100, 2), "%"),
               base::HumanBytes(static_cast<double>(l.bytes())), base::WithCommas(l.messages())});
  }
  out += lt.Render();

  return out;
}

}  // namespace

std::string ReportText(const v1::Report& j) {
  return HeaderText(j) + LatencyTable(j) + EnergyTable(j) + FaultsText(j) + PoolsText(j) +
         AnalyticTable(j) + ChipsTable(j) + LinksTable(j);
}

}  // namespace etchsim::report
