#include "sweep/axis.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::sweep {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<Axis> Resolve(const std::string& flag) {
  auto a = ParseAxisFlag(flag);
  if (!a.ok()) return a.status();
  return ResolveAxis(*a, "--axis");
}

TEST(AxisTest, AliasResolvesToFieldPathAndSelectsOneofMember) {
  auto a = Resolve("rate=0.5,2");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->path, "workload.poisson.rate_per_s");
  v1::Scenario s;
  s.mutable_workload()->mutable_closed_loop()->set_users(4);
  ASSERT_TRUE(ApplyAxisValue(*a, "2", s).ok());
  EXPECT_TRUE(s.workload().has_poisson());
  EXPECT_FALSE(s.workload().has_closed_loop());
  EXPECT_DOUBLE_EQ(s.workload().poisson().rate_per_s(), 2);
}

TEST(AxisTest, AnyScalarFieldByPath) {
  auto a = Resolve("cost.electricity_usd_per_kwh=0.05,0.1");
  ASSERT_TRUE(a.ok()) << a.status();
  v1::Scenario s;
  ASSERT_TRUE(ApplyAxisValue(*a, "0.05", s).ok());
  EXPECT_DOUBLE_EQ(s.cost().electricity_usd_per_kwh(), 0.05);
  auto b = Resolve("topology.card_link=pcie5-x16");
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_TRUE(ApplyAxisValue(*b, "pcie5-x16", s).ok());
  EXPECT_EQ(s.topology().card_link(), "pcie5-x16");
}

TEST(AxisTest, RangesExpandWithoutAccumulatedError) {
  auto a = Resolve("chips=10:40:10");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->values, ::testing::ElementsAre("10", "20", "30", "40"));
  auto b = Resolve("acceptance=0.1:0.3:0.1");
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_THAT(b->values, ::testing::ElementsAre("0.1", "0.2", "0.3"));
}

TEST(AxisTest, LengthAxesTakeDistributionsAndRanges) {
  auto a = Resolve("input_len=128:384:128");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(a->values, ::testing::ElementsAre("128", "256", "384"));
  auto b = Resolve("output_len=uniform:64:128,256");
  ASSERT_TRUE(b.ok()) << b.status();
  v1::Scenario s;
  ASSERT_TRUE(ApplyAxisValue(*b, "uniform:64:128", s).ok());
  EXPECT_EQ(s.workload().output_len().uniform().max(), 128);
}

struct BadCase {
  std::string flag;
  std::string message;
};

class BadAxisTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadAxisTest, OneLineNamingTheAxis) {
  auto a = Resolve(GetParam().flag);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(a.status().message()), HasSubstr(GetParam().message));
  EXPECT_EQ(std::string(a.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadAxisTest,
    ::testing::Values(BadCase{"nosuch=1", "--axis nosuch: unknown scenario field \"nosuch\""},
                      BadCase{"workload.bogus=1", "unknown scenario field \"bogus\""},
                      BadCase{"users=abc", "--axis users: \"abc\" is not an integer"},
                      BadCase{"rate=fast", "\"fast\" is not a finite number"},
                      BadCase{"rate=nan", "\"nan\" is not a finite number"},
                      BadCase{"seed=-1", "\"-1\" is not a non-negative integer"},
                      BadCase{"users=", "axis has no values"},
                      BadCase{"users", "expected FIELD=V1,V2"},
                      BadCase{"=1,2", "expected FIELD=V1,V2"},
                      BadCase{"users=1,,3", "\"\" is not an integer"},
                      BadCase{"workload=1", "\"workload\" is a message; name one of its fields"},
                      BadCase{"model.x=1", "\"model\" has no fields"},
                      BadCase{"chips=10:1:1", "needs finite LO <= HI and STEP > 0"},
                      BadCase{"chips=1:10:0", "needs finite LO <= HI and STEP > 0"},
                      BadCase{"chips=1:10:0.5", "must use integers for an integer field"},
                      BadCase{"users=1:100000000:1", "at most 1000000"},
                      BadCase{"input_len=lognormal:x", "--axis input_len"},
                      BadCase{"model=", "axis has no values"},
                      BadCase{"model=llama\xff", "--axis model: value is not valid UTF-8"}));

}  // namespace
}  // namespace etchsim::sweep
