#include "rpc/metrics.h"

#include <cmath>
#include <string>

#include "absl/strings/str_cat.h"
#include "rpc/report_metrics.h"

namespace etchsim::rpc {
namespace {

prometheus::Family<prometheus::Counter>& C(prometheus::Registry& r, const std::string& name,
                                           const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Gauge>& G(prometheus::Registry& r, const std::string& name,
                                         const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r);
}
prometheus::Family<prometheus::Histogram>& H(prometheus::Registry& r, const std::string& name,
                                             const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(r);
}

// The bucket bounds in picoseconds, for base::LogHistogram::CumulativeCounts.
const std::vector<uint64_t>& LatencyBucketsPs() {
  static const std::vector<uint64_t> ps = [] {
    std::vector<uint64_t> v;
    for (double s : LatencyBucketsSeconds())
      v.push_back(static_cast<uint64_t>(std::llround(s * 1e12)));
    return v;
  }();
  return ps;
}

}  // namespace

const std::vector<double>& LatencyBucketsSeconds() {
  static const std::vector<double> b = [] {
    // Parsed from decimal text so every bound is the double nearest its
    // decimal value ("le" labels read 0.0007, not 0.0007000000000000001).
    std::vector<double> v;
    for (int exp = -5; exp <= 2; ++exp) {
      for (const char* m : {"1", "1.5", "2", "3", "5", "7"}) {
        v.push_back(std::stod(absl::StrCat(m, "e", exp)));
      }
    }
    return v;
  }();
  return b;
}

ProcessMetrics::ProcessMetrics(prometheus::Registry& r, std::string role)
    : registry_(r),
      role_(std::move(role)),
      labels_{{"role", role_}},
      events_f_(C(r, "etchsim_events_processed_total",
                  "Simulation events processed by this process in this run")),
      tokens_f_(C(r, "etchsim_tokens_processed_total",
                  "Tokens that entered this chip's stage (prompt and decode)")),
      output_f_(C(r, "etchsim_output_tokens_total",
                  "Output tokens delivered to users (coordinator: the host)")),
      busy_f_(C(r, "etchsim_busy_seconds_total",
                "Virtual seconds this chip's bottleneck unit was busy")),
      completed_f_(C(r, "etchsim_requests_completed_total",
                     "Measured requests completed (coordinator: the host)")),
      arrived_f_(C(r, "etchsim_requests_arrived_total", "Requests that arrived (coordinator)")),
      rejected_f_(C(r, "etchsim_requests_rejected_total",
                    "Requests that can never fit the KV cache, refused (coordinator)")),
      slo_f_(C(r, "etchsim_requests_meeting_slo_total",
               "Measured requests completed within the scenario's TTFT and TPOT bounds "
               "(coordinator)")),
      sent_f_(C(r, "etchsim_batches_sent_total",
                "Event batches and null messages sent to peer processes")),
      received_f_(C(r, "etchsim_batches_received_total",
                    "Event batches and null messages received from peer processes")),
      errors_f_(C(r, "etchsim_rpc_errors_total", "Failed RPCs and broken streams")),
      link_f_(C(r, "etchsim_link_bytes_total",
                "Bytes sent over one direction of a fabric link (counted by the process owning "
                "its queue; from/to name the link's ends)")),
      link_bw_f_(G(r, "etchsim_link_bandwidth_bytes_per_second",
                   "Bandwidth of one direction of a fabric link")),
      queue_f_(G(r, "etchsim_queue_depth", "Pending simulation events in this process")),
      vt_f_(G(r, "etchsim_virtual_time_seconds",
              "Virtual time this process has reached (lower bound on its next event)")),
      vt_total_f_(C(r, "etchsim_virtual_seconds_total",
                    "Virtual seconds the run has covered (coordinator; restarts with every run, "
                    "so increase() over a window spanning two runs stays right)")),
      power_f_(G(r, "etchsim_cluster_power_watts",
                 "IT power of the simulated cluster (devices and server overhead) with every "
                 "device active (state=active) or idle (state=idle); coordinator")),
      lag_f_(G(r, "etchsim_virtual_time_lag_seconds",
               "Wall seconds since the run started minus virtual seconds reached")),
      kv_f_(G(r, "etchsim_kv_occupancy_tokens",
              "Context tokens held in the cluster's KV caches (coordinator)")),
      kv_cap_f_(G(r, "etchsim_kv_capacity_tokens",
                  "Context tokens the cluster's KV caches can hold (coordinator)")),
      in_flight_f_(G(r, "etchsim_requests_in_flight",
                     "Requests admitted and not yet complete (coordinator)")),
      users_f_(G(r, "etchsim_workload_users",
                 "Closed-loop users of the running scenario (coordinator; 0 = open loop)")),
      cost_f_(G(r, "etchsim_cluster_cost_usd_per_hour",
                "Hardware amortisation plus energy of the simulated cluster with every device "
                "at active power, dollars per virtual hour (coordinator)")),
      cost_idle_f_(G(r, "etchsim_cluster_idle_cost_usd_per_hour",
                     "The same with every device idle (coordinator); the report's cost lies "
                     "between, in proportion to device utilisation")),
      up_f_(G(r, "etchsim_run_active", "1 while a run is loaded on this process")),
      info_f_(G(r, "etchsim_run_info",
                "1, labelled with the identity of the current or last run (coordinator)")),
      ttft_f_(H(r, "etchsim_ttft_seconds",
                "Time to first token of measured requests, virtual seconds (coordinator)")),
      tpot_f_(H(r, "etchsim_tpot_seconds",
                "Time per output token after the first, per measured request, virtual seconds "
                "(coordinator)")),
      itl_f_(H(r, "etchsim_itl_seconds",
               "Inter-token latency of measured requests, virtual seconds (coordinator)")),
      e2e_f_(H(r, "etchsim_e2e_seconds",
               "End-to-end latency of measured requests, virtual seconds (coordinator)")),
      queue_time_f_(H(r, "etchsim_kv_queue_seconds",
                      "Time measured requests waited for KV cache space before admission, "
                      "virtual seconds (coordinator)")) {
  Bind();
}

ProcessMetrics::~ProcessMetrics() = default;

void ProcessMetrics::Bind() {
  auto drop = [](auto& fam, auto*& m) {
    if (m != nullptr) fam.Remove(m);
    m = nullptr;
  };
  drop(events_f_, events_);
  drop(output_f_, output_);
  for (auto& [stage, sc] : stage_counters_) {
    tokens_f_.Remove(sc.tokens);
    busy_f_.Remove(sc.busy);
  }
  stage_counters_.clear();
  drop(completed_f_, completed_);
  drop(arrived_f_, arrived_);
  drop(rejected_f_, rejected_);
  drop(slo_f_, slo_);
  drop(sent_f_, sent_);
  drop(received_f_, received_);
  drop(errors_f_, errors_);
  drop(queue_f_, queue_);
  drop(vt_f_, vt_);
  drop(lag_f_, lag_);
  drop(kv_f_, kv_);
  drop(kv_cap_f_, kv_cap_);
  drop(in_flight_f_, in_flight_);
  drop(users_f_, users_);
  drop(cost_f_, cost_);
  drop(cost_idle_f_, cost_idle_);
  drop(power_f_, power_active_);
  drop(power_f_, power_idle_);
  drop(vt_total_f_, vt_total_);
  vt_counted_ = 0;
  drop(up_f_, run_);
  drop(ttft_f_, ttft_.h);
  drop(tpot_f_, tpot_.h);
  drop(itl_f_, itl_.h);
  drop(e2e_f_, e2e_.h);
  drop(queue_time_f_, queue_time_.h);
  for (auto& [name, c] : link_counters_) link_f_.Remove(c);
  link_counters_.clear();
  for (auto& [name, g] : link_bandwidth_) link_bw_f_.Remove(g);
  link_bandwidth_.clear();
  const auto& l = labels_;
  events_ = &events_f_.Add(l);
  sent_ = &sent_f_.Add(l);
  received_ = &received_f_.Add(l);
  errors_ = &errors_f_.Add(l);
  queue_ = &queue_f_.Add(l);
  vt_ = &vt_f_.Add(l);
  lag_ = &lag_f_.Add(l);
  run_ = &up_f_.Add(l);
  if (role_ != "chip") {
    output_ = &output_f_.Add(l);
    completed_ = &completed_f_.Add(l);
    arrived_ = &arrived_f_.Add(l);
    rejected_ = &rejected_f_.Add(l);
    slo_ = &slo_f_.Add(l);
    kv_ = &kv_f_.Add(l);
    kv_cap_ = &kv_cap_f_.Add(l);
    in_flight_ = &in_flight_f_.Add(l);
    users_ = &users_f_.Add(l);
    cost_ = &cost_f_.Add(l);
    cost_idle_ = &cost_idle_f_.Add(l);
    auto with_state = [&](const char* state) {
      auto labels = l;
      labels["state"] = state;
      return labels;
    };
    power_active_ = &power_f_.Add(with_state("active"));
    power_idle_ = &power_f_.Add(with_state("idle"));
    vt_total_ = &vt_total_f_.Add(l);
    const auto& b = LatencyBucketsSeconds();
    for (auto [lat, fam] :
         {std::pair{&ttft_, &ttft_f_}, std::pair{&tpot_, &tpot_f_}, std::pair{&itl_, &itl_f_},
          std::pair{&e2e_, &e2e_f_}, std::pair{&queue_time_, &queue_time_f_}}) {
      lat->h = &fam->Add(l, b);
      lat->last.assign(b.size(), 0);
      lat->count_last = 0;
      lat->last_sum_s = 0;
    }
  }
}

void ProcessMetrics::StartRun(int first_stage, int num_stages) {
  last_ = NodeSnapshot{};
  last_arrived_ = last_rejected_ = last_slo_ = 0;
  last_link_.clear();
  labels_ = {{"role", role_}};
  if (first_stage >= 0) {
    labels_["chip"] = num_stages > 1 ? absl::StrCat(first_stage, "-", first_stage + num_stages - 1)
                                     : absl::StrCat(first_stage);
  }
  // Fresh series every run: counters restart from 0, so totals are this
  // run's (Prometheus's rate() and increase() treat it as a reset).
  Bind();
  report_.reset();
  if (info_ != nullptr) {  // the last run's identity goes with its figures
    info_f_.Remove(info_);
    info_ = nullptr;
  }
  run_->Set(1);
}

void ProcessMetrics::ObserveLatency(Latency& l, const base::LogHistogram& ps) {
  const std::vector<uint64_t> now = ps.CumulativeCounts(LatencyBucketsPs());
  std::vector<double> inc(now.size() + 1, 0.0);
  uint64_t below = 0, below_last = 0;
  for (size_t i = 0; i < now.size(); ++i) {
    const uint64_t d = now[i] - below, d_last = l.last[i] - below_last;
    inc[i] = d > d_last ? static_cast<double>(d - d_last) : 0.0;
    below = now[i];
    below_last = l.last[i];
  }
  const uint64_t over = ps.count() - below, over_last = l.count_last - below_last;
  inc.back() = over > over_last ? static_cast<double>(over - over_last) : 0.0;
  const double sum_s = ps.Sum() * 1e-12;
  l.h->ObserveMultiple(inc, std::max(0.0, sum_s - l.last_sum_s));
  l.last = now;
  l.count_last = ps.count();
  l.last_sum_s = sum_s;
}

void ProcessMetrics::UpdateHost(const serving::HostResult& h) {
  auto inc = [](prometheus::Counter* c, int64_t now, int64_t& last) {
    if (now > last) c->Increment(static_cast<double>(now - last));
    last = now;
  };
  inc(arrived_, h.arrivals, last_arrived_);
  inc(rejected_, h.rejected, last_rejected_);
  inc(slo_, h.slo_met, last_slo_);
  ObserveLatency(ttft_, h.ttft_ps);
  ObserveLatency(tpot_, h.tpot_ps);
  ObserveLatency(itl_, h.itl_ps);
  ObserveLatency(e2e_, h.e2e_ps);
  ObserveLatency(queue_time_, h.queue_ps);
}

void ProcessMetrics::Update(const NodeSnapshot& s, double wall_s) {
  auto delta = [](auto now, auto before) {
    return now > before ? static_cast<double>(now - before) : 0.0;
  };
  events_->Increment(delta(s.events, last_.events));
  sent_->Increment(delta(s.batches_sent, last_.batches_sent));
  received_->Increment(delta(s.batches_received, last_.batches_received));
  queue_->Set(static_cast<double>(s.queue));
  const double vt = s.lvt == SimTime::Max() ? s.end.ToSeconds() : s.lvt.ToSeconds();
  vt_->Set(vt);
  lag_->Set(wall_s - vt);
  if (vt_total_ != nullptr && vt > vt_counted_) {
    vt_total_->Increment(vt - vt_counted_);
    vt_counted_ = vt;
  }
  if (role_ == "chip") {
    for (const NodeSnapshot::StageSample& st : s.stages) {
      StageCounters& sc = stage_counters_[st.stage];
      if (sc.tokens == nullptr) {
        auto labels = labels_;
        labels["chip"] = absl::StrCat(st.stage);
        sc.tokens = &tokens_f_.Add(labels);
        sc.busy = &busy_f_.Add(labels);
      }
      sc.tokens->Increment(delta(st.tokens, sc.last.tokens));
      sc.busy->Increment(delta(st.busy_ps, sc.last.busy_ps) * 1e-12);
      sc.last = st;
    }
  }
  if (output_ != nullptr) {
    output_->Increment(delta(s.output_tokens, last_.output_tokens));
    completed_->Increment(delta(s.completed, last_.completed));
    kv_->Set(static_cast<double>(s.kv_tokens));
    in_flight_->Set(static_cast<double>(s.in_flight));
    if (s.host != nullptr) UpdateHost(*s.host);
  }
  for (const NodeSnapshot::LinkSample& link : s.links) {
    prometheus::Counter*& c = link_counters_[link.name];
    if (c == nullptr) {
      auto labels = labels_;
      labels["link"] = link.name;
      labels["from"] = link.from;
      labels["to"] = link.to;
      c = &link_f_.Add(labels);
      prometheus::Gauge*& g = link_bandwidth_[link.name];
      g = &link_bw_f_.Add(labels);
      g->Set(link.bytes_per_s);
    }
    c->Increment(delta(link.bytes, last_link_[link.name]));
    last_link_[link.name] = link.bytes;
  }
  last_ = s;
  last_.host = nullptr;  // points into the node; not kept
}

void ProcessMetrics::SetRunInfo(const RunInfo& info) {
  if (kv_cap_ == nullptr) return;
  kv_cap_->Set(info.kv_capacity_tokens);
  cost_->Set(info.cost_usd_per_hour_active);
  cost_idle_->Set(info.cost_usd_per_hour_idle);
  power_active_->Set(info.power_watts_active);
  power_idle_->Set(info.power_watts_idle);
  const v1::Report& n = info.names;
  const v1::WorkloadSummary& w = n.scenario().workload();
  users_->Set(w.users());
  if (info_ != nullptr) info_f_.Remove(info_);
  info_ = &info_f_.Add({{"role", role_},
                        {"run_id", info.run_id},
                        {"model", n.model()},
                        {"chip", n.chip()},
                        {"chips", absl::StrCat(n.num_chips())},
                        {"strategy", n.strategy()},
                        {"topology", n.topology()},
                        {"workload", w.kind()},
                        {"users", absl::StrCat(w.users())},
                        {"input_len", w.input_len()},
                        {"output_len", w.output_len()},
                        {"seed", absl::StrCat(n.scenario().seed())}});
  info_->Set(1);
}

void ProcessMetrics::PublishReport(const v1::Report& report) {
  report_ = std::make_unique<ReportMetrics>(registry_, labels_, report);
}

void ProcessMetrics::RpcError() { errors_->Increment(); }

void ProcessMetrics::EndRun() {
  run_->Set(0);
  if (in_flight_ != nullptr) in_flight_->Set(0);
}

}  // namespace etchsim::rpc
