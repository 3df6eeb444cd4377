#include "sim/scenario.h"

#include "gtest/gtest.h"
#include "sim/scenario_validate.h"

namespace etchsim::sim {
namespace {

TEST(ScenarioTest, DefaultIsValid) {
  v1::Scenario s = DefaultScenario();
  EXPECT_TRUE(ValidateScenario(s).ok());
  EXPECT_EQ(s.model(), "deepseek-r1");
  EXPECT_EQ(s.chips(), 30);
  EXPECT_EQ(s.workload().closed_loop().users(), 1);
  EXPECT_EQ(s.workload().input_len().fixed(), 1024);
}

TEST(ScenarioTest, PartialFileGetsDefaults) {
  auto s = ParseScenario("model: \"llama-3.1-8b\" workload { poisson { rate_per_s: 5 } }", "x");
  ASSERT_TRUE(s.ok()) << s.status();
  ApplyDefaults(*s);
  EXPECT_TRUE(ValidateScenario(*s).ok());
  EXPECT_EQ(s->chip(), "hc2");
  EXPECT_EQ(s->workload().output_len().fixed(), 1024);
  EXPECT_EQ(s->max_requests(), 10);
}

struct Bad {
  std::string name, text, message;
};
void PrintTo(const Bad& b, std::ostream* os) { *os << b.name; }
class BadScenarioTest : public ::testing::TestWithParam<Bad> {};

TEST_P(BadScenarioTest, NamesTheField) {
  auto s = ParseScenario(GetParam().text, "bad.textproto");
  ASSERT_TRUE(s.ok()) << s.status();
  ApplyDefaults(*s);
  EXPECT_EQ(std::string(ValidateScenario(*s).message()), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Scenario, BadScenarioTest,
    ::testing::Values(
        Bad{"NegativeChips", "chips: -2", "scenario: chips must be in [0, 4096], got -2"},
        Bad{"ZeroUsers", "workload { closed_loop { users: 0 } }",
            "scenario: workload.closed_loop.users must be in [1, 100000], got 0"},
        Bad{"ZeroRate", "workload { poisson { rate_per_s: 0 } }",
            "scenario: workload.poisson.rate_per_s must be a finite number in [0.001, 1e+06], got "
            "0"},
        Bad{"UniformBackwards", "workload { input_len { uniform { min: 10 max: 5 } } }",
            "scenario: workload.input_len uniform needs 1 <= min <= max, got [10, 5]"},
        Bad{"Acceptance", "speculative { draft_len: 2 acceptance_rate: 1.5 }",
            "scenario: speculative.acceptance_rate must be a finite number in [0, 1], got 1.5"},
        Bad{"Pue", "cost { pue: 0.5 }",
            "scenario: cost.pue must be a finite number in [1, 10], got 0.5"},
        Bad{"Warmup", "duration_s: 1 warmup_s: 2",
            "scenario: warmup_s must be < duration_s (1), got 2"},
        Bad{"RampUpNegative", "workload { closed_loop { users: 2 ramp_up_s: -1 } }",
            "scenario: workload.closed_loop.ramp_up_s must be in [0, 86400] s, got -1"},
        Bad{"RampUpNan", "workload { closed_loop { users: 2 ramp_up_s: nan } }",
            "scenario: workload.closed_loop.ramp_up_s must be in [0, 86400] s, got nan"},
        Bad{"RampUpHuge", "workload { closed_loop { users: 2 ramp_up_s: 1e300 } }",
            "scenario: workload.closed_loop.ramp_up_s must be in [0, 86400] s, got 1e+300"},
        Bad{"RampUpInf", "workload { closed_loop { users: 2 ramp_up_s: inf } }",
            "scenario: workload.closed_loop.ramp_up_s must be in [0, 86400] s, got inf"},
        Bad{"RampUpPastDuration",
            "duration_s: 2 max_requests: 0 workload { closed_loop { users: 2 ramp_up_s: 3 } }",
            "scenario: workload.closed_loop.ramp_up_s must be < duration_s (2), got 3"}),
    [](const auto& info) { return info.param.name; });

TEST(ScenarioTest, SyntaxErrorsHavePositions) {
  auto s = ParseScenario("model: \"x\"\nchips: many\n", "s.textproto");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.status().message()).find("s.textproto: line 2, column"),
            std::string::npos)
      << s.status();
}

TEST(ScenarioTest, LengthSpecs) {
  EXPECT_EQ(ParseLengthDist("512", "--input-len")->fixed(), 512);
  auto u = ParseLengthDist("uniform:10:20", "--input-len");
  EXPECT_EQ(u->uniform().min(), 10);
  auto l = ParseLengthDist("lognormal:1000:0.5:8000", "--output-len");
  EXPECT_EQ(l->lognormal().max(), 8000);
  EXPECT_EQ(MaxOf(*l), 8000);
  EXPECT_EQ(std::string(ParseLengthDist("0", "--input-len").status().message()),
            "--input-len: must be >= 1, got 0");
  EXPECT_EQ(std::string(ParseLengthDist("zipf:3", "--input-len").status().message()),
            "--input-len: unknown form, got \"zipf:3\" (use N, uniform:MIN:MAX or "
            "lognormal:MEDIAN:SIGMA[:MAX])");
}

}  // namespace
}  // namespace etchsim::sim
