#include "cost/tco.h"

#include "gtest/gtest.h"

namespace etchsim::cost {
namespace {

TEST(TcoTest, HandComputedExample) {
  // 30 cards at $3,000 + 3 servers at $10,000 = $120,000 over 3 years:
  // 120000 / (3 x 8766) = $4.563/h. 9 kW IT x 1.3 PUE x $0.10 = $1.17/h.
  // At 12,000 tok/s = 43.2M tok/h: (4.563 + 1.17) / 43.2 = $0.1327/M.
  CostInputs in;
  in.devices = 30;
  in.servers = 3;
  in.device_price_usd = 3000;
  in.server_price_usd = 10000;
  in.amortization_years = 3;
  in.electricity_usd_per_kwh = 0.10;
  in.pue = 1.3;
  in.it_power_watts = 9000;
  in.output_tokens_per_s = 12000;
  auto c = ComputeCost(in);
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->capex_usd, 120000);
  EXPECT_NEAR(c->capex_usd_per_hour, 120000.0 / (3 * 8766.0), 1e-9);
  EXPECT_NEAR(c->energy_usd_per_hour, 1.17, 1e-12);
  EXPECT_NEAR(c->usd_per_million_tokens, (120000.0 / (3 * 8766.0) + 1.17) / (12000 * 3600.0) * 1e6,
              1e-12);
}

TEST(TcoTest, NoTokensNoCostPerToken) {
  CostInputs in;
  in.devices = 1;
  in.device_price_usd = 1;
  EXPECT_EQ(ComputeCost(in)->usd_per_million_tokens, 0.0);
  in.pue = 0.5;
  EXPECT_FALSE(ComputeCost(in).ok());
}

}  // namespace
}  // namespace etchsim::cost
