// Prometheus metrics of a simulation process (chip or coordinator).
//
// The registry is injected (no global state); the process exposes it with
// prometheus::Exposer. Names follow Prometheus conventions: etchsim_
// prefix, base units, _total counters, and only low-cardinality labels
// (role, chip index, link name). Rates of the virtual-time counters divided
// by the rate of etchsim_virtual_time_seconds give per-virtual-second
// figures (deploy/prometheus/rules.yml).
//
// Every run starts fresh series: counters count from 0 at StartRun (a
// Prometheus counter reset), so a dashboard's totals are this run's. The
// coordinator also exports the run's identity (etchsim_run_info, one
// series) and, when a run succeeds, the report's headline figures
// (etchsim_report_*, rpc/report_metrics.h), kept until the next run starts.
#ifndef ETCHSIM_RPC_METRICS_H_
#define ETCHSIM_RPC_METRICS_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "prometheus/counter.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "proto/etchsim/v1/report.pb.h"
#include "rpc/sim_node.h"

namespace etchsim::rpc {

class ReportMetrics;

// Bucket upper bounds, in virtual seconds, of the latency histograms
// (etchsim_ttft_seconds and the rest): 1, 1.5, 2, 3, 5, 7 per decade from
// 10 us to 700 s, which brackets a hard-wired chip's ~60 us inter-token
// latency and a loaded GPU fleet's multi-second TTFT alike.
const std::vector<double>& LatencyBucketsSeconds();

// What the coordinator knows of a run before it starts.
struct RunInfo {
  // Labels of etchsim_run_info (each one value per run): the run's id and
  // its identity as its report names it (model, chip, num_chips, strategy,
  // topology and the scenario summary's workload and seed), read from the
  // report rather than listed again here.
  std::string run_id;
  v1::Report names;
  double kv_capacity_tokens = 0;
  // cost::ComputeCost of the cluster with every device at active power and
  // with every device idle; the cost is affine in device busy time, so the
  // live cost is idle + (active - idle) x mean utilisation (rules.yml).
  double cost_usd_per_hour_active = 0;
  double cost_usd_per_hour_idle = 0;
  // IT power of the cluster (devices plus server overhead) with every
  // device active and every device idle: the live power is affine in
  // utilisation the same way.
  double power_watts_active = 0;
  double power_watts_idle = 0;
};

class ProcessMetrics {
 public:
  // `role` is "chip" or "coordinator".
  ProcessMetrics(prometheus::Registry& registry, std::string role);
  ~ProcessMetrics();

  // Labels this process's series with the stages it hosts (chip processes
  // learn them from LoadShard: chip="3", or chip="10-19" for a process
  // hosting several; per-chip token and busy counters always carry one
  // chip each; first_stage -1 = no chip label) and starts every series of
  // the run from zero; drops the previous run's report figures.
  void StartRun(int first_stage, int num_stages = 1);
  // Brings counters and gauges up to date with a node snapshot. `wall_s`
  // is wall time since the run started.
  void Update(const NodeSnapshot& s, double wall_s);
  // Static facts of a run the coordinator knows (after StartRun).
  void SetRunInfo(const RunInfo& info);
  // Coordinator: the run succeeded; its headline figures are exported
  // until the next StartRun.
  void PublishReport(const v1::Report& report);
  void RpcError();
  // The run ended (etchsim_run_active drops to 0, nothing is in flight).
  void EndRun();

 private:
  template <typename T>
  using Fam = prometheus::Family<T>;
  // One latency histogram fed from a base::LogHistogram of picoseconds.
  struct Latency {
    prometheus::Histogram* h = nullptr;
    std::vector<uint64_t> last;  // cumulative counts already observed
    uint64_t count_last = 0;
    double last_sum_s = 0;
  };
  void Bind();
  void UpdateHost(const serving::HostResult& h);
  void ObserveLatency(Latency& l, const base::LogHistogram& ps);

  prometheus::Registry& registry_;
  std::string role_;
  std::map<std::string, std::string> labels_;
  Fam<prometheus::Counter>& events_f_;
  Fam<prometheus::Counter>& tokens_f_;
  Fam<prometheus::Counter>& output_f_;
  Fam<prometheus::Counter>& busy_f_;
  Fam<prometheus::Counter>& completed_f_;
  Fam<prometheus::Counter>& arrived_f_;
  Fam<prometheus::Counter>& rejected_f_;
  Fam<prometheus::Counter>& slo_f_;
  Fam<prometheus::Counter>& sent_f_;
  Fam<prometheus::Counter>& received_f_;
  Fam<prometheus::Counter>& errors_f_;
  Fam<prometheus::Counter>& link_f_;
  Fam<prometheus::Gauge>& link_bw_f_;
  Fam<prometheus::Gauge>& queue_f_;
  Fam<prometheus::Gauge>& vt_f_;
  Fam<prometheus::Counter>& vt_total_f_;
  Fam<prometheus::Gauge>& power_f_;
  Fam<prometheus::Gauge>& lag_f_;
  Fam<prometheus::Gauge>& kv_f_;
  Fam<prometheus::Gauge>& kv_cap_f_;
  Fam<prometheus::Gauge>& in_flight_f_;
  Fam<prometheus::Gauge>& users_f_;
  Fam<prometheus::Gauge>& cost_f_;
  Fam<prometheus::Gauge>& cost_idle_f_;
  Fam<prometheus::Gauge>& up_f_;
  Fam<prometheus::Gauge>& info_f_;
  Fam<prometheus::Histogram>& ttft_f_;
  Fam<prometheus::Histogram>& tpot_f_;
  Fam<prometheus::Histogram>& itl_f_;
  Fam<prometheus::Histogram>& e2e_f_;
  Fam<prometheus::Histogram>& queue_time_f_;
  prometheus::Counter *events_ = nullptr, *output_ = nullptr, *completed_ = nullptr,
                      *arrived_ = nullptr, *rejected_ = nullptr, *slo_ = nullptr, *sent_ = nullptr,
                      *received_ = nullptr, *errors_ = nullptr;
  prometheus::Gauge *queue_ = nullptr, *vt_ = nullptr, *lag_ = nullptr, *kv_ = nullptr,
                    *kv_cap_ = nullptr, *in_flight_ = nullptr, *users_ = nullptr, *cost_ = nullptr,
                    *cost_idle_ = nullptr, *run_ = nullptr, *info_ = nullptr,
                    *power_active_ = nullptr, *power_idle_ = nullptr;
  // Coordinator: virtual seconds reached, as a counter that restarts with
  // every run (rates per virtual second use its increase()).
  prometheus::Counter* vt_total_ = nullptr;
  double vt_counted_ = 0;
  Latency ttft_, tpot_, itl_, e2e_, queue_time_;
  // Chip processes: per hosted stage, tokens and busy seconds.
  struct StageCounters {
    prometheus::Counter* tokens = nullptr;
    prometheus::Counter* busy = nullptr;
    NodeSnapshot::StageSample last;
  };
  std::map<int, StageCounters> stage_counters_;
  std::map<std::string, prometheus::Counter*> link_counters_;
  std::map<std::string, prometheus::Gauge*> link_bandwidth_;
  std::unique_ptr<ReportMetrics> report_;
  // Last values seen, to turn running totals into counter increments.
  NodeSnapshot last_;
  int64_t last_arrived_ = 0, last_rejected_ = 0, last_slo_ = 0;
  std::map<std::string, int64_t> last_link_;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_METRICS_H_
