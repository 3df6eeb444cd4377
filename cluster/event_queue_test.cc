#include "cluster/event_queue.h"

#include <algorithm>
#include <vector>

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::cluster {
namespace {

TEST(EventQueueTest, PopsInTimeThenKeyOrderWhateverTheInsertionOrder) {
  base::Rng rng(7, 7);
  std::vector<Event> events;
  for (int i = 0; i < 5000; ++i) {
    Event e;
    e.time = SimTime::Picos(rng.UniformInt(0, 50));  // many ties
    e.key = MakeKey(static_cast<LpId>(rng.UniformInt(0, 9)), static_cast<uint64_t>(i));
    e.target = i;
    events.push_back(e);
  }
  EventQueue q;
  for (const Event& e : events) q.Push(e);
  std::sort(events.begin(), events.end(), EarlierThan);
  for (const Event& want : events) {
    ASSERT_FALSE(q.empty());
    Event got;
    q.Pop(&got);
    EXPECT_EQ(got.time, want.time);
    EXPECT_EQ(got.key, want.key);
    EXPECT_EQ(got.target, want.target);
  }
  EXPECT_TRUE(q.empty());
}

TEST(EventQueueTest, InterleavedPushPopReusesSlots) {
  EventQueue q;
  Event e;
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < 10; ++i) {
      q.Push(Event{SimTime::Picos(round * 100 + (9 - i)), MakeKey(0, round * 10 + i), i, {}});
    }
    for (int i = 0; i < 10; ++i) {
      q.Pop(&e);
      EXPECT_EQ(e.time, SimTime::Picos(round * 100 + i));
    }
  }
}

TEST(EventQueueTest, KeyPacksSender) {
  EXPECT_EQ(KeySender(MakeKey(12345, 999)), 12345);
  EXPECT_LT(MakeKey(1, (uint64_t{1} << 40) - 1), MakeKey(2, 0));
}

}  // namespace
}  // namespace etchsim::cluster
