// Prometheus metrics of a simulation process (chip or coordinator).
//
// The registry is injected (no global state); the process exposes it with
// prometheus::Exposer. Names follow Prometheus conventions: etchsim_
// prefix, base units, _total counters, and only low-cardinality labels
// (role, chip index, link name). Rates of the virtual-time counters divided
// by the rate of etchsim_virtual_time_seconds give per-virtual-second
// figures (deploy/prometheus/rules.yml).
#ifndef ETCHSIM_RPC_METRICS_H_
#define ETCHSIM_RPC_METRICS_H_

#include <map>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "rpc/sim_node.h"

namespace etchsim::rpc {

class ProcessMetrics {
 public:
  // `role` is "chip" or "coordinator".
  ProcessMetrics(prometheus::Registry& registry, std::string role);

  // Labels this process's series with the stage it hosts (chip processes
  // learn it from LoadShard; -1 = no chip label). Zeroes the per-run
  // deltas.
  void StartRun(int stage);
  // Brings counters and gauges up to date with a node snapshot. `wall_s`
  // is wall time since the run started.
  void Update(const NodeSnapshot& s, double wall_s);
  // Static facts of a run the coordinator knows.
  void SetRunInfo(double kv_capacity_tokens, double cost_usd_per_hour, double users);
  void RpcError();
  // The run ended (etchsim_run_active drops to 0).
  void EndRun();

 private:
  template <typename T>
  using Fam = prometheus::Family<T>;
  void Bind();

  prometheus::Registry& registry_;
  std::string role_;
  std::map<std::string, std::string> labels_;
  Fam<prometheus::Counter>& events_f_;
  Fam<prometheus::Counter>& tokens_f_;
  Fam<prometheus::Counter>& output_f_;
  Fam<prometheus::Counter>& busy_f_;
  Fam<prometheus::Counter>& completed_f_;
  Fam<prometheus::Counter>& sent_f_;
  Fam<prometheus::Counter>& received_f_;
  Fam<prometheus::Counter>& errors_f_;
  Fam<prometheus::Counter>& link_f_;
  Fam<prometheus::Gauge>& queue_f_;
  Fam<prometheus::Gauge>& vt_f_;
  Fam<prometheus::Gauge>& lag_f_;
  Fam<prometheus::Gauge>& kv_f_;
  Fam<prometheus::Gauge>& kv_cap_f_;
  Fam<prometheus::Gauge>& in_flight_f_;
  Fam<prometheus::Gauge>& users_f_;
  Fam<prometheus::Gauge>& cost_f_;
  Fam<prometheus::Gauge>& up_f_;
  prometheus::Counter *events_ = nullptr, *tokens_ = nullptr, *output_ = nullptr, *busy_ = nullptr,
                      *completed_ = nullptr, *sent_ = nullptr, *received_ = nullptr,
                      *errors_ = nullptr;
  prometheus::Gauge *queue_ = nullptr, *vt_ = nullptr, *lag_ = nullptr, *kv_ = nullptr,
                    *kv_cap_ = nullptr, *in_flight_ = nullptr, *users_ = nullptr, *cost_ = nullptr,
                    *run_ = nullptr;
  std::map<std::string, prometheus::Counter*> link_counters_;
  // Last values seen, to turn running totals into counter increments.
  NodeSnapshot last_;
  std::map<std::string, int64_t> last_link_;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_METRICS_H_
