#include "report/report.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/proto_json.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "cost/energy.h"
#include "cost/tco.h"
#include "serving/kv_policy.h"
#include "serving/routing.h"
#include "sim/scenario.h"

namespace etchsim::report {

using base::SimTime;

using Json = nlohmann::ordered_json;

namespace {

// mean/p50/p90/p99 of a histogram whose values are `unit` of the report's.
void Summarize(const base::LogHistogram& h, double unit, v1::Distribution* d) {
  d->set_mean(h.Mean() * unit);
  d->set_p50(static_cast<double>(h.Quantile(0.50)) * unit);
  d->set_p90(static_cast<double>(h.Quantile(0.90)) * unit);
  d->set_p99(static_cast<double>(h.Quantile(0.99)) * unit);
  d->set_count(static_cast<int64_t>(h.count()));
}

void SummarizeWorkload(const v1::Workload& w, v1::WorkloadSummary* j) {
  switch (w.kind_case()) {
    case v1::Workload::kClosedLoop:
      j->set_kind("closed_loop");
      j->set_users(w.closed_loop().users());
      j->set_think_time_s(w.closed_loop().think_time_s());
      if (w.closed_loop().ramp_up_s() > 0) j->set_ramp_up_s(w.closed_loop().ramp_up_s());
      break;
    case v1::Workload::kPoisson:
      j->set_kind("poisson");
      j->set_rate_per_s(w.poisson().rate_per_s());
      break;
    case v1::Workload::kTrace:
      j->set_kind("trace");
      j->set_path(w.trace().path());
      break;
    case v1::Workload::kOffline:
      j->set_kind("offline");
      j->set_requests(w.offline().requests());
      break;
    default:
      break;
  }
  if (w.kind_case() != v1::Workload::kTrace) {
    j->set_input_len(sim::DescribeLengthDist(w.input_len()));
    j->set_output_len(sim::DescribeLengthDist(w.output_len()));
  }
}

// Availability, failures and latency per phase of a fault scenario.
void AddFaultReport(const sim::SimulationResult& r, double measured_s, v1::Report* j) {
  const serving::FaultPlan& f = *r.faults;
  const serving::HostResult& h = r.host;
  const SimTime from = r.window_start, to = base::Max(r.end, r.window_start);
  v1::FaultReport& fr = *j->mutable_faults();
  const double down_s = f.Downtime(from, to).ToSeconds();
  fr.set_availability(measured_s > 0 ? 1.0 - down_s / measured_s : 1.0);
  fr.set_downtime_s(down_s);
  const int64_t ended = h.completed + h.failed;
  fr.set_request_success(ended > 0 ? static_cast<double>(h.completed) / ended : 0.0);
  fr.set_requests_failed(h.failed);
  fr.set_requests_retried(h.retried);
  const SimTime bounds[4] = {from, base::Max(from, base::Min(f.fault_start(), to)),
                             base::Max(from, base::Min(f.fault_end(), to)), to};
  static constexpr const char* kNames[3] = {"before", "during", "after"};
  for (int p = 0; p < 3 && p < static_cast<int>(h.phases.size()); ++p) {
    if (bounds[p + 1] <= bounds[p]) continue;  // the phase is outside the measured time
    const serving::PhaseResult& ph = h.phases[p];
    const double len_s = (bounds[p + 1] - bounds[p]).ToSeconds();
    v1::PhaseReport& pr = *fr.add_phases();
    pr.set_name(kNames[p]);
    pr.set_start_s(bounds[p].ToSeconds());
    pr.set_end_s(bounds[p + 1].ToSeconds());
    pr.set_availability(1.0 - f.Downtime(bounds[p], bounds[p + 1]).ToSeconds() / len_s);
    pr.set_requests_completed(ph.completed);
    pr.set_requests_failed(ph.failed);
    pr.set_requests_retried(ph.retried);
    pr.set_output_tokens_per_s(ph.output_tokens / len_s);
    Summarize(ph.ttft_ps, 1e-12, pr.mutable_ttft_s());
    Summarize(ph.tpot_ps, 1e-12, pr.mutable_tpot_s());
    Summarize(ph.e2e_ps, 1e-12, pr.mutable_e2e_s());
  }
}

// Stage `st`'s utilisation: busy time over the window, per unit.
double Utilization(const sim::StageInfo& st, double measured_s) {
  return measured_s > 0 ? st.stats.busy_ps * 1e-12 / measured_s / std::max(1, st.units) : 0.0;
}

// The two pools of a run with a second pool: the second first.
void AddPools(const sim::SimulationResult& r, double measured_s, double second_it_j,
              double first_it_j, double second_capex,
              google::protobuf::RepeatedPtrField<v1::PoolReport>* pools) {
  const sim::PoolInfo& two = *r.second_pool;
  for (int pool : {1, 0}) {
    v1::PoolReport& p = *pools->Add();
    p.set_role(pool == 1 ? sim::PoolRoleName(two.role) : sim::FirstPoolRoleName(two.role));
    p.set_chip(pool == 1 ? two.chip.name() : r.chip.name());
    p.set_devices(pool == 1 ? two.num_devices : r.num_devices);
    p.set_tensor_parallel(pool == 1 ? two.tensor_parallel : r.tensor_parallel);
    p.set_servers(pool == 1 ? two.num_servers : r.num_servers);
    p.set_strategy(pool == 1 ? two.plan.strategy() : r.plan.strategy());
    double sum = 0, max = 0;
    int stages = 0;
    for (const sim::StageInfo& st : r.stages) {
      if (st.pool != pool) continue;
      const double u = Utilization(st, measured_s);
      sum += u;
      max = std::max(max, u);
      ++stages;
    }
    p.set_stages(stages);
    p.set_utilization_mean(stages > 0 ? sum / stages : 0.0);
    p.set_utilization_max(max);
    const double it_j = pool == 1 ? second_it_j : first_it_j;
    p.set_average_power_w(measured_s > 0 ? it_j / measured_s : 0.0);
    if (pool == 1) {
      p.set_capex_usd(second_capex);
    } else {
      p.set_capex_usd(
          cost::HardwareUsd(cost::CostInputsFor(r.scenario, r.chip, r.num_devices, r.num_servers)));
    }
  }
}

void AddSecondPoolReport(const sim::SimulationResult& r, double measured_s, double second_it_j,
                         double first_it_j, double second_capex, v1::Report* j) {
  int64_t transfers = 0, bytes = 0, wait_ps = 0;
  for (const sim::StageInfo& st : r.stages) {
    transfers = std::max(transfers, st.stats.transfers);
    bytes += st.stats.transfer_bytes;
    wait_ps += st.stats.transfer_wait_ps;
  }
  const double mean_wait_s = transfers > 0 ? wait_ps * 1e-12 / static_cast<double>(transfers) : 0.0;
  if (r.second_pool->role == sim::PoolRole::kAttention) {
    v1::AttentionFfnReport& a = *j->mutable_attention_ffn();
    AddPools(r, measured_s, second_it_j, first_it_j, second_capex, a.mutable_pools());
    a.set_layer_steps(transfers);
    a.set_activation_bytes(bytes);
    a.set_ffn_round_trip_s_mean(mean_wait_s);
    return;
  }
  v1::DisaggregationReport& d = *j->mutable_disaggregation();
  AddPools(r, measured_s, second_it_j, first_it_j, second_capex, d.mutable_pools());
  d.set_kv_transfers(transfers);
  d.set_kv_bytes(bytes);
  d.set_kv_wait_s_mean(mean_wait_s);
  Summarize(r.host.first_itl_ps, 1e-12, d.mutable_first_itl_s());
}

// The scenario as run (defaults applied), for the report's header.
void SummarizeScenario(const sim::SimulationResult& r, v1::ScenarioSummary& sc) {
  const v1::Scenario& s = r.scenario;
  sc.set_model(s.model());
  sc.set_chip(s.chip());
  sc.set_chips(s.chips());
  sc.set_strategy(r.plan.strategy());
  sc.set_topology(s.topology().kind());
  SummarizeWorkload(s.workload(), sc.mutable_workload());
  sc.set_duration_s(s.duration_s());
  sc.set_max_requests(s.max_requests());
  sc.set_warmup_s(s.warmup_s());
  sc.set_seed(s.seed());
  sc.set_kv_dtype(s.kv_dtype().empty() ? r.chip.kv_dtype() : s.kv_dtype());
  sc.set_prefill_chunk_tokens(s.prefill_chunk_tokens());
  sc.set_speculative_draft_len(s.speculative().draft_len());
  sc.set_speculative_acceptance_rate(s.speculative().acceptance_rate());
  if (const std::string routing = serving::RoutingSummary(s.routing()); !routing.empty()) {
    sc.set_routing(routing);
  }
}

void AddThroughput(const sim::SimulationResult& r, double measured_s, v1::Report& j) {
  const v1::Scenario& s = r.scenario;
  const serving::HostResult& h = r.host;
  // Aggregate throughput: the mean over the measured time, percentiles over
  // fixed windows of throughput_window_s (windows with no output count).
  v1::Throughput& ot = *j.mutable_output_tokens_per_s();
  const double window = s.throughput_window_s();
  ot.set_mean(measured_s > 0 ? h.output_tokens / measured_s : 0.0);
  {
    base::LogHistogram wh;
    const int64_t full = static_cast<int64_t>(std::floor(measured_s / window + 1e-9));
    // Windows with output, then the empty ones at once: the same samples
    // as walking every window, without a step per empty window.
    int64_t listed = 0;
    for (const serving::HostResult::WindowTokens& w : h.window_tokens) {
      if (w.window >= full) break;
      wh.Add(static_cast<uint64_t>(std::llround(w.tokens / window * 1000.0)));
      ++listed;
    }
    wh.Add(0, static_cast<uint64_t>(std::max<int64_t>(0, full - listed)));
    ot.set_p50(static_cast<double>(wh.Quantile(0.50)) * 1e-3);
    ot.set_p90(static_cast<double>(wh.Quantile(0.90)) * 1e-3);
    ot.set_p99(static_cast<double>(wh.Quantile(0.99)) * 1e-3);
    ot.set_window_s(window);
    ot.set_window_count(full);
  }
}

// Device energy of each pool's stages over the measured time.
struct PoolEnergy {
  double first = 0, second = 0;
};

// Per stage: utilisation, KV occupancy and device energy.
PoolEnergy AddStages(const sim::SimulationResult& r, double measured_s, double kv_mean_tokens,
                     v1::Report& j) {
  const serving::HostResult& h = r.host;
  PoolEnergy e;
  for (const sim::StageInfo& st : r.stages) {
    const double busy_s = std::min(
        measured_s, (st.stats.busy_ps + st.stats.expert_busy_ps) * 1e-12 / std::max(1, st.units));
    const v1::ChipSpec& chip = st.pool == 0 ? r.chip : r.second_pool->chip;
    const double energy = cost::DeviceEnergyJoules(chip, st.devices, measured_s, busy_s);
    (st.pool == 0 ? e.first : e.second) += energy;
    v1::StageReport& c = *j.add_chips();
    c.set_index(st.index);
    c.set_devices(st.devices);
    c.set_holds(st.holds);
    c.set_weight_bytes(st.weight_bytes);
    c.set_capacity_used(st.capacity_used);
    c.set_utilization(Utilization(st, measured_s));
    c.set_expert_utilization(measured_s > 0 ? st.stats.expert_busy_ps * 1e-12 / measured_s : 0.0);
    c.set_tokens(st.stats.tokens);
    c.set_kv_bytes_per_token(st.kv_bytes_per_token);
    c.set_kv_capacity_bytes(st.kv_capacity_bytes);
    const double cap = static_cast<double>(std::max<int64_t>(1, st.kv_capacity_bytes));
    double mean_bytes = kv_mean_tokens * static_cast<double>(st.kv_bytes_per_token);
    double peak_bytes = static_cast<double>(h.kv_tokens_peak) * st.kv_bytes_per_token;
    if (st.pool == 1 &&
        r.second_pool->role == sim::PoolRole::kPrefill) {  // the prompts being prefilled
      mean_bytes = measured_s > 0 ? static_cast<double>(h.prefill_kv_token_integral) /
                                        (measured_s * 1e12) * st.kv_bytes_per_token
                                  : 0.0;
      peak_bytes = static_cast<double>(h.prefill_kv_tokens_peak) * st.kv_bytes_per_token;
    }
    for (const serving::HostResult::StageKv& k : h.stage_kv) {
      if (k.stage != st.index) continue;  // windowed layers: the bytes held
      mean_bytes =
          measured_s > 0 ? static_cast<double>(k.byte_integral) / (measured_s * 1e12) : 0.0;
      peak_bytes = static_cast<double>(k.peak_bytes);
    }
    c.set_kv_occupancy_mean(mean_bytes / cap);
    c.set_kv_occupancy_peak(peak_bytes / cap);
    c.set_energy_j(energy);
    c.set_average_power_w(measured_s > 0 ? energy / measured_s : 0.0);
    if (r.second_pool) {
      const sim::PoolRole two = r.second_pool->role;
      c.set_pool(st.pool == 1 ? sim::PoolRoleName(two) : sim::FirstPoolRoleName(two));
    }
  }
  return e;
}

// IT energy (devices and servers) of every pool, and the cluster's cost.
absl::Status AddEnergyAndCost(const sim::SimulationResult& r, double measured_s, PoolEnergy e,
                              v1::Report& j) {
  const v1::Scenario& s = r.scenario;
  const serving::HostResult& h = r.host;
  // A second pool's chip brings its own prices and server power; the
  // scenario's cost overrides describe the first pool.
  const v1::Scenario second_costs = cost::OtherPoolCosts(s);
  const double first_it_energy = cost::ItEnergyJoules(
      e.first, r.num_servers, cost::ServerOverheadWatts(s, r.chip), measured_s);
  double it_energy = first_it_energy;
  double second_capex = 0;
  if (r.second_pool) {
    const double second_it_energy = cost::ItEnergyJoules(
        e.second, r.second_pool->num_servers,
        cost::ServerOverheadWatts(second_costs, r.second_pool->chip), measured_s);
    it_energy += second_it_energy;
    const cost::CostInputs pc = cost::CostInputsFor(
        second_costs, r.second_pool->chip, r.second_pool->num_devices, r.second_pool->num_servers);
    second_capex = cost::HardwareUsd(pc);
    AddSecondPoolReport(r, measured_s, second_it_energy, first_it_energy, second_capex, &j);
  }
  j.set_energy_j_per_token(h.output_tokens > 0 ? it_energy / h.output_tokens : 0.0);
  j.set_average_power_w(measured_s > 0 ? it_energy / measured_s : 0.0);

  cost::CostInputs ci = cost::CostInputsFor(s, r.chip, r.num_devices, r.num_servers);
  ci.other_capex_usd = second_capex;
  ci.it_power_watts = measured_s > 0 ? it_energy / measured_s : 0.0;
  ci.output_tokens_per_s = measured_s > 0 ? h.output_tokens / measured_s : 0.0;
  ASSIGN_OR_RETURN(cost::CostBreakdown cb, cost::ComputeCost(ci));
  j.set_usd_per_million_tokens(cb.usd_per_million_tokens);
  v1::CostSummary& cj = *j.mutable_cost();
  cj.set_device_price_usd(ci.device_price_usd);
  cj.set_server_price_usd(ci.server_price_usd);
  cj.set_capex_usd(cb.capex_usd);
  cj.set_amortization_years(ci.amortization_years);
  cj.set_capex_usd_per_hour(cb.capex_usd_per_hour);
  cj.set_it_power_w(ci.it_power_watts);
  cj.set_pue(ci.pue);
  cj.set_electricity_usd_per_kwh(ci.electricity_usd_per_kwh);
  cj.set_energy_usd_per_hour(cb.energy_usd_per_hour);
  cj.set_total_usd_per_hour(cb.total_usd_per_hour);
  return absl::OkStatus();
}

void AddKvSummary(const sim::SimulationResult& r, double kv_mean_tokens, v1::Report& j) {
  const serving::HostResult& h = r.host;
  v1::KvCacheSummary& kv = *j.mutable_kv_cache();
  kv.set_capacity_tokens(r.kv_capacity_tokens);
  kv.set_mean_tokens(kv_mean_tokens);
  kv.set_peak_tokens(h.kv_tokens_peak);
  // Per-stage pools exist for windowed layers and for recurrent state; the
  // flag says only the first.
  if (!h.stage_kv.empty() && r.windowed_layers) kv.set_windowed_layers(true);
  if (r.state_bytes_per_sequence > 0) kv.set_state_bytes_per_sequence(r.state_bytes_per_sequence);
  const serving::KvPolicy kp = serving::KvPolicyOf(r.scenario.kv_policy());
  if (kp.paged() || kp.prefix_tokens > 0) {
    std::string policy =
        kp.paged()
            ? absl::StrCat("paged, ", kp.block_tokens, "-token blocks, ",
                           kp.swaps() ? absl::StrCat("swap at ", kp.swap_gb_per_s, " GB/s per chip")
                                      : "recompute")
            : "reserve";
    if (kp.prefix_tokens > 0) {
      absl::StrAppend(&policy, "; cached prefix of ", base::WithCommas(kp.prefix_tokens),
                      " tokens, hit rate ", kp.prefix_hit_rate);
      kv.set_prefix_hits(h.prefix_hits);
    }
    kv.set_policy(policy);
  }
  if (kp.paged()) {
    kv.set_preemptions(h.preemptions);
    if (kp.swaps()) kv.set_swapped_bytes(h.swapped_bytes);
  }
}

void AddAnalytic(const AnalyticEstimate& a, v1::Report& j) {
  v1::AnalyticSummary& an = *j.mutable_analytic();
  an.set_input_len(a.input_len);
  an.set_output_len(a.output_len);
  an.set_single_user_ttft_s(a.single_user_ttft_s);
  an.set_single_user_tpot_s(a.single_user_tpot_s);
  an.set_single_user_tokens_per_s(a.single_user_tokens_per_s);
  an.set_single_user_e2e_s(a.single_user_e2e_s);
  an.set_max_concurrent_requests(a.max_concurrent_requests);
  an.set_peak_output_tokens_per_s(a.peak_output_tokens_per_s);
  an.set_bottleneck(a.bottleneck);
}

void AddLinks(const sim::SimulationResult& r, double measured_s, v1::Report& j) {
  for (const sim::LinkInfo& l : r.links) {
    v1::LinkReport& lj = *j.add_links();
    lj.set_name(l.name);
    lj.set_bandwidth_bytes_per_s(l.bandwidth_bytes_per_s);
    lj.set_utilization(measured_s > 0 ? l.stats.busy_ps * 1e-12 / measured_s : 0.0);
    lj.set_bytes(l.stats.bytes);
    lj.set_messages(l.stats.messages);
  }
}

}  // namespace

cost::CostInputs HardwareCostInputs(const sim::SimulationResult& r, const v1::Scenario& priced,
                                    double busy) {
  cost::CostInputs ci = cost::CostInputsFor(priced, r.chip, r.num_devices, r.num_servers);
  ci.it_power_watts =
      cost::ItEnergyJoules(cost::DeviceEnergyJoules(r.chip, r.num_devices, 1.0, busy),
                           r.num_servers, cost::ServerOverheadWatts(priced, r.chip), 1.0);
  if (r.second_pool) {
    const sim::PoolInfo& p = *r.second_pool;
    const v1::Scenario own = cost::OtherPoolCosts(priced);
    ci.other_capex_usd =
        cost::HardwareUsd(cost::CostInputsFor(own, p.chip, p.num_devices, p.num_servers));
    ci.it_power_watts +=
        cost::ItEnergyJoules(cost::DeviceEnergyJoules(p.chip, p.num_devices, 1.0, busy),
                             p.num_servers, cost::ServerOverheadWatts(own, p.chip), 1.0);
  }
  return ci;
}

absl::StatusOr<v1::Report> BuildReport(const sim::SimulationResult& r, const AnalyticEstimate& a) {
  const v1::Scenario& s = r.scenario;
  const serving::HostResult& h = r.host;
  const double measured_s = std::max(0.0, (r.end - r.window_start).ToSeconds());
  v1::Report j;
  SummarizeScenario(r, *j.mutable_scenario());

  j.set_model(r.model);
  j.set_chip(r.chip.name());
  j.set_num_chips(r.all_devices());
  j.set_tensor_parallel(r.tensor_parallel);
  j.set_num_stages(static_cast<int>(r.stages.size()));
  j.set_num_servers(r.num_servers + (r.second_pool ? r.second_pool->num_servers : 0));
  j.set_strategy(r.plan.strategy());
  j.set_topology(s.topology().kind());
  j.set_hops_per_token(r.plan.hops_per_token());
  j.set_end_s(r.end.ToSeconds());
  j.set_measured_s(measured_s);
  j.set_requests_arrived(h.arrivals);
  j.set_requests_completed(h.completed);
  j.set_requests_in_flight_at_end(h.in_flight_at_end);
  j.set_requests_rejected(h.rejected);

  Summarize(h.tokens_per_s_per_user_milli, 1e-3, j.mutable_tokens_per_s_per_user());
  AddThroughput(r, measured_s, j);
  j.set_output_tokens(h.output_tokens);
  j.set_input_tokens_per_s(measured_s > 0 ? h.input_tokens / measured_s : 0.0);
  Summarize(h.ttft_ps, 1e-12, j.mutable_ttft_s());
  Summarize(h.tpot_ps, 1e-12, j.mutable_tpot_s());
  Summarize(h.itl_ps, 1e-12, j.mutable_itl_s());
  Summarize(h.e2e_ps, 1e-12, j.mutable_e2e_s());
  Summarize(h.queue_ps, 1e-12, j.mutable_queue_s());
  v1::Goodput& g = *j.mutable_goodput();
  g.set_slo_ttft_s(s.slo().ttft_s());
  g.set_slo_tpot_s(s.slo().tpot_s());
  g.set_requests_meeting_slo(h.slo_met);
  g.set_fraction(h.completed > 0 ? static_cast<double>(h.slo_met) / h.completed : 0.0);
  g.set_requests_per_s(measured_s > 0 ? h.slo_met / measured_s : 0.0);

  const double kv_mean_tokens =
      measured_s > 0 ? static_cast<double>(h.kv_token_integral) / (measured_s * 1e12) : 0.0;
  RETURN_IF_ERROR(AddEnergyAndCost(r, measured_s, AddStages(r, measured_s, kv_mean_tokens, j), j));
  AddKvSummary(r, kv_mean_tokens, j);
  AddAnalytic(a, j);
  if (r.faults) AddFaultReport(r, measured_s, &j);
  AddLinks(r, measured_s, j);
  return j;
}

Json ReportJson(const v1::Report& report) { return base::ProtoToJson(report); }

std::string ReportJsonText(const v1::Report& report) { return ReportJson(report).dump(2) + "\n"; }

}  // namespace etchsim::report
