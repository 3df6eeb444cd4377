#include "chip/chip_spec.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::chip {
namespace {

TEST(ChipSpecTest, PresetsLoadAndValidate) {
  EXPECT_EQ(PresetNames(),
            (std::vector<std::string>{"b200", "h100", "h200", "hc1", "hc2", "wse3"}));
  for (const std::string& name : PresetNames()) {
    auto spec = LoadChipSpec(name);
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_EQ(spec->name(), name);
    EXPECT_FALSE(spec->sources().empty());
  }
  auto hc2 = CapacityOf(*LoadChipSpec("hc2"));
  ASSERT_TRUE(hc2.ok());
  EXPECT_EQ(hc2->CapParams(), 24000000000);  // 24.0B params at MXFP4
}

TEST(ChipSpecTest, ErrorsNameFileAndField) {
  auto unknown = LoadChipSpec("hc9");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("presets: b200, h100, h200, hc1, hc2, wse3"),
            std::string::npos);

  auto syntax = ParseChipSpec("name: \"x\"\nkind: HARDWIRD\n", "x.textproto");
  ASSERT_FALSE(syntax.ok());
  EXPECT_THAT(
      std::string(syntax.status().message()),
      ::testing::MatchesRegex("x\\.textproto: line [0-9]+, column [0-9]+: Unknown enumeration "
                              "value of \"HARDWIRD\" for field \"kind\"\\."));

  auto with = [](const std::string& from, const std::string& to) {
    std::string s =
        "name: \"x\" kind: ROOFLINE weight_format: \"fp4\" "
        "weight_capacity_bytes: 100 kv_dtype: \"fp8\" "
        "activation_bytes_per_element: 2 power { active_watts: 10 idle_watts: 1 } "
        "roofline { memory_bandwidth_bytes_per_s: 1e12 dense_bf16_flops: 1e15 "
        "bandwidth_efficiency: 0.8 compute_efficiency: 0.5 }";
    if (!from.empty()) s.replace(s.find(from), from.size(), to);
    return ParseChipSpec(s, "x");
  };
  EXPECT_TRUE(with("", "").ok());
  EXPECT_EQ(with("\"fp4\"", "\"fp3\"").status().ToString(),
            "INVALID_ARGUMENT: x: weight_format unknown weight format \"fp3\" (known: bf16, fp8, "
            "int4, fp4, nvfp4, hc1-3bit)");
  EXPECT_EQ(with("bytes: 100", "bytes: -5").status().ToString(),
            "INVALID_ARGUMENT: x: weight_capacity_bytes must be in [1, 1125899906842624], got -5");
  EXPECT_EQ(with("idle_watts: 1", "idle_watts: 50").status().ToString(),
            "INVALID_ARGUMENT: x: power.idle_watts must be in [0, power.active_watts], got 50");
  EXPECT_EQ(with("kind: ROOFLINE ", "").status().ToString(),
            "INVALID_ARGUMENT: x: kind must be HARDWIRED or ROOFLINE");
}

// Every roofline overhead field: zero is a valid value (no such cost);
// negative, huge and NaN are rejected with one line naming file and field.
TEST(ChipSpecTest, RooflineOverheadsAreRangeChecked) {
  const std::string base =
      "name: \"x\" kind: ROOFLINE weight_format: \"fp8\" "
      "weight_capacity_bytes: 100 kv_dtype: \"fp8\" "
      "activation_bytes_per_element: 2 power { active_watts: 10 idle_watts: 1 } ";
  // A roofline block needs its bandwidth, FLOPs and efficiencies.
  const std::string roofline =
      "roofline { memory_bandwidth_bytes_per_s: 1e12 dense_bf16_flops: 1e15 "
      "bandwidth_efficiency: 0.8 compute_efficiency: 0.5 ";
  struct Case {
    std::string value;
    bool ok;
    std::string shown;  // how the error prints the value
  };
  const std::vector<Case> cases = {{"0", true, ""},       {"250", true, ""},
                                   {"-1", false, "-1"},   {"1e12", false, "1e+12"},
                                   {"nan", false, "nan"}, {"inf", false, "inf"}};
  for (const std::string field :
       {"layer_overhead_ns", "step_overhead_ns", "dense_layer_overhead_ns", "moe_layer_overhead_ns",
        "interconnect_latency_ns", "interconnect_latency_per_peer_ns"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(field + " = " + c.value);
      auto spec = ParseChipSpec(base + roofline + field + ": " + c.value + " }", "x");
      if (c.ok) {
        EXPECT_TRUE(spec.ok()) << spec.status();
        continue;
      }
      EXPECT_EQ(spec.status().ToString(), "INVALID_ARGUMENT: x: roofline." + field +
                                              " must be a finite number in [0, 1e+09], got " +
                                              c.shown);
    }
  }
}

