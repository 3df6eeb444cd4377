#include "base/text_table.h"

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(TextTableTest, AlignsColumns) {
  TextTable t({"name", "params"});
  t.AddRow({"a", "1"});
  t.AddRow({"longer", "12345"});
  EXPECT_EQ(t.Render(),
            "name    params\n"
            "------  ------\n"
            "a            1\n"
            "longer   12345\n");
}

TEST(TextTableTest, NumberFormatting) {
  EXPECT_EQ(WithCommas(671026419200), "671,026,419,200");
  EXPECT_EQ(WithCommas(-1234), "-1,234");
  EXPECT_EQ(WithCommas(12), "12");
  EXPECT_EQ(HumanCount(671026419200.0), "671.03B");
  EXPECT_EQ(HumanCount(512), "512");
  EXPECT_EQ(HumanBytes(12.75e9), "12.75 GB");
  EXPECT_EQ(Fixed(0.12345, 3), "0.123");
}

}  // namespace
}  // namespace etchsim::base
