#include "rpc/metrics.h"

#include "absl/strings/str_cat.h"

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

}  // namespace

ProcessMetrics::ProcessMetrics(prometheus::Registry& r, std::string role)
    : registry_(r),
      role_(std::move(role)),
      labels_{{"role", role_}},
      events_f_(
          C(r, "etchsim_events_processed_total", "Simulation events processed by this process")),
      tokens_f_(C(r, "etchsim_tokens_processed_total",
                  "Tokens that entered this chip's stage (prompt and decode)")),
      output_f_(C(r, "etchsim_output_tokens_total",
                  "Output tokens delivered to users (coordinator: the host)")),
      busy_f_(C(r, "etchsim_busy_seconds_total",
                "Virtual seconds this chip's bottleneck unit was busy")),
      completed_f_(
          C(r, "etchsim_requests_completed_total", "Requests completed (coordinator: the host)")),
      sent_f_(C(r, "etchsim_batches_sent_total",
                "Event batches and null messages sent to peer processes")),
      received_f_(C(r, "etchsim_batches_received_total",
                    "Event batches and null messages received from peer processes")),
      errors_f_(C(r, "etchsim_rpc_errors_total", "Failed RPCs and broken streams")),
      link_f_(C(r, "etchsim_link_bytes_total",
                "Bytes sent over a fabric link (counted by the process owning its queue)")),
      queue_f_(G(r, "etchsim_queue_depth", "Pending simulation events in this process")),
      vt_f_(G(r, "etchsim_virtual_time_seconds",
              "Virtual time this process has reached (lower bound on its next event)")),
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
                "Hardware amortisation plus energy of the simulated cluster at full "
                "power, dollars per virtual hour (coordinator)")),
      up_f_(G(r, "etchsim_run_active", "1 while a run is loaded on this process")) {
  Bind();
}

void ProcessMetrics::Bind() {
  auto drop = [](auto& fam, auto*& m) {
    if (m != nullptr) fam.Remove(m);
    m = nullptr;
  };
  drop(events_f_, events_);
  drop(tokens_f_, tokens_);
  drop(output_f_, output_);
  drop(busy_f_, busy_);
  drop(completed_f_, completed_);
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
  drop(up_f_, run_);
  for (auto& [name, c] : link_counters_) link_f_.Remove(c);
  link_counters_.clear();
  const auto& l = labels_;
  events_ = &events_f_.Add(l);
  sent_ = &sent_f_.Add(l);
  received_ = &received_f_.Add(l);
  errors_ = &errors_f_.Add(l);
  queue_ = &queue_f_.Add(l);
  vt_ = &vt_f_.Add(l);
  lag_ = &lag_f_.Add(l);
  run_ = &up_f_.Add(l);
  if (role_ == "chip") {
    tokens_ = &tokens_f_.Add(l);
    busy_ = &busy_f_.Add(l);
  } else {
    output_ = &output_f_.Add(l);
    completed_ = &completed_f_.Add(l);
    kv_ = &kv_f_.Add(l);
    kv_cap_ = &kv_cap_f_.Add(l);
    in_flight_ = &in_flight_f_.Add(l);
    users_ = &users_f_.Add(l);
    cost_ = &cost_f_.Add(l);
  }
}

void ProcessMetrics::StartRun(int stage) {
  last_ = NodeSnapshot{};
  last_link_.clear();
  const std::map<std::string, std::string> want =
      stage >= 0
          ? std::map<std::string, std::string>{{"role", role_}, {"chip", absl::StrCat(stage)}}
          : std::map<std::string, std::string>{{"role", role_}};
  // Counters keep counting across runs of the same stage (Prometheus
  // rates handle that); a different stage gets fresh series.
  if (want != labels_ || events_ == nullptr) {
    labels_ = want;
    Bind();
  }
  run_->Set(1);
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
  if (tokens_ != nullptr) {
    tokens_->Increment(delta(s.tokens, last_.tokens));
    busy_->Increment(delta(s.busy_ps, last_.busy_ps) * 1e-12);
  }
  if (output_ != nullptr) {
    output_->Increment(delta(s.output_tokens, last_.output_tokens));
    completed_->Increment(delta(s.completed, last_.completed));
    kv_->Set(static_cast<double>(s.kv_tokens));
    in_flight_->Set(static_cast<double>(s.in_flight));
  }
  for (const auto& [link, bytes] : s.link_bytes) {
    prometheus::Counter*& c = link_counters_[link];
    if (c == nullptr) {
      auto labels = labels_;
      labels["link"] = link;
      c = &link_f_.Add(labels);
    }
    c->Increment(delta(bytes, last_link_[link]));
    last_link_[link] = bytes;
  }
  last_ = s;
}

void ProcessMetrics::SetRunInfo(double kv_capacity_tokens, double cost_usd_per_hour, double users) {
  if (kv_cap_ == nullptr) return;
  kv_cap_->Set(kv_capacity_tokens);
  cost_->Set(cost_usd_per_hour);
  users_->Set(users);
}

void ProcessMetrics::RpcError() { errors_->Increment(); }

void ProcessMetrics::EndRun() { run_->Set(0); }

}  // namespace etchsim::rpc
