#include "silicon/derive.h"

#include <cmath>
#include <functional>

#include "chip/chip_spec.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"
#include "silicon/silicon.h"

namespace etchsim::silicon {
namespace {

using ::testing::HasSubstr;

v1::ProcessNode N6() { return *FindNode("N6"); }

TEST(SiliconFormulas, GrossDiesPerWaferByHand) {
  // 300 mm wafer, 815 mm2: pi 150^2 / 815 = 86.73, pi 300 / sqrt(1630) =
  // 23.34, floor(63.38) = 63.
  EXPECT_EQ(GrossDiesPerWafer(300, 815), 63);
  // 100 mm2: 706.86 - 66.64 = 640.2 -> 640.
  EXPECT_EQ(GrossDiesPerWafer(300, 100), 640);
  EXPECT_EQ(GrossDiesPerWafer(300, 70000), 0);  // past the wafer
  EXPECT_EQ(GrossDiesPerWafer(300, 0), 0);
}

TEST(SiliconFormulas, NegativeBinomialYieldByHand) {
  // 815 mm2 = 8.15 cm2 at D0 0.09, alpha 3: (1 + 0.7335 / 3)^-3 = 1.2445^-3
  // = 0.5188.
  EXPECT_NEAR(NegativeBinomialYield(815, 0.09, 3), 0.5188, 1e-4);
  EXPECT_DOUBLE_EQ(NegativeBinomialYield(815, 0, 3), 1.0);
  // alpha -> infinity tends to Poisson exp(-A D0).
  EXPECT_NEAR(NegativeBinomialYield(100, 0.1, 1e6), std::exp(-0.1), 1e-6);
}

TEST(SiliconFormulas, SramAndLogicAreaByHand) {
  // 256 MiB = 2,147,483,648 bits x 0.027 um2 / 0.67 = 86.54 mm2.
  EXPECT_NEAR(SramAreaMm2(2147483648.0, N6()), 86.54, 0.01);
  // 1e9 transistors / (107.6 MTr/mm2 x 0.6) = 15.49 mm2.
  EXPECT_NEAR(LogicAreaMm2(1e9, N6()), 15.49, 0.01);
}

// The calibration table of docs/silicon.md §2: the derived HC1 against the
// published chip.
TEST(SiliconDesign, Hc1ReproducesThePublishedChip) {
  absl::StatusOr<v1::ChipDesign> d = LoadDesign("hc1");
  ASSERT_TRUE(d.ok()) << d.status();
  absl::StatusOr<model::ModelSpec> m = model::LoadModel("llama-3.1-8b");
  ASSERT_TRUE(m.ok());
  absl::StatusOr<DerivedDesign> h = Derive(*d, *m);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_NEAR(h->area.per_die_mm2, 815, 815 * 0.10);  // by construction: the density
  EXPECT_EQ(h->dies_per_package, 1);
  EXPECT_NEAR(h->transistors, 53e9, 53e9 * 0.20);  // a check
  EXPECT_NEAR(h->active_watts, 200, 200 * 0.15);   // the power calibration
  EXPECT_EQ(h->chips_for_model, 1);                // Llama 3.1 8B fits
  // ROM: 8,030,261,248 x 1.025 params at 3.5 bits = 3.60 GB, as the preset.
  EXPECT_NEAR(static_cast<double>(h->rom_bytes), 3.60e9, 0.01e9);
  // Wafer: 63 gross dies, yield 0.519 at D0 0.09: 32.7 good, $286 each.
  EXPECT_EQ(h->dies_per_wafer, 63);
  EXPECT_NEAR(h->cost_per_good_die_usd, 9346 / (63 * 0.5188), 1.0);
  // Card: die + $30 test + $150 package + $300 board, at a 60% margin.
  EXPECT_NEAR(h->card_price_usd, (h->cost_per_good_die_usd + 480) / 0.4, 1e-6);
  // NRE: 2 masks x ($12M / 80) + 25 wafers x $9,346.
  EXPECT_NEAR(h->nre_usd, 2 * 150000.0 + 25 * 9346.0, 1e-6);
  // The ChipSpec it implies holds what the preset holds.
  EXPECT_EQ(h->spec.weight_capacity_bytes(), h->rom_bytes);
  EXPECT_EQ(h->spec.kv_capacity_bytes(), 268435456);
  EXPECT_DOUBLE_EQ(h->spec.hardwired().pe_scan_cycles(), 361);
}

TEST(SiliconDesign, RomDensityIsTheDieLessEveryOtherBlock) {
  v1::ChipDesign d = *LoadDesign("hc1");
  absl::StatusOr<double> density = RomDensityFromDie(d, N6(), 815);
  ASSERT_TRUE(density.ok()) << density.status();
  // By hand: params 8,230,017,780 (x 1.025, ceil), ROM 3,600,632,779 bytes
  // = 28.805 Gbit; PEs ceil(params / 65536) = 125,580, lanes x 65536 / 361
  // = 22.80M, PE logic 22.80M x 250 x 1.15 = 6.554e9 T = 101.5 mm2;
  // attention 65536 x 4000 = 2.621e8 T = 4.06 mm2; SRAM 86.54 mm2; I/O 15 +
  // 16 x 0.35 = 20.6 mm2. ROM = 815 x 0.9 - 20.6 - 86.54 - 101.5 - 4.06 =
  // 520.8 mm2 -> 55.3 Mbit/mm2.
  EXPECT_NEAR(*density / 1e6, 55.3, 0.2);
  // Scaled by logic density on N3 (274.1 / 107.6).
  absl::StatusOr<double> n3 = DefaultRomDensity(*FindNode("N3"));
  ASSERT_TRUE(n3.ok());
  EXPECT_NEAR(*n3 / *density, 274.1 / 107.6, 1e-9);
}

TEST(SiliconDesign, Hc2IsDerivedNotAsserted) {
  v1::ChipDesign d = *LoadDesign("hc2");
  model::ModelSpec r1 = *model::LoadModel("deepseek-r1");
  absl::StatusOr<DerivedDesign> h = Derive(d, r1);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_LE(h->area.per_die_mm2, 858);
  EXPECT_GE(h->dies_per_package, 1);
  // The same ROM as the hc2 preset, so the same smallest plan.
  absl::StatusOr<partitioner::ChipCapacity> cap = chip::CapacityOf(*chip::LoadChipSpec("hc2"));
  ASSERT_TRUE(cap.ok());
  EXPECT_EQ(h->rom_bytes, cap->weight_capacity_bytes);
  EXPECT_EQ(h->chips_for_model, partitioner::Partition(r1, *cap, "auto", {})->num_chips());
  // On N6 at HC1's density the ROM alone (24e9 x 4.25 bits / 55.3 Mbit/mm2
  // = 1,844 mm2) needs several dies: one die is refused with what fits.
  d.set_node("N6");
  d.set_dies_per_package(1);
  absl::StatusOr<DerivedDesign> n6 = Derive(d, r1);
  ASSERT_FALSE(n6.ok());
  EXPECT_THAT(n6.status().message(), HasSubstr("exceeds the reticle limit of 858 mm2 on N6"));
  EXPECT_THAT(n6.status().message(), HasSubstr("dies per package"));
  EXPECT_THAT(n6.status().message(), HasSubstr("parameters per chip"));
}

TEST(SiliconDesign, ExternalMemoryHoldsTheKvAndSetsItsBandwidth) {
  v1::ChipDesign d = *LoadDesign("hc1");
  v1::ExternalMemory* mem = d.mutable_external_memory();
  mem->set_kind("lpddr5x");
  mem->set_capacity_bytes(int64_t{32} << 30);
  mem->set_bandwidth_bytes_per_s(273e9);
  mem->set_energy_pj_per_bit(4);
  mem->set_price_usd(120);
  mem->set_watts_idle(1);
  mem->set_phy_mm2(12);
  d.set_rom_bits_per_mm2(55.3e6);
  model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  absl::StatusOr<DerivedDesign> h = Derive(d, m);
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(h->spec.kv_capacity_bytes(), int64_t{32} << 30);
  EXPECT_NEAR(h->spec.hardwired().kv_read_bytes_per_cycle(), 273.0, 1e-9);  // 273 GB/s at 1 GHz
  absl::StatusOr<DerivedDesign> base = Derive(*LoadDesign("hc1"), m);
  ASSERT_TRUE(base.ok());
  EXPECT_GT(h->card_price_usd, base->card_price_usd);
  EXPECT_GT(h->active_watts, base->active_watts);
}

TEST(SiliconDesign, BadFieldsNameTheField) {
  const model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  struct Case {
    std::function<void(v1::ChipDesign&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::ChipDesign& d) { d.set_node("N1"); }, "node"},
      {[](v1::ChipDesign& d) { d.set_rom_bits_per_mm2(-1); }, "rom_bits_per_mm2"},
      {[](v1::ChipDesign& d) { d.set_rom_bits_per_mm2(NAN); }, "rom_bits_per_mm2"},
      {[](v1::ChipDesign& d) { d.set_rom_bits_per_mm2(INFINITY); }, "rom_bits_per_mm2"},
      {[](v1::ChipDesign& d) { d.mutable_timing()->set_clock_ghz(0); }, "timing.clock_ghz"},
      {[](v1::ChipDesign& d) { d.mutable_energy()->set_vr_efficiency(0); }, "energy.vr_efficiency"},
      {[](v1::ChipDesign& d) { d.mutable_card()->set_gross_margin(1); }, "card.gross_margin"},
      {[](v1::ChipDesign& d) { d.set_kv_dtype("int3"); }, "kv_dtype"},
      {[](v1::ChipDesign& d) { d.set_weight_format("fp3"); }, "weight_format"},
      {[](v1::ChipDesign& d) { d.set_dies_per_package(-1); }, "dies_per_package"},
      {[](v1::ChipDesign& d) {
         d.mutable_external_memory()->set_capacity_bytes(1 << 30);
         d.mutable_external_memory()->set_bandwidth_bytes_per_s(0);
       },
       "external_memory.bandwidth_bytes_per_s"},
  };
  for (const Case& c : cases) {
    v1::ChipDesign d = *LoadDesign("hc1");
    c.mutate(d);
    absl::StatusOr<DerivedDesign> h = Derive(d, m);
    ASSERT_FALSE(h.ok()) << c.field;
    EXPECT_EQ(h.status().code(), absl::StatusCode::kInvalidArgument) << c.field;
    EXPECT_THAT(h.status().message(), HasSubstr(c.field)) << h.status();
  }
}

TEST(SiliconDesign, AYieldThatRoundsToZeroIsRefused) {
  v1::ChipDesign d = *LoadDesign("hc1");
  // 815 mm2 at D0 100/cm2: (1 + 8.15 x 100 / 3)^-3 = 5e-8.
  d.mutable_node_override()->set_defect_density_per_cm2(100);
  absl::StatusOr<DerivedDesign> h = Derive(d, *model::LoadModel("llama-3.1-8b"));
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("no good die"));
  // A budget above the reticle does not lift it.
  d = *LoadDesign("hc1");
  d.set_die_area_budget_mm2(5000);
  d.set_kv_sram_bytes(int64_t{2} << 30);
  h = Derive(d, *model::LoadModel("llama-3.1-8b"));
  ASSERT_FALSE(h.ok());
  EXPECT_THAT(h.status().message(), HasSubstr("exceeds the reticle limit of 858 mm2"));
}

TEST(SiliconNodes, BundledNodesValidate) {
  absl::StatusOr<v1::ProcessNodes> nodes = BundledNodes();
  ASSERT_TRUE(nodes.ok()) << nodes.status();
  EXPECT_EQ(nodes->nodes_size(), 7);
  EXPECT_THAT(FindNode("N1").status().message(), HasSubstr("N16, N7, N6, N5, N4, N3, N2"));
  v1::ProcessNode n = N6();
  n.set_wafer_price_usd(0);
  EXPECT_THAT(ValidateNode(n, "x").message(), HasSubstr("wafer_price_usd"));
}

}  // namespace
}  // namespace etchsim::silicon
