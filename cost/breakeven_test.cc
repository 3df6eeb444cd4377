#include "cost/breakeven.h"

#include <cmath>
#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::cost {
namespace {

// 1,000 tok/s of demand. One hard-wired replica serves it ($10/h committed,
// $2/h running); GPUs need two replicas of 500 tok/s at $8/h rent each.
BreakevenInputs Example() {
  BreakevenInputs in;
  in.demand_tokens_per_s = 1000;
  in.hardwired = {.tokens_per_s = 1000, .committed_usd_per_hour = 10, .running_usd_per_hour = 2};
  in.gpu = {.tokens_per_s = 500, .committed_usd_per_hour = 0, .running_usd_per_hour = 8};
  in.nre = {.masks_changed = 2, .usd_per_mask = 150000, .engineering_usd = 0};
  in.lead_time_months = 2;
  in.commitment_months = 12;
  in.monthly_hazard = 0;
  in.horizon_months = 36;
  return in;
}

TEST(NreTermsTest, EveryDistinctDieHasItsMasksAndAtLeastOneWafer) {
  // 30 chips of R1: 30 ROM dies, 2 changed masks each; the 25-wafer lot
  // becomes 30 wafers (one per die), none when the first lot ships.
  NreTerms n{.masks_changed = 2,
             .usd_per_mask = 150000,
             .wafer_run_wafers = 25,
             .usd_per_wafer = 9346,
             .engineering_usd = 1000,
             .distinct_dies = 30};
  EXPECT_DOUBLE_EQ(n.Masks(), 2.0 * 30 * 150000);
  EXPECT_EQ(n.WaferRunWafers(), 30);
  EXPECT_DOUBLE_EQ(n.Total(), 9e6 + 30 * 9346.0 + 1000);
  n.wafer_run_wafers = 0;
  EXPECT_DOUBLE_EQ(n.WaferRun(), 0);
  n.distinct_dies = 1;
  n.wafer_run_wafers = 25;
  EXPECT_DOUBLE_EQ(n.Total(), 300000 + 25 * 9346.0 + 1000);  // one chip: as before
}

TEST(BreakevenTest, HandComputedCosts) {
  const BreakevenInputs in = Example();
  const double h = kHoursPerMonth;  // 730.5
  // Replaced after 1 month: NRE, a month of GPUs, and the whole commitment.
  EXPECT_NEAR(HardwiredCostUsd(in, 1), 300000 + 16 * h + 10 * 12 * h, 1e-6);
  // 24 months: 2 of GPUs, 22 of silicon (past the 12-month commitment).
  EXPECT_NEAR(HardwiredCostUsd(in, 24), 300000 + 16 * 2 * h + (10 + 2) * 22 * h, 1e-6);
  EXPECT_NEAR(GpuCostUsd(in, 24), 16 * 24 * h, 1e-6);
}

TEST(BreakevenTest, WaferRunIsPartOfTheNre) {
  BreakevenInputs in = Example();
  in.nre.wafer_run_wafers = 25;
  in.nre.usd_per_wafer = 9346;
  in.nre.engineering_usd = 1000;
  EXPECT_DOUBLE_EQ(in.nre.WaferRun(), 233650);
  EXPECT_DOUBLE_EQ(in.nre.Total(), 300000 + 233650 + 1000);
  const double h = kHoursPerMonth;
  EXPECT_NEAR(HardwiredCostUsd(in, 1), 534650 + 16 * h + 10 * 12 * h, 1e-6);
}

TEST(BreakevenTest, BreakevenLifeMatchesTheClosedForm) {
  BreakevenInputs in = Example();
  in.nre.masks_changed = 0;
  // For 2 < m <= 14: 32h + 120h + 2h (m - 2) = 16h m  =>  m = 148 / 14.
  auto r = Breakeven(in);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->breakeven_life_months.has_value());
  EXPECT_NEAR(*r->breakeven_life_months, 148.0 / 14.0, 1e-6);
  // With the $300k of masks the break-even is past 36 months.
  auto with_nre = Breakeven(Example());
  ASSERT_TRUE(with_nre.ok());
  EXPECT_FALSE(with_nre->breakeven_life_months.has_value());
}

