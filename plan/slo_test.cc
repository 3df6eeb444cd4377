#include "plan/slo.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::plan {
namespace {

TEST(SloTest, ParsesTermsWithUnits) {
  auto s = ParseSlo("ttft_p99<=500ms, tpot_p90<=0.03s,itl_mean<=800us", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_EQ(s->terms.size(), 3u);
  EXPECT_EQ(s->terms[0].metric, "ttft");
  EXPECT_DOUBLE_EQ(s->terms[0].limit_s, 0.5);
  EXPECT_DOUBLE_EQ(s->terms[1].limit_s, 0.03);
  EXPECT_DOUBLE_EQ(s->terms[2].limit_s, 800e-6);
}

TEST(SloTest, NamedMlperfSets) {
  auto s = ParseSlo("mlperf-interactive", "llama-3.1-8b");
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->terms[0].limit_s, 0.5);
  EXPECT_DOUBLE_EQ(s->terms[1].limit_s, 0.030);
  auto r1 = ParseSlo("mlperf-server", "deepseek-r1");
  ASSERT_TRUE(r1.ok());
  EXPECT_DOUBLE_EQ(r1->terms[1].limit_s, 0.080);
  auto none = ParseSlo("mlperf-interactive", "deepseek-r1");
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(std::string(none.status().message()),
              ::testing::HasSubstr("no interactive latency limits for deepseek-r1"));
}

TEST(SloTest, BadSpecsNameTheTerm) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "--slo: empty"},
      {"ttft_p99<500ms", "expected METRIC_STAT<=VALUE"},
      {"ttft<=500ms", "expected METRIC_STAT"},
      {"speed_p99<=5ms", "unknown metric \"speed\""},
      {"ttft_p100<=5ms", "unknown statistic \"p100\""},
      {"ttft_p0.5<=5ms", "unknown statistic \"p0.5\""},
      {"ttft_p<=5ms", "unknown statistic \"p\""},
      {"ttft_p95.<=5ms", "unknown statistic \"p95.\""},
      {"ttft_p9e1<=5ms", "unknown statistic \"p9e1\""},
      {"ttft_p99.9.9<=5ms", "unknown statistic \"p99.9.9\""},
      {"ttft_max<=5ms", "unknown statistic \"max\""},
      {"ttft_p99<=500", "give a unit"},
      {"ttft_p99<=-5ms", "is not a positive duration"},
      {"ttft_p99<=abcms", "is not a positive duration"},
      {"ttft_p99<=1s,", "--slo \"\""},
      {"tps_user_p10<=50", "tps_user is a floor: write tps_user_STAT>=TOKENS_PER_S"},
      {"ttft_p99>=1s", "latency terms are ceilings"},
      {"tps_user_p10>=0", "is not a rate in (0, 1e9] tok/s"},
      {"tps_user_p10>=fast", "is not a rate"},
      {"tps_user_p10>=nan", "is not a rate"},
      {"tps_user_max>=5", "unknown statistic \"max\""},
  };
  for (const auto& [spec, msg] : cases) {
    auto s = ParseSlo(spec, "llama-3.1-8b");
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), ::testing::HasSubstr(msg)) << spec;
  }
}

