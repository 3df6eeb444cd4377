#include "cost/availability.h"

#include <cmath>

#include "cost/tco.h"
#include "gtest/gtest.h"

namespace etchsim::cost {
namespace {

// R1 on 30 hard-wired cards: three servers of ten, 34 physical links.
AvailabilityInputs R1(int spares) {
  AvailabilityInputs in;
  in.chips = 30;
  in.servers = 3;
  in.cards_per_server = 10;
  in.links = 34;
  in.spares = spares;
  in.rates = HardwiredDefaultRates();
  in.card_price_usd = 3000;
  in.server_price_usd = 20000;
  in.it_power_w = 9000;
  in.output_tokens_per_s = 100000;
  return in;
}

TEST(AvailabilityTest, DefaultRatesComeFromTheLlama3Counts) {
  const FailureRates r = HardwiredDefaultRates();
  // 190 chip-class interruptions over 16,384 GPUs x 1,296 h.
  EXPECT_NEAR(r.chip_fit, 190 / (16384.0 * 1296) * 1e9, 1e-6);
  EXPECT_NEAR(r.server_fit, 102 / (2048.0 * 1296) * 1e9, 1e-6);
  EXPECT_EQ(r.hbm_fit, 0);
  // Every class together is the 419 less HBM's 72, per GPU slot.
  const double per_gpu = r.chip_fit + r.card_fit + r.link_fit + r.server_fit / 8;
  EXPECT_NEAR(per_gpu, (419 - 72) / (16384.0 * 1296) * 1e9, 1e-6);
}

TEST(AvailabilityTest, SeriesSystemByHand) {
  AvailabilityInputs in = R1(0);
  in.rates = {.chip_fit = 1e4, .card_fit = 0, .server_fit = 0, .link_fit = 0};
  in.card_replace_h = 24;
  auto r = ComputeAvailability(in);
  ASSERT_TRUE(r.ok()) << r.status();
  // 30 chips x 1e-5/h = 3e-4/h: 2.63 failures a year, each 24 h down.
  const double failures = 30 * 1e4 * 1e-9 * kHoursPerYear;
  EXPECT_NEAR(r->failures_per_year, failures, 1e-9);
  EXPECT_NEAR(r->downtime_h_per_year, failures * 24, 1e-9);
  EXPECT_NEAR(r->availability, 1 / (1 + failures * 24 / kHoursPerYear), 1e-12);
  EXPECT_EQ(r->p_spare_on_hand, 0);
}

TEST(AvailabilityTest, SparesCutCardDowntimeToTheTakeover) {
  auto none = ComputeAvailability(R1(0));
  auto one = ComputeAvailability(R1(1));
  auto ten = ComputeAvailability(R1(10));
  auto eleven = ComputeAvailability(R1(11));
  ASSERT_TRUE(none.ok() && one.ok() && ten.ok() && eleven.ok());
  EXPECT_GT(one->availability, none->availability);
  EXPECT_GT(one->p_spare_on_hand, 0.99);
  // Ten spares cover a whole server unless a card is out meanwhile (0.7%);
  // eleven almost always: server downtime becomes a takeover.
  EXPECT_LT(ten->classes[2].hours_per_failure, one->classes[2].hours_per_failure);
  EXPECT_NEAR(ten->classes[2].hours_per_failure, 0.99337 * 60 / 3600 + 0.00663 * 2, 1e-4);
  EXPECT_NEAR(eleven->classes[2].hours_per_failure, 60.0 / 3600, 1e-4);
  // More spares cost more hardware.
  EXPECT_GT(ten->capex_usd_per_year, one->capex_usd_per_year);
  EXPECT_EQ(one->spare_servers, 1);
}

TEST(AvailabilityTest, CostPerDeliveredToken) {
  auto r = ComputeAvailability(R1(1));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->total_usd_per_year,
              r->capex_usd_per_year + r->energy_usd_per_year + r->replacement_usd_per_year, 1e-6);
  EXPECT_NEAR(r->usd_per_million_tokens,
              r->total_usd_per_year / (1e5 * r->availability * kHoursPerYear * 3600) * 1e6, 1e-9);
}

TEST(AvailabilityTest, RejectsBadInputs) {
  AvailabilityInputs in = R1(1);
  in.rates.chip_fit = std::nan("");
  EXPECT_NE(ComputeAvailability(in).status().message().find("--chip-fit"), std::string::npos);
  in = R1(-1);
  EXPECT_NE(ComputeAvailability(in).status().message().find("--spares"), std::string::npos);
  in = R1(1);
  in.card_replace_h = 1e9;
  EXPECT_NE(ComputeAvailability(in).status().message().find("--card-replace-h"), std::string::npos);
}

// The largest scenario, 4,096 chips on two-level with one card per server,
// has 8,193 links; a count past the bound names what it is made from.
TEST(AvailabilityTest, TakesTheLargestClusterAndNamesCountsItRefuses) {
  AvailabilityInputs in = R1(1);
  in.chips = 4096;
  in.servers = 4096;
  in.cards_per_server = 1;
  in.links = 8193;
  in.spares = kMaxSpares;
  EXPECT_TRUE(ComputeAvailability(in).ok());
  in.links = kMaxClusterCount + 1;
  EXPECT_EQ(ComputeAvailability(in).status().message(),
            "links (the topology's physical links) must be in [0, 1048576], got 1048577");
  in.links = 8193;
  in.spares = kMaxSpares + 1;
  EXPECT_EQ(ComputeAvailability(in).status().message(),
            "--spares (spare cards, at most a cluster's worth) must be in [0, 4096], got 4097");
}

}  // namespace
}  // namespace etchsim::cost