TEST(BreakevenTest, ZeroHazardIsTheFullHorizonAndRisingHazardHurtsHardwired) {
  BreakevenInputs in = Example();
  in.nre.masks_changed = 0;
  const Expected e0 = ExpectedCost(in);
  const double tokens_m = 1000 * 3600.0 * kHoursPerMonth * 36 / 1e6;
  EXPECT_NEAR(e0.hardwired_usd_per_million, HardwiredCostUsd(in, 36) / tokens_m, 1e-9);
  EXPECT_NEAR(e0.expected_life_months, 36, 1e-9);
  in.monthly_hazard = 0.2;
  const Expected e1 = ExpectedCost(in);
  EXPECT_LT(e1.expected_life_months, 36);
  EXPECT_GT(e1.hardwired_usd_per_million / e1.gpu_usd_per_million,
            e0.hardwired_usd_per_million / e0.gpu_usd_per_million);
  auto r = Breakeven(in);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->breakeven_hazard.has_value());
  // At the break-even hazard the two expected costs meet.
  BreakevenInputs at = in;
  at.monthly_hazard = *r->breakeven_hazard;
  const Expected e = ExpectedCost(at);
  EXPECT_NEAR(e.hardwired_usd_per_million / e.gpu_usd_per_million, 1.0, 1e-6);
}

TEST(BreakevenTest, BreakevenDemandWithNre) {
  BreakevenInputs in = Example();
  auto r = Breakeven(in);
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r->breakeven_demand_tokens_per_s.has_value());
  BreakevenInputs at = in;
  at.demand_tokens_per_s = *r->breakeven_demand_tokens_per_s * 1.01;
  const Expected above = ExpectedCost(at);
  EXPECT_LE(above.hardwired_usd_per_million, above.gpu_usd_per_million);
  at.demand_tokens_per_s = *r->breakeven_demand_tokens_per_s * 0.9;
  const Expected below = ExpectedCost(at);
  EXPECT_GT(below.hardwired_usd_per_million, below.gpu_usd_per_million);
}

struct Bad {
  std::function<void(BreakevenInputs&)> edit;
  std::string message;
};

TEST(BreakevenTest, BadInputsNameTheField) {
  const std::vector<Bad> cases = {
      {[](BreakevenInputs& i) { i.demand_tokens_per_s = 0; }, "demand must be > 0"},
      {[](BreakevenInputs& i) { i.demand_tokens_per_s = -5; }, "demand must be > 0"},
      {[](BreakevenInputs& i) { i.monthly_hazard = 1; }, "hazard must be in [0, 1)"},
      {[](BreakevenInputs& i) { i.monthly_hazard = -0.1; }, "hazard must be in [0, 1)"},
      {[](BreakevenInputs& i) { i.horizon_months = 0; }, "horizon must be > 0"},
      {[](BreakevenInputs& i) { i.lead_time_months = -1; }, "lead time must be >= 0"},
      {[](BreakevenInputs& i) { i.gpu.tokens_per_s = 0; }, "GPU replica serves no tokens"},
      {[](BreakevenInputs& i) { i.nre.usd_per_mask = -1; }, "NRE"},
      {[](BreakevenInputs& i) { i.nre.wafer_run_wafers = -1; }, "NRE"},
      {[](BreakevenInputs& i) { i.nre.usd_per_wafer = std::nan(""); }, "NRE"},
  };
  for (const Bad& c : cases) {
    BreakevenInputs in = Example();
    c.edit(in);
    auto r = Breakeven(in);
    ASSERT_FALSE(r.ok()) << c.message;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(r.status().message()), ::testing::HasSubstr(c.message));
  }
}

}  // namespace
}  // namespace etchsim::cost
