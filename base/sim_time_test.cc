#include "base/sim_time.h"

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(SimTimeTest, NamedConstructorsAgree) {
  EXPECT_EQ(SimTime::Nanos(1).picos(), 1000);
  EXPECT_EQ(SimTime::Micros(2), SimTime::Nanos(2000));
  EXPECT_EQ(SimTime::Millis(3), SimTime::Micros(3000));
  EXPECT_EQ(SimTime::Seconds(1), SimTime::Millis(1000));
  EXPECT_EQ(SimTime::FromSeconds(1.5e-9), SimTime::Picos(1500));
  EXPECT_EQ(SimTime::FromNanos(0.0004), SimTime::Picos(0));  // rounds
  EXPECT_EQ(SimTime::FromNanos(0.0006), SimTime::Picos(1));
}

TEST(SimTimeTest, ArithmeticIsExact) {
  SimTime t = SimTime::Zero();
  for (int i = 0; i < 1000000; ++i) t += SimTime::Picos(1);
  EXPECT_EQ(t, SimTime::Micros(1));
  EXPECT_LT(SimTime::Nanos(1), SimTime::Nanos(2));
  EXPECT_EQ(Max(SimTime::Nanos(1), SimTime::Nanos(2)), SimTime::Nanos(2));
  EXPECT_EQ(SimTime::Max().SaturatingAdd(SimTime::Nanos(5)), SimTime::Max());
  EXPECT_EQ(SimTime::Nanos(5) * 3, SimTime::Nanos(15));
}

// A chip fuzz input once made a pass 1.4e7 s long: the double-to-int64
// conversion was undefined behaviour. It saturates now.
TEST(SimTimeTest, FromSecondsSaturatesBeyondTheClocksRange) {
  EXPECT_EQ(SimTime::FromSeconds(1.3726e7), SimTime::Max());
  EXPECT_EQ(SimTime::FromNanos(1e300), SimTime::Max());
  EXPECT_EQ(SimTime::FromSeconds(-1e300).picos(), -SimTime::Max().picos());
  EXPECT_EQ(SimTime::FromSeconds(std::nan("")), SimTime::Max());
  EXPECT_EQ(SimTime::FromSeconds(9.2e6).picos(), int64_t{9200000} * 1000000000000);
}

TEST(SimTimeTest, ToStringPicksAUnit) {
  EXPECT_EQ(SimTime::Picos(12).ToString(), "12ps");
  EXPECT_EQ(SimTime::Nanos(12).ToString(), "12.000ns");
  EXPECT_EQ(SimTime::Micros(3).ToString(), "3.000us");
  EXPECT_EQ(SimTime::Millis(4).ToString(), "4.000ms");
  EXPECT_EQ(SimTime::Seconds(2).ToString(), "2.000000s");
}

}  // namespace
}  // namespace etchsim::base
