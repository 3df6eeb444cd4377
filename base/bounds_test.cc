#include "base/bounds.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(BoundsTest, RangeRejectsNonFiniteAndOutOfRange) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {std::nan(""), inf, -inf, -1.0, 11.0}) {
    const absl::Status s = CheckRange("f.textproto", "x", v, 0, 10);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << v;
    EXPECT_NE(s.message().find("f.textproto: x must be a finite number in [0, 10], got"),
              std::string::npos)
        << s.message();
  }
  EXPECT_TRUE(CheckRange("f", "x", 0, 0, 10).ok());
  EXPECT_TRUE(CheckRange("f", "x", 10, 0, 10).ok());
  EXPECT_FALSE(CheckAbove("f", "x", 0, 0, 10).ok());
  EXPECT_TRUE(CheckAbove("f", "x", 1e-300, 0, 10).ok());
}

TEST(BoundsTest, IntRangeNamesValue) {
  const absl::Status s = CheckIntRange("", "--users", 1000000000, 1, 100000);
  EXPECT_EQ(s.message(), "--users must be in [1, 100000], got 1000000000");
}

TEST(BoundsTest, Utf8) {
  EXPECT_TRUE(IsValidUtf8("plain"));
  EXPECT_TRUE(IsValidUtf8("\xc3\xa9t\xe2\x82\xac\xf0\x9f\x98\x80"));
  for (const char* bad :
       {"\xff", "\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xe2\x82"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
  EXPECT_EQ(CheckUtf8("x.json", "name", "\xff").message(), "x.json: name is not valid UTF-8");
}

}  // namespace
}  // namespace etchsim::base
