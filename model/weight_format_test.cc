#include "model/weight_format.h"

#include "gtest/gtest.h"

namespace etchsim::model {
namespace {

TEST(WeightFormatTest, BitsIncludeScales) {
  EXPECT_DOUBLE_EQ(FindWeightFormat("bf16")->bits_per_param(), 16.0);
  EXPECT_DOUBLE_EQ(FindWeightFormat("fp8")->bits_per_param(), 8.0 + 32.0 / 16384);
  EXPECT_DOUBLE_EQ(FindWeightFormat("fp4")->bits_per_param(), 4.0 + 8.0 / 32);
  EXPECT_DOUBLE_EQ(FindWeightFormat("nvfp4")->bits_per_param(), 4.0 + 8.0 / 16);
  EXPECT_DOUBLE_EQ(FindWeightFormat("int4")->bits_per_param(), 4.0 + 32.0 / 128);
  EXPECT_DOUBLE_EQ(FindWeightFormat("hc1-3bit")->bits_per_param(),
                   3.0 * 7 / 8 + 6.0 / 8 + 8.0 / 64);
  EXPECT_TRUE(FindWeightFormat("hc1-3bit")->assumption);
}

TEST(WeightFormatTest, BytesAreExactAndRoundUp) {
  const WeightFormat fp4 = *FindWeightFormat("fp4");
  EXPECT_EQ(fp4.BytesFor(32), 17);                      // 32 x 4.25 bits = 136 bits
  EXPECT_EQ(fp4.BytesFor(1), 1);                        // 4.25 bits -> 1 byte
  EXPECT_EQ(fp4.BytesFor(671026419200), 356482785200);  // R1 at MXFP4
  EXPECT_EQ(fp4.ParamsIn(17), 32);
  EXPECT_LE(fp4.BytesFor(fp4.ParamsIn(12750000000)), 12750000000);
  EXPECT_GT(fp4.BytesFor(fp4.ParamsIn(12750000000) + 1), 12750000000);
  const WeightFormat bf16 = *FindWeightFormat("bf16");
  EXPECT_EQ(bf16.BytesFor(8030261248), 16060522496);
}

TEST(WeightFormatTest, UnknownNameListsKnown) {
  auto f = FindWeightFormat("fp3");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(),
            "unknown weight format \"fp3\" (known: bf16, fp8, int4, fp4, nvfp4, "
            "hc1-3bit)");
}

}  // namespace
}  // namespace etchsim::model
