#include "rpc/report_metrics.h"

#include "absl/strings/str_cat.h"

namespace etchsim::rpc {

ReportMetrics::ReportMetrics(prometheus::Registry& registry,
                             std::map<std::string, std::string> labels, const v1::Report& r)
    : registry_(registry), labels_(std::move(labels)) {
  const std::string lat = "etchsim_report_latency_seconds";
  const std::string lat_help =
      "The finished run's latency distribution from its report (metric = ttft | tpot | itl | "
      "e2e | kv_queue; stat = mean | p50 | p90 | p99), virtual seconds";
  SetDistribution(lat, lat_help, {{"metric", "ttft"}}, r.ttft_s().mean(), r.ttft_s().p50(),
                  r.ttft_s().p90(), r.ttft_s().p99());
  SetDistribution(lat, lat_help, {{"metric", "tpot"}}, r.tpot_s().mean(), r.tpot_s().p50(),
                  r.tpot_s().p90(), r.tpot_s().p99());
  SetDistribution(lat, lat_help, {{"metric", "itl"}}, r.itl_s().mean(), r.itl_s().p50(),
                  r.itl_s().p90(), r.itl_s().p99());
  SetDistribution(lat, lat_help, {{"metric", "e2e"}}, r.e2e_s().mean(), r.e2e_s().p50(),
                  r.e2e_s().p90(), r.e2e_s().p99());
  SetDistribution(lat, lat_help, {{"metric", "kv_queue"}}, r.queue_s().mean(), r.queue_s().p50(),
                  r.queue_s().p90(), r.queue_s().p99());
  const v1::Throughput& ot = r.output_tokens_per_s();
  SetDistribution("etchsim_report_output_tokens_per_second",
                  "The finished run's cluster output tokens per virtual second (mean over the "
                  "measured time; percentiles over throughput windows)",
                  {}, ot.mean(), ot.p50(), ot.p90(), ot.p99());
  const v1::Distribution& u = r.tokens_per_s_per_user();
  SetDistribution("etchsim_report_tokens_per_second_per_user",
                  "The finished run's decode speed per request, tokens per virtual second", {},
                  u.mean(), u.p50(), u.p90(), u.p99());
  const std::string req = "etchsim_report_requests";
  const std::string req_help =
      "The finished run's requests by state (arrived | completed | rejected | in_flight_at_end)";
  Set(req, req_help, {{"state", "arrived"}}, static_cast<double>(r.requests_arrived()));
  Set(req, req_help, {{"state", "completed"}}, static_cast<double>(r.requests_completed()));
  Set(req, req_help, {{"state", "rejected"}}, static_cast<double>(r.requests_rejected()));
  Set(req, req_help, {{"state", "in_flight_at_end"}},
      static_cast<double>(r.requests_in_flight_at_end()));
  Set("etchsim_report_goodput_ratio",
      "The finished run's completed requests meeting the SLO (TTFT and TPOT bounds), fraction", {},
      r.goodput().fraction());
  Set("etchsim_report_goodput_requests_per_second",
      "The finished run's requests meeting the SLO per virtual second", {},
      r.goodput().requests_per_s());
  Set("etchsim_report_energy_joules_per_token", "The finished run's IT energy per output token", {},
      r.energy_j_per_token());
  Set("etchsim_report_power_watts", "The finished run's average IT power of the whole cluster", {},
      r.average_power_w());
  Set("etchsim_report_usd_per_million_tokens",
      "The finished run's cost per million output tokens (cost::ComputeCost at measured power)", {},
      r.usd_per_million_tokens());
  Set("etchsim_report_cost_usd_per_hour",
      "The finished run's cluster cost per virtual hour at measured power", {},
      r.cost().total_usd_per_hour());
  Set("etchsim_report_measured_seconds", "Virtual seconds the finished run measured", {},
      r.measured_s());
  const std::string kv = "etchsim_report_kv_tokens";
  const std::string kv_help =
      "The finished run's KV cache in tokens (stat = mean | peak | capacity)";
  Set(kv, kv_help, {{"stat", "mean"}}, r.kv_cache().mean_tokens());
  Set(kv, kv_help, {{"stat", "peak"}}, static_cast<double>(r.kv_cache().peak_tokens()));
  Set(kv, kv_help, {{"stat", "capacity"}}, static_cast<double>(r.kv_cache().capacity_tokens()));
  for (const v1::StageReport& st : r.chips()) {
    const std::map<std::string, std::string> chip = {{"chip", absl::StrCat(st.index())}};
    Set("etchsim_report_chip_utilization_ratio",
        "The finished run's busy fraction of a stage's bottleneck unit", chip, st.utilization());
    Set("etchsim_report_chip_power_watts", "The finished run's average power of a stage", chip,
        st.average_power_w());
  }
  for (const v1::LinkReport& l : r.links()) {
    Set("etchsim_report_link_utilization_ratio",
        "The finished run's busy fraction of one direction of a link", {{"link", l.name()}},
        l.utilization());
  }
}

ReportMetrics::~ReportMetrics() {
  for (auto [fam, g] : series_) fam->Remove(g);
}

void ReportMetrics::Set(const std::string& name, const std::string& help,
                        const std::map<std::string, std::string>& extra, double value) {
  auto& fam = prometheus::BuildGauge().Name(name).Help(help).Register(registry_);
  auto labels = labels_;
  labels.insert(extra.begin(), extra.end());
  prometheus::Gauge& g = fam.Add(labels);
  g.Set(value);
  series_.emplace_back(&fam, &g);
}

void ReportMetrics::SetDistribution(const std::string& name, const std::string& help,
                                    std::map<std::string, std::string> extra, double mean,
                                    double p50, double p90, double p99) {
  for (auto [stat, v] : {std::pair{"mean", mean}, std::pair{"p50", p50}, std::pair{"p90", p90},
                         std::pair{"p99", p99}}) {
    extra["stat"] = stat;
    Set(name, help, extra, v);
  }
}

}  // namespace etchsim::rpc
