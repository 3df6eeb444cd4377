// ProcessMetrics as Prometheus would scrape it: latency histograms in
// virtual seconds that agree with the host's own histogram, per-run
// counters, one run-info series, and the report's figures kept from a
// run's end until the next run starts.
#include "rpc/metrics.h"

#include <string>

#include "gtest/gtest.h"
#include "prometheus/text_serializer.h"

namespace etchsim::rpc {
namespace {

std::string Scrape(prometheus::Registry& r) {
  return prometheus::TextSerializer().Serialize(r.Collect());
}

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST(ProcessMetricsTest, LatencyHistogramsCountersRunInfoAndReport) {
  prometheus::Registry reg;
  ProcessMetrics m(reg, "coordinator");
  m.StartRun(-1);
  RunInfo info;
  info.run_id = "run-1";
  info.names.set_model("deepseek-r1");
  info.names.set_chip("hc2");
  info.names.set_num_chips(30);
  info.cost_usd_per_hour_active = 10;
  info.cost_usd_per_hour_idle = 4;
  m.SetRunInfo(info);

  serving::HostResult host;
  host.ttft_ps.Add(1'900'000'000);   // 1.9 ms
  host.ttft_ps.Add(40'000'000'000);  // 40 ms
  host.arrivals = 3;
  host.rejected = 1;
  host.slo_met = 2;
  NodeSnapshot s;
  s.completed = 2;
  s.in_flight = 1;
  s.events = 100;
  s.host = &host;
  s.links.push_back(
      {.name = "host->chip0", .from = "host", .to = "chip0", .bytes = 500, .bytes_per_s = 1e9});
  m.Update(s, 1.0);
  host.ttft_ps.Add(900'000'000'000);  // 0.9 s, in a later update
  m.Update(s, 2.0);

  std::string t = Scrape(reg);
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_bucket{role=\"coordinator\",le=\"0.002\"} 1")) << t;
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_bucket{role=\"coordinator\",le=\"0.03\"} 1"));
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_bucket{role=\"coordinator\",le=\"0.05\"} 2"));
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_bucket{role=\"coordinator\",le=\"1\"} 3"));
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_bucket{role=\"coordinator\",le=\"+Inf\"} 3"));
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_count{role=\"coordinator\"} 3"));
  const size_t sum = t.find("etchsim_ttft_seconds_sum{role=\"coordinator\"} ");
  ASSERT_NE(sum, std::string::npos);
  EXPECT_NEAR(std::stod(t.substr(t.find(' ', sum) + 1)), 0.9419, 1e-12);
  EXPECT_TRUE(Has(t, "etchsim_requests_rejected_total{role=\"coordinator\"} 1"));
  EXPECT_TRUE(Has(t, "etchsim_requests_meeting_slo_total{role=\"coordinator\"} 2"));
  EXPECT_TRUE(Has(t, "etchsim_cluster_idle_cost_usd_per_hour{role=\"coordinator\"} 4"));
  EXPECT_TRUE(
      Has(t,
          "etchsim_link_bytes_total{from=\"host\",link=\"host->chip0\",role=\"coordinator\","
          "to=\"chip0\"} 500"));
  EXPECT_TRUE(Has(t,
                  "etchsim_link_bandwidth_bytes_per_second{from=\"host\",link=\"host->chip0\","
                  "role=\"coordinator\",to=\"chip0\"} 1000000000"));
  EXPECT_NE(t.find("etchsim_run_info{chip=\"hc2\",chips=\"30\""), std::string::npos);
  EXPECT_NE(t.find("run_id=\"run-1\""), std::string::npos);

  v1::Report report;
  report.mutable_ttft_s()->set_p99(0.9);
  report.set_usd_per_million_tokens(0.4075);
  report.add_chips()->set_utilization(0.25);
  m.EndRun();
  m.PublishReport(report);
  t = Scrape(reg);
  EXPECT_TRUE(Has(t, "etchsim_requests_in_flight{role=\"coordinator\"} 0"));
  EXPECT_TRUE(Has(t, "etchsim_report_usd_per_million_tokens{role=\"coordinator\"} 0.4075")) << t;
  EXPECT_TRUE(Has(
      t, "etchsim_report_latency_seconds{metric=\"ttft\",role=\"coordinator\",stat=\"p99\"} 0.9"));
  EXPECT_TRUE(
      Has(t, "etchsim_report_chip_utilization_ratio{chip=\"0\",role=\"coordinator\"} 0.25"));

  // The next run: counters and histograms start from zero, the report's
  // figures are gone, and there is still exactly one run-info series.
  m.StartRun(-1);
  info.run_id = "run-2";
  m.SetRunInfo(info);
  t = Scrape(reg);
  EXPECT_TRUE(Has(t, "etchsim_ttft_seconds_count{role=\"coordinator\"} 0")) << t;
  EXPECT_TRUE(Has(t, "etchsim_events_processed_total{role=\"coordinator\"} 0"));
  EXPECT_TRUE(Has(t, "etchsim_requests_rejected_total{role=\"coordinator\"} 0"));
  EXPECT_EQ(t.find("etchsim_report_usd_per_million_tokens{"), std::string::npos);
  EXPECT_EQ(t.find("run_id=\"run-1\""), std::string::npos);
  EXPECT_NE(t.find("run_id=\"run-2\""), std::string::npos);
  EXPECT_EQ(t.find("etchsim_link_bytes_total{"), std::string::npos);
}

TEST(ProcessMetricsTest, BucketsAreAscendingSecondsFromTenMicrosecondsUp) {
  const std::vector<double>& b = LatencyBucketsSeconds();
  ASSERT_EQ(b.size(), 48u);
  EXPECT_DOUBLE_EQ(b.front(), 1e-5);
  EXPECT_NEAR(b.back(), 700, 1e-9);
  for (size_t i = 1; i < b.size(); ++i) EXPECT_LT(b[i - 1], b[i]);
}

}  // namespace
}  // namespace etchsim::rpc
