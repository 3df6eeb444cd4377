#include "plan/slo.h"

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
      {"ttft_p95<=5ms", "unknown statistic \"p95\""},
      {"ttft_p99<=500", "give a unit"},
      {"ttft_p99<=-5ms", "is not a positive duration"},
      {"ttft_p99<=abcms", "is not a positive duration"},
      {"ttft_p99<=1s,", "--slo \"\""},
  };
  for (const auto& [spec, msg] : cases) {
    auto s = ParseSlo(spec, "llama-3.1-8b");
    ASSERT_FALSE(s.ok()) << spec;
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(s.status().message()), ::testing::HasSubstr(msg)) << spec;
  }
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

}  // namespace
}  // namespace etchsim::plan
