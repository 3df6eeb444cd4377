#include "silicon/reference.h"

#include "chip/chip_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/zoo.h"
#include "silicon/derive.h"
#include "silicon/silicon.h"

namespace etchsim::silicon {
namespace {

using ::testing::HasSubstr;

TEST(DesignReference, OverridesApplyInOrderAndNameTheChip) {
  absl::StatusOr<v1::ChipDesign> d = DesignFromReference("@hc1+kv_sram_mb=512+node=N5");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->kv_sram_bytes(), int64_t{512} << 20);
  EXPECT_EQ(d->node(), "N5");
  absl::StatusOr<v1::ChipSpec> spec = LoadChip("@hc1+kv_sram_mb=512+node=N5");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name(), "@hc1+kv_sram_mb=512+node=N5");
  EXPECT_EQ(spec->kv_capacity_bytes(), int64_t{512} << 20);
  // An exponent's '+' is part of the number.
  EXPECT_DOUBLE_EQ(DesignFromReference("@hc1+rom_density=6e+07+node=N5")->rom_bits_per_mm2(), 6e7);
  // A later value of the same field wins.
  EXPECT_EQ(DesignFromReference("@hc1+node=N5+node=N3")->node(), "N3");
}

TEST(DesignReference, PlainNamesStayPresets) {
  absl::StatusOr<v1::ChipSpec> preset = LoadChip("hc1");
  ASSERT_TRUE(preset.ok());
  EXPECT_DOUBLE_EQ(preset->cost().card_price_usd(), 2000);  // the hand-set preset
  absl::StatusOr<v1::ChipSpec> derived = LoadChip("@hc1");
  ASSERT_TRUE(derived.ok());
  // Same timing and KV as the preset; price and power derived.
  EXPECT_EQ(derived->hardwired().SerializeAsString(), preset->hardwired().SerializeAsString());
  EXPECT_EQ(derived->kv_capacity_bytes(), preset->kv_capacity_bytes());
  EXPECT_NEAR(static_cast<double>(derived->weight_capacity_bytes()),
              static_cast<double>(preset->weight_capacity_bytes()), 2e6);
  EXPECT_NE(derived->cost().card_price_usd(), 2000);
}

TEST(DesignReference, NodeOverridesMoveTheCost) {
  model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  DerivedDesign base = *Derive(*LoadDesign("hc1"), m);
  DerivedDesign dear = *Derive(*DesignFromReference("@hc1+wafer_price_usd=18692"), m);
  // Twice the wafer price: twice the cost per good die.
  EXPECT_NEAR(dear.cost_per_good_die_usd, 2 * base.cost_per_good_die_usd, 1e-6);
  DerivedDesign dirty = *Derive(*DesignFromReference("@hc1+defect_density=0.2"), m);
  EXPECT_LT(dirty.yield, base.yield);
  // Any node field by node.FIELD: twice the leakage adds the die's share.
  DerivedDesign leaky = *Derive(*DesignFromReference("@hc1+node.leakage_w_per_mm2=0.12"), m);
  EXPECT_NEAR(leaky.idle_watts - base.idle_watts, 0.06 * base.area.per_die_mm2 / 0.9, 1e-6);
}

TEST(DesignReference, BadReferencesNameTheReference) {
  for (const auto& [ref, want] : std::vector<std::pair<std::string, std::string>>{
           {"@", "no design after '@'"},
           {"@hc9", "unknown design \"hc9\""},
           {"@hc1+x", "\"x\" is not FIELD=VALUE"},
           {"@hc1+frobs=1", "unknown design field \"frobs\""},
           {"@hc1+kv_sram_mb=-1", "kv_sram_mb must be a finite number in [0, 1.04858e+06]"},
           {"@hc1+params_per_chip=1.5", "params_per_chip must be an integer, got \"1.5\""},
           {"@hc1+model=", "model is empty"},
       }) {
    absl::StatusOr<v1::ChipSpec> s = LoadChip(ref);
    ASSERT_FALSE(s.ok()) << ref;
    // Both are bad input (exit 2).
    EXPECT_TRUE(s.status().code() == absl::StatusCode::kInvalidArgument ||
                s.status().code() == absl::StatusCode::kNotFound)
        << ref << " " << s.status();
    EXPECT_THAT(s.status().message(), HasSubstr(want)) << ref;
    EXPECT_THAT(s.status().message(), HasSubstr(absl::StrCat("chip ", ref))) << ref;
  }
}

}  // namespace
}  // namespace etchsim::silicon
