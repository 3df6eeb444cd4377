#include "cost/energy.h"

#include "gtest/gtest.h"

namespace etchsim::cost {
namespace {

v1::ChipSpec Chip() {
  v1::ChipSpec c;
  c.mutable_power()->set_idle_watts(50);
  c.mutable_power()->set_active_watts(250);
  c.mutable_power()->set_server_overhead_watts(500);
  c.mutable_cost()->set_card_price_usd(3000);
  c.mutable_cost()->set_server_price_usd(10000);
  return c;
}

TEST(EnergyTest, IdleAllAlongPlusActiveWhileBusy) {
  // 2 devices x (50 W x 10 s + 200 W x 4 s) = 2 x 1300 J.
  EXPECT_DOUBLE_EQ(DeviceEnergyJoules(Chip(), 2, 10, 4), 2600);
  EXPECT_DOUBLE_EQ(DeviceEnergyJoules(Chip(), 1, 10, 0), 500);
  EXPECT_DOUBLE_EQ(DeviceEnergyJoules(Chip(), 1, 10, 10), 2500);
}

TEST(EnergyTest, ServersAddTheirOverheadThroughout) {
  EXPECT_DOUBLE_EQ(ItEnergyJoules(2600, 3, 500, 10), 2600 + 15000);
}

TEST(EnergyTest, ScenarioOverridesChipFigures) {
  v1::Scenario s;
  EXPECT_DOUBLE_EQ(ServerOverheadWatts(s, Chip()), 500);
  s.mutable_cost()->set_server_overhead_watts(800);
  EXPECT_DOUBLE_EQ(ServerOverheadWatts(s, Chip()), 800);

  s.mutable_cost()->set_amortization_years(4);
  s.mutable_cost()->set_pue(1.2);
  s.mutable_cost()->set_electricity_usd_per_kwh(0.08);
  CostInputs ci = CostInputsFor(s, Chip(), 30, 3);
  EXPECT_EQ(ci.devices, 30);
  EXPECT_EQ(ci.servers, 3);
  EXPECT_DOUBLE_EQ(ci.device_price_usd, 3000);
  EXPECT_DOUBLE_EQ(ci.server_price_usd, 10000);
  EXPECT_DOUBLE_EQ(ci.amortization_years, 4);
  EXPECT_DOUBLE_EQ(ci.pue, 1.2);
  EXPECT_DOUBLE_EQ(ci.electricity_usd_per_kwh, 0.08);
  s.mutable_cost()->set_card_price_usd(2000);
  s.mutable_cost()->set_server_price_usd(5000);
  ci = CostInputsFor(s, Chip(), 30, 3);
  EXPECT_DOUBLE_EQ(ci.device_price_usd, 2000);
  EXPECT_DOUBLE_EQ(ci.server_price_usd, 5000);
}

}  // namespace
}  // namespace etchsim::cost
