// The headline figures of a finished run's report as Prometheus gauges
// (etchsim_report_*), so a dashboard shows the run's results after it
// ends: exactly the report's numbers (latency percentiles, throughput,
// goodput, J/token, power, $/M tokens, utilisation), not a rolling
// estimate. The series live as long as this object; ProcessMetrics keeps
// one from a run's end until the next run starts.
#ifndef ETCHSIM_RPC_REPORT_METRICS_H_
#define ETCHSIM_RPC_REPORT_METRICS_H_

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "prometheus/gauge.h"
#include "prometheus/registry.h"
#include "proto/etchsim/v1/report.pb.h"

namespace etchsim::rpc {

class ReportMetrics {
 public:
  // `labels` are the process's own (role); each series adds its own.
  ReportMetrics(prometheus::Registry& registry, std::map<std::string, std::string> labels,
                const v1::Report& report);
  ~ReportMetrics();
  ReportMetrics(const ReportMetrics&) = delete;
  ReportMetrics& operator=(const ReportMetrics&) = delete;

 private:
  void Set(const std::string& name, const std::string& help,
           const std::map<std::string, std::string>& extra, double value);
  void SetDistribution(const std::string& name, const std::string& help,
                       std::map<std::string, std::string> extra, double mean, double p50,
                       double p90, double p99);

  prometheus::Registry& registry_;
  std::map<std::string, std::string> labels_;
  std::vector<std::pair<prometheus::Family<prometheus::Gauge>*, prometheus::Gauge*>> series_;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_REPORT_METRICS_H_
