#include "base/ring_buffer.h"

#include <deque>

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(RingBufferTest, FifoOrderAcrossGrowth) {
  RingBuffer<int> b;
  EXPECT_TRUE(b.empty());
  for (int i = 0; i < 100; ++i) b.push_back(i);  // grows 16 -> 32 -> 64 -> 128
  EXPECT_EQ(b.size(), 100u);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(b.front(), i);
    EXPECT_EQ(b[0], i);
    b.pop_front();
  }
  EXPECT_TRUE(b.empty());
}

TEST(RingBufferTest, WrapsAndGrowsWhileWrapped) {
  RingBuffer<int> b;
  for (int i = 0; i < 16; ++i) b.push_back(i);
  for (int i = 0; i < 10; ++i) b.pop_front();    // head at 10 of 16
  for (int i = 16; i < 40; ++i) b.push_back(i);  // wraps, then grows wrapped
  ASSERT_EQ(b.size(), 30u);
  for (size_t i = 0; i < b.size(); ++i) EXPECT_EQ(b[i], static_cast<int>(10 + i));
  b[0] = -1;
  EXPECT_EQ(b.front(), -1);
  b.clear();
  EXPECT_TRUE(b.empty());
  b.push_back(7);
  EXPECT_EQ(b.front(), 7);
}

TEST(RingBufferTest, MatchesDequeUnderRandomOperations) {
  RingBuffer<uint64_t> b;
  std::deque<uint64_t> d;
  Rng rng(5, 5);
  for (int step = 0; step < 20000; ++step) {
    if (d.empty() || rng.Uniform01() < 0.55) {
      const uint64_t v = rng.Next();
      b.push_back(v);
      d.push_back(v);
    } else {
      ASSERT_EQ(b.front(), d.front());
      b.pop_front();
      d.pop_front();
    }
    ASSERT_EQ(b.size(), d.size());
  }
  for (size_t i = 0; i < d.size(); ++i) ASSERT_EQ(b[i], d[i]);
}

}  // namespace
}  // namespace etchsim::base
