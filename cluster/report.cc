#include "cluster/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "cluster/scenario.h"
#include "cost/tco.h"

namespace etchsim::cluster {
namespace {

using Json = nlohmann::ordered_json;

// mean/p50/p90/p99 of a picosecond histogram, in seconds.
Json Seconds(const base::LogHistogram& h) {
  Json j;
  j["mean"] = h.Mean() * 1e-12;
  j["p50"] = static_cast<double>(h.Quantile(0.50)) * 1e-12;
  j["p90"] = static_cast<double>(h.Quantile(0.90)) * 1e-12;
  j["p99"] = static_cast<double>(h.Quantile(0.99)) * 1e-12;
  j["count"] = h.count();
  return j;
}

Json PerUser(const base::LogHistogram& h) {
  Json j;
  j["mean"] = h.Mean() * 1e-3;
  j["p50"] = static_cast<double>(h.Quantile(0.50)) * 1e-3;
  j["p90"] = static_cast<double>(h.Quantile(0.90)) * 1e-3;
  j["p99"] = static_cast<double>(h.Quantile(0.99)) * 1e-3;
  j["count"] = h.count();
  return j;
}

Json WorkloadJson(const v1::Workload& w) {
  Json j;
  switch (w.kind_case()) {
    case v1::Workload::kClosedLoop:
      j["kind"] = "closed_loop";
      j["users"] = w.closed_loop().users();
      j["think_time_s"] = w.closed_loop().think_time_s();
      break;
    case v1::Workload::kPoisson:
      j["kind"] = "poisson";
      j["rate_per_s"] = w.poisson().rate_per_s();
      break;
    case v1::Workload::kTrace:
      j["kind"] = "trace";
      j["path"] = w.trace().path();
      break;
    default:
      break;
  }
  if (w.kind_case() != v1::Workload::kTrace) {
    j["input_len"] = DescribeLengthDist(w.input_len());
    j["output_len"] = DescribeLengthDist(w.output_len());
  }
  return j;
}

}  // namespace

cost::CostInputs CostInputsFor(const v1::Scenario& s, const v1::ChipSpec& chip, int devices,
                               int servers) {
  cost::CostInputs ci;
  ci.devices = devices;
  ci.servers = servers;
  ci.device_price_usd = s.cost().card_price_usd() > 0 ? s.cost().card_price_usd()
                                                      : chip.cost().card_price_usd();
  ci.server_price_usd = s.cost().server_price_usd() > 0 ? s.cost().server_price_usd()
                                                        : chip.cost().server_price_usd();
  ci.amortization_years = s.cost().amortization_years();
  ci.electricity_usd_per_kwh = s.cost().electricity_usd_per_kwh();
  ci.pue = s.cost().pue();
  return ci;
}

double ServerOverheadWatts(const v1::Scenario& s, const v1::ChipSpec& chip) {
  return s.cost().server_overhead_watts() > 0 ? s.cost().server_overhead_watts()
                                              : chip.power().server_overhead_watts();
}

absl::StatusOr<Json> ReportJson(const SimulationResult& r, const AnalyticEstimate& a) {
  const v1::Scenario& s = r.scenario;
  const HostResult& h = r.host;
  const double measured_s = std::max(0.0, (r.end - r.window_start).ToSeconds());
  Json j;
  Json sc;
  sc["model"] = s.model();
  sc["chip"] = s.chip();
  sc["chips"] = s.chips();
  sc["strategy"] = r.plan.strategy();
  sc["topology"] = s.topology().kind();
  sc["workload"] = WorkloadJson(s.workload());
  sc["duration_s"] = s.duration_s();
  sc["max_requests"] = s.max_requests();
  sc["warmup_s"] = s.warmup_s();
  sc["seed"] = s.seed();
  sc["kv_dtype"] = s.kv_dtype().empty() ? r.chip.kv_dtype() : s.kv_dtype();
  sc["prefill_chunk_tokens"] = s.prefill_chunk_tokens();
  sc["speculative_draft_len"] = s.speculative().draft_len();
  sc["speculative_acceptance_rate"] = s.speculative().acceptance_rate();
  j["scenario"] = sc;

  j["model"] = r.model;
  j["chip"] = r.chip.name();
  j["num_chips"] = r.num_devices;
  j["tensor_parallel"] = r.tensor_parallel;
  j["num_stages"] = static_cast<int>(r.stages.size());
  j["num_servers"] = r.num_servers;
  j["strategy"] = r.plan.strategy();
  j["topology"] = s.topology().kind();
  j["hops_per_token"] = r.plan.hops_per_token();
  j["end_s"] = r.end.ToSeconds();
  j["measured_s"] = measured_s;
  j["requests_arrived"] = h.arrivals;
  j["requests_completed"] = h.completed;
  j["requests_in_flight_at_end"] = h.in_flight_at_end;
  j["requests_rejected"] = h.rejected;

  j["tokens_per_s_per_user"] = PerUser(h.tokens_per_s_per_user_milli);
  // Aggregate throughput: the mean over the measured time, percentiles over
  // fixed windows of throughput_window_s (windows with no output count).
  Json ot;
  const double window = s.throughput_window_s();
  ot["mean"] = measured_s > 0 ? h.output_tokens / measured_s : 0.0;
  {
    base::LogHistogram wh;
    const int64_t full = static_cast<int64_t>(std::floor(measured_s / window + 1e-9));
    for (int64_t i = 0; i < full; ++i) {
      const int64_t tokens = i < static_cast<int64_t>(h.window_tokens.size()) ? h.window_tokens[i] : 0;
      wh.Add(static_cast<uint64_t>(std::llround(tokens / window * 1000.0)));
    }
    ot["p50"] = static_cast<double>(wh.Quantile(0.50)) * 1e-3;
    ot["p90"] = static_cast<double>(wh.Quantile(0.90)) * 1e-3;
    ot["p99"] = static_cast<double>(wh.Quantile(0.99)) * 1e-3;
    ot["window_s"] = window;
    ot["windows"] = full;
  }
  j["output_tokens_per_s"] = ot;
  j["output_tokens"] = h.output_tokens;
  j["input_tokens_per_s"] = measured_s > 0 ? h.input_tokens / measured_s : 0.0;
  j["ttft_s"] = Seconds(h.ttft_ps);
  j["tpot_s"] = Seconds(h.tpot_ps);
  j["itl_s"] = Seconds(h.itl_ps);
  j["e2e_s"] = Seconds(h.e2e_ps);
  j["queue_s"] = Seconds(h.queue_ps);
  Json g;
  g["slo_ttft_s"] = s.slo().ttft_s();
  g["slo_tpot_s"] = s.slo().tpot_s();
  g["requests_meeting_slo"] = h.slo_met;
  g["fraction"] = h.completed > 0 ? static_cast<double>(h.slo_met) / h.completed : 0.0;
  g["requests_per_s"] = measured_s > 0 ? h.slo_met / measured_s : 0.0;
  j["goodput"] = g;

  // Energy: each device idles at idle_watts and adds (active - idle) while
  // its bottleneck unit is busy; servers add their overhead throughout.
  const double idle = r.chip.power().idle_watts();
  const double active = r.chip.power().active_watts();
  double chip_energy = 0;
  Json chips = Json::array();
  for (const StageInfo& st : r.stages) {
    const double busy_s = std::min(measured_s, (st.stats.busy_ps + st.stats.expert_busy_ps) * 1e-12);
    const double energy = st.devices * (idle * measured_s + (active - idle) * busy_s);
    chip_energy += energy;
    Json c;
    c["index"] = st.index;
    c["devices"] = st.devices;
    c["holds"] = st.holds;
    c["weight_bytes"] = st.weight_bytes;
    c["capacity_used"] = st.capacity_used;
    c["utilization"] = measured_s > 0 ? st.stats.busy_ps * 1e-12 / measured_s : 0.0;
    c["expert_utilization"] = measured_s > 0 ? st.stats.expert_busy_ps * 1e-12 / measured_s : 0.0;
    c["tokens"] = st.stats.tokens;
    c["kv_bytes_per_token"] = st.kv_bytes_per_token;
    c["kv_capacity_bytes"] = st.kv_capacity_bytes;
    const double kv_mean_tokens =
        measured_s > 0 ? static_cast<double>(h.kv_token_integral) / (measured_s * 1e12) : 0.0;
    const double cap = static_cast<double>(std::max<int64_t>(1, st.kv_capacity_bytes));
    c["kv_occupancy_mean"] = kv_mean_tokens * st.kv_bytes_per_token / cap;
    c["kv_occupancy_peak"] = static_cast<double>(h.kv_tokens_peak) * st.kv_bytes_per_token / cap;
    c["energy_j"] = energy;
    c["average_power_w"] = measured_s > 0 ? energy / measured_s : 0.0;
    chips.push_back(c);
  }
  const double server_w = ServerOverheadWatts(s, r.chip);
  const double it_energy = chip_energy + r.num_servers * server_w * measured_s;
  j["energy_j_per_token"] = h.output_tokens > 0 ? it_energy / h.output_tokens : 0.0;
  j["average_power_w"] = measured_s > 0 ? it_energy / measured_s : 0.0;

  cost::CostInputs ci = CostInputsFor(s, r.chip, r.num_devices, r.num_servers);
  ci.it_power_watts = measured_s > 0 ? it_energy / measured_s : 0.0;
  ci.output_tokens_per_s = measured_s > 0 ? h.output_tokens / measured_s : 0.0;
  ASSIGN_OR_RETURN(cost::CostBreakdown cb, cost::ComputeCost(ci));
  j["usd_per_million_tokens"] = cb.usd_per_million_tokens;
  Json cj;
  cj["device_price_usd"] = ci.device_price_usd;
  cj["server_price_usd"] = ci.server_price_usd;
  cj["capex_usd"] = cb.capex_usd;
  cj["amortization_years"] = ci.amortization_years;
  cj["capex_usd_per_hour"] = cb.capex_usd_per_hour;
  cj["it_power_w"] = ci.it_power_watts;
  cj["pue"] = ci.pue;
  cj["electricity_usd_per_kwh"] = ci.electricity_usd_per_kwh;
  cj["energy_usd_per_hour"] = cb.energy_usd_per_hour;
  cj["total_usd_per_hour"] = cb.total_usd_per_hour;
  j["cost"] = cj;

  Json kv;
  kv["capacity_tokens"] = r.kv_capacity_tokens;
  kv["mean_tokens"] =
      measured_s > 0 ? static_cast<double>(h.kv_token_integral) / (measured_s * 1e12) : 0.0;
  kv["peak_tokens"] = h.kv_tokens_peak;
  j["kv_cache"] = kv;

  Json an;
  an["input_len"] = a.input_len;
  an["output_len"] = a.output_len;
  an["single_user_ttft_s"] = a.single_user_ttft_s;
  an["single_user_tpot_s"] = a.single_user_tpot_s;
  an["single_user_tokens_per_s"] = a.single_user_tokens_per_s;
  an["single_user_e2e_s"] = a.single_user_e2e_s;
  an["max_concurrent_requests"] = a.max_concurrent_requests;
  an["peak_output_tokens_per_s"] = a.peak_output_tokens_per_s;
  an["bottleneck"] = a.bottleneck;
  j["analytic"] = an;

  j["chips"] = chips;
  Json links = Json::array();
  for (const LinkInfo& l : r.links) {
    Json lj;
    lj["name"] = l.name;
    lj["bandwidth_bytes_per_s"] = l.bandwidth_bytes_per_s;
    lj["utilization"] = measured_s > 0 ? l.stats.busy_ps * 1e-12 / measured_s : 0.0;
    lj["bytes"] = l.stats.bytes;
    lj["messages"] = l.stats.messages;
    links.push_back(lj);
  }
  j["links"] = links;
  return j;
}

std::string ReportText(const Json& j) {
  auto f = [](double v, int d) { return base::Fixed(v, d); };
  auto ms = [&](const Json& x) { return f(x.get<double>() * 1e3, 3); };
  const Json& sc = j["scenario"];
  std::string out = absl::StrFormat(
      "%s on %d x %s (%s, %d stage%s, %s topology, %d server%s)\n",
      j["model"].get<std::string>(), j["num_chips"].get<int>(),
      j["chip"].get<std::string>(), j["strategy"].get<std::string>(),
      j["num_stages"].get<int>(), j["num_stages"].get<int>() == 1 ? "" : "s",
      j["topology"].get<std::string>(), j["num_servers"].get<int>(),
      j["num_servers"].get<int>() == 1 ? "" : "s");
  const Json& w = sc["workload"];
  std::string load;
  if (w["kind"] == "closed_loop") {
    load = absl::StrCat(w["users"].get<int>(), " closed-loop user(s)");
  } else if (w["kind"] == "poisson") {
    load = absl::StrCat("Poisson arrivals at ", f(w["rate_per_s"].get<double>(), 2), "/s");
  } else {
    load = absl::StrCat("trace ", w["path"].get<std::string>());
  }
  if (w.contains("input_len")) {
    absl::StrAppend(&load, ", input ", w["input_len"].get<std::string>(), " / output ",
                    w["output_len"].get<std::string>(), " tokens");
  }
  absl::StrAppend(&out, "workload: ", load, "; seed ", sc["seed"].get<uint64_t>(), "\n");
  absl::StrAppend(&out, "measured ", f(j["measured_s"].get<double>(), 4), " s of virtual time: ",
                  j["requests_completed"].get<int64_t>(), " requests completed, ",
                  j["requests_in_flight_at_end"].get<int64_t>(), " in flight, ",
                  j["requests_rejected"].get<int64_t>(), " rejected\n\n");

  base::TextTable t({"metric", "mean", "p50", "p90", "p99"});
  auto row_ms = [&](const std::string& name, const Json& x) {
    t.AddRow({name, ms(x["mean"]), ms(x["p50"]), ms(x["p90"]), ms(x["p99"])});
  };
  row_ms("TTFT (ms)", j["ttft_s"]);
  row_ms("TPOT (ms)", j["tpot_s"]);
  row_ms("ITL (ms)", j["itl_s"]);
  row_ms("end-to-end (ms)", j["e2e_s"]);
  row_ms("queueing for KV (ms)", j["queue_s"]);
  const Json& u = j["tokens_per_s_per_user"];
  t.AddRow({"tokens/s per user", f(u["mean"].get<double>(), 1), f(u["p50"].get<double>(), 1),
            f(u["p90"].get<double>(), 1), f(u["p99"].get<double>(), 1)});
  const Json& o = j["output_tokens_per_s"];
  t.AddRow({absl::StrCat("output tokens/s (", f(o["window_s"].get<double>() * 1e3, 0), " ms windows)"),
            f(o["mean"].get<double>(), 1), f(o["p50"].get<double>(), 1),
            f(o["p90"].get<double>(), 1), f(o["p99"].get<double>(), 1)});
  out += t.Render() + "\n";

  base::TextTable e({"quantity", "value"});
  e.AddRow({"energy per output token", absl::StrCat(f(j["energy_j_per_token"].get<double>(), 4), " J")});
  e.AddRow({"average IT power", absl::StrCat(f(j["average_power_w"].get<double>() / 1e3, 2), " kW")});
  e.AddRow({"cost per million output tokens",
            absl::StrCat("$", f(j["usd_per_million_tokens"].get<double>(), 4))});
  e.AddRow({"  hardware (amortised)",
            absl::StrCat("$", f(j["cost"]["capex_usd_per_hour"].get<double>(), 3), "/h of $",
                         base::WithCommas(std::llround(j["cost"]["capex_usd"].get<double>())))});
  e.AddRow({"  electricity", absl::StrCat("$", f(j["cost"]["energy_usd_per_hour"].get<double>(), 3), "/h")});
  const Json& g = j["goodput"];
  if (g["slo_ttft_s"].get<double>() > 0 || g["slo_tpot_s"].get<double>() > 0) {
    e.AddRow({"goodput (requests meeting SLO)",
              absl::StrCat(f(g["fraction"].get<double>() * 100, 1), "%, ",
                           f(g["requests_per_s"].get<double>(), 2), " req/s")});
  }
  e.AddRow({"KV cache peak / capacity",
            absl::StrCat(base::WithCommas(j["kv_cache"]["peak_tokens"].get<int64_t>()), " / ",
                         base::WithCommas(j["kv_cache"]["capacity_tokens"].get<int64_t>()),
                         " tokens")});
  e.AddRow({"chip-to-chip hops per token", f(j["hops_per_token"].get<double>(), 2)});
  out += e.Render() + "\n";

  const Json& a = j["analytic"];
  base::TextTable at({"analytic fast path", "value"});
  at.AddRow({"single-user TTFT", absl::StrCat(f(a["single_user_ttft_s"].get<double>() * 1e3, 3), " ms")});
  at.AddRow({"single-user TPOT", absl::StrCat(f(a["single_user_tpot_s"].get<double>() * 1e6, 2), " us")});
  at.AddRow({"single-user tokens/s", f(a["single_user_tokens_per_s"].get<double>(), 1)});
  at.AddRow({"peak output tokens/s", f(a["peak_output_tokens_per_s"].get<double>(), 1)});
  at.AddRow({"  limited by", a["bottleneck"].get<std::string>()});
  out += at.Render() + "\n";

  base::TextTable ct({"chip", "holds", "util", "expert util", "tokens", "KV mean", "KV peak", "power W"},
                     {base::TextTable::Align::kRight, base::TextTable::Align::kLeft});
  for (const Json& c : j["chips"]) {
    ct.AddRow({absl::StrCat(c["index"].get<int>(), c["devices"].get<int>() > 1
                                                      ? absl::StrCat(" (x", c["devices"].get<int>(), ")")
                                                      : ""),
               c["holds"].get<std::string>(), absl::StrCat(f(c["utilization"].get<double>() * 100, 1), "%"),
               absl::StrCat(f(c["expert_utilization"].get<double>() * 100, 1), "%"),
               base::WithCommas(c["tokens"].get<int64_t>()),
               absl::StrCat(f(c["kv_occupancy_mean"].get<double>() * 100, 2), "%"),
               absl::StrCat(f(c["kv_occupancy_peak"].get<double>() * 100, 2), "%"),
               f(c["average_power_w"].get<double>(), 1)});
  }
  out += ct.Render() + "\n";

  // The busiest links.
  std::vector<const Json*> links;
  for (const Json& l : j["links"]) links.push_back(&l);
  std::stable_sort(links.begin(), links.end(), [](const Json* x, const Json* y) {
    return (*x)["utilization"].get<double>() > (*y)["utilization"].get<double>();
  });
  base::TextTable lt({"busiest links", "util", "bytes", "messages"},
                     {base::TextTable::Align::kLeft});
  for (size_t i = 0; i < std::min<size_t>(8, links.size()); ++i) {
    const Json& l = *links[i];
    lt.AddRow({l["name"].get<std::string>(), absl::StrCat(f(l["utilization"].get<double>() * 100, 2), "%"),
               base::HumanBytes(static_cast<double>(l["bytes"].get<int64_t>())),
               base::WithCommas(l["messages"].get<int64_t>())});
  }
  out += lt.Render();
  return out;
}

}  // namespace etchsim::cluster