TEST(SloTest, AnyPercentileParsesToItsFraction) {
  auto s = ParseSlo("ttft_p95<=1s,tpot_p99.9<=1s,e2e_mean<=1s,itl_p50<=1s", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_DOUBLE_EQ(s->terms[0].Quantile(), 0.95);
  EXPECT_DOUBLE_EQ(s->terms[1].Quantile(), 0.999);
  EXPECT_EQ(s->terms[2].Quantile(), 0);
  EXPECT_DOUBLE_EQ(s->terms[3].Quantile(), 0.5);
}

TEST(SloTest, HistogramsAgreeWithTheReportAndGiveOtherPercentiles) {
  serving::HostResult h;
  for (uint64_t i = 1; i <= 1000; ++i) {
    h.ttft_ps.Add(i * 1'000'000'000);  // 1..1000 ms
    h.tpot_ps.Add(i * 1'000'000);
  }
  v1::Report r;
  r.mutable_ttft_s()->set_p99(static_cast<double>(h.ttft_ps.Quantile(0.99)) * 1e-12);
  r.mutable_ttft_s()->set_mean(h.ttft_ps.Mean() * 1e-12);
  auto s = ParseSlo("ttft_p99<=1s,ttft_mean<=1s,ttft_p95<=1s,tpot_p99.9<=1s", "x");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Observed(h, s->terms[0]), Observed(r, s->terms[0]));
  EXPECT_EQ(Observed(h, s->terms[1]), Observed(r, s->terms[1]));
  // p95 is not in a report; the histogram has it, between p90 and p99.
  EXPECT_TRUE(std::isnan(Observed(r, s->terms[2])));
  const double p95 = Observed(h, s->terms[2]);
  EXPECT_GT(p95, static_cast<double>(h.ttft_ps.Quantile(0.90)) * 1e-12);
  EXPECT_LT(p95, Observed(h, s->terms[0]));
  EXPECT_NEAR(p95, 0.95, 0.05);  // log buckets: a few percent
  EXPECT_NEAR(Observed(h, s->terms[3]), 0.999e-3, 0.05e-3);
  const SloCheck tight = Check(*ParseSlo("ttft_p95<=900ms", "x"), h);
  EXPECT_FALSE(tight.met);
  EXPECT_THAT(tight.binding, ::testing::HasSubstr("ttft_p95<=900ms"));
}

TEST(SloTest, CheckNamesTheBindingTerm) {
  auto s = ParseSlo("ttft_p99<=100ms,tpot_p99<=10ms", "x");
  ASSERT_TRUE(s.ok());
  v1::Report r;
  r.mutable_ttft_s()->set_p99(0.05);
  r.mutable_tpot_s()->set_p99(0.012);
  const SloCheck c = Check(*s, r);
  EXPECT_FALSE(c.met);
  EXPECT_THAT(c.binding, ::testing::HasSubstr("tpot_p99<=10ms"));
  EXPECT_NEAR(c.ratio, 1.2, 1e-12);
  r.mutable_tpot_s()->set_p99(0.009);
  EXPECT_TRUE(Check(*s, r).met);
}

TEST(SloTest, TokensPerUserIsAFloor) {
  auto s = ParseSlo("tps_user_p10>=50,tpot_p99<=30ms", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->terms[0].metric, "tps_user");
  EXPECT_TRUE(s->terms[0].at_least());
  EXPECT_DOUBLE_EQ(s->terms[0].limit_s, 50);
  EXPECT_EQ(s->terms[0].Describe(), "tps_user_p10>=50");
  EXPECT_DOUBLE_EQ(ParseSlo("tps_user_mean>=12.5tok/s", "x")->terms[0].limit_s, 12.5);
  // 1000 users at 1..1000 tok/s: p10 ~ 100, so >= 50 holds and >= 200 not.
  serving::HostResult h;
  for (uint64_t i = 1; i <= 1000; ++i) {
    h.tokens_per_s_per_user_milli.Add(i * 1000);
    h.tpot_ps.Add(1'000'000);
  }
  EXPECT_NEAR(Observed(h, s->terms[0]), 100, 5);
  EXPECT_TRUE(Check(*s, h).met);
  const SloCheck miss = Check(*ParseSlo("tps_user_p10>=200", "x"), h);
  EXPECT_FALSE(miss.met);
  EXPECT_THAT(miss.binding, ::testing::HasSubstr("tps_user_p10>=200 (observed"));
  EXPECT_NEAR(miss.ratio, 2.0, 0.1);
  v1::Report r;
  r.mutable_tokens_per_s_per_user()->set_p50(40);
  EXPECT_FALSE(Check(*ParseSlo("tps_user_p50>=50", "x"), r).met);
  r.mutable_tokens_per_s_per_user()->set_p50(60);
  EXPECT_TRUE(Check(*ParseSlo("tps_user_p50>=50", "x"), r).met);
}

}  // namespace
}  // namespace etchsim::plan