TEST(ChipSpecTest, MoeExpertOverlapIsAFraction) {
  const std::string base =
      "name: \"x\" kind: ROOFLINE weight_format: \"fp8\" "
      "weight_capacity_bytes: 100 kv_dtype: \"fp8\" "
      "activation_bytes_per_element: 2 power { active_watts: 10 idle_watts: 1 } ";
  // A roofline block needs its bandwidth, FLOPs and efficiencies.
  const std::string roofline =
      "roofline { memory_bandwidth_bytes_per_s: 1e12 dense_bf16_flops: 1e15 "
      "bandwidth_efficiency: 0.8 compute_efficiency: 0.5 ";
  for (const auto& [value, shown] :
       std::vector<std::pair<std::string, std::string>>{{"0", ""},
                                                        {"0.5", ""},
                                                        {"1", ""},
                                                        {"-0.1", "-0.1"},
                                                        {"1.5", "1.5"},
                                                        {"1e300", "1e+300"},
                                                        {"nan", "nan"}}) {
    SCOPED_TRACE(value);
    auto spec = ParseChipSpec(base + roofline + "moe_expert_overlap: " + value + " }", "x");
    if (shown.empty()) {
      EXPECT_TRUE(spec.ok()) << spec.status();
    } else {
      EXPECT_EQ(spec.status().ToString(),
                "INVALID_ARGUMENT: x: roofline.moe_expert_overlap must be a finite number in "
                "[0, 1], got " +
                    shown);
    }
  }
}

TEST(ChipSpecTest, AttentionQueryTileIsRangeChecked) {
  const std::string base =
      "name: \"x\" kind: ROOFLINE weight_format: \"fp8\" "
      "weight_capacity_bytes: 100 kv_dtype: \"fp8\" "
      "activation_bytes_per_element: 2 power { active_watts: 10 idle_watts: 1 } ";
  // A roofline block needs its bandwidth, FLOPs and efficiencies.
  const std::string roofline =
      "roofline { memory_bandwidth_bytes_per_s: 1e12 dense_bf16_flops: 1e15 "
      "bandwidth_efficiency: 0.8 compute_efficiency: 0.5 ";
  for (const auto& [value, error] : std::vector<std::pair<std::string, std::string>>{
           {"0", ""},
           {"128", ""},
           {"-1", "must be in [0, 65536], got -1"},
           {"100000", "must be in [0, 65536], got 100000"}}) {
    SCOPED_TRACE(value);
    auto spec = ParseChipSpec(base + roofline + "attention_query_tile: " + value + " }", "x");
    if (error.empty()) {
      EXPECT_TRUE(spec.ok()) << spec.status();
    } else {
      EXPECT_EQ(spec.status().ToString(),
                "INVALID_ARGUMENT: x: roofline.attention_query_tile " + error);
    }
  }
  // An int32 field: a fractional, NaN or out-of-range value is a parse
  // error at the value's position.
  for (const std::string value : {"1.5", "nan", "3000000000"}) {
    SCOPED_TRACE(value);
    auto spec = ParseChipSpec(base + roofline + "attention_query_tile: " + value + " }", "x");
    ASSERT_FALSE(spec.ok());
    EXPECT_THAT(std::string(spec.status().message()),
                ::testing::MatchesRegex("x: line 1, column [0-9]+: (Expected integer, got: " +
                                        value + "|Integer out of range \\(" + value + "\\))"));
  }
}

}  // namespace
}  // namespace etchsim::chip
