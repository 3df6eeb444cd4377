#include "engine/event_queue.h"

#include <algorithm>
#include <vector>

#include "base/rng.h"
#include "engine/toy_message.h"
#include "gtest/gtest.h"

namespace etchsim::engine_test {
namespace {

using EventQueue = engine::EventQueue<Message>;

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
  std::sort(events.begin(), events.end(), engine::EarlierThan<Message>);
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

TEST(EventQueueTest, PeekThenPushEarlierEventStillComesFirst) {
  // A conservative executor peeks at the head, stops (not safe yet), and
  // then receives an event earlier than that head from another process.
  EventQueue q;
  q.Push(Event{SimTime::Micros(5), MakeKey(1, 0), 1, {}});
  q.Push(Event{SimTime::Micros(900), MakeKey(1, 1), 1, {}});
  Event e;
  q.Pop(&e);
  EXPECT_EQ(q.top_time(), SimTime::Micros(900));  // peek advances buckets
  q.Push(Event{SimTime::Micros(7), MakeKey(2, 0), 2, {}});
  q.Push(Event{SimTime::Micros(300), MakeKey(2, 1), 2, {}});
  EXPECT_EQ(q.top_time(), SimTime::Micros(7));
  q.Pop(&e);
  EXPECT_EQ(e.time, SimTime::Micros(7));
  q.Pop(&e);
  EXPECT_EQ(e.time, SimTime::Micros(300));
  q.Pop(&e);
  EXPECT_EQ(e.time, SimTime::Micros(900));
  EXPECT_TRUE(q.empty());
}

TEST(EventQueueTest, RandomInterleavingMatchesASortedReference) {
  base::Rng rng(17, 3);
  EventQueue q;
  std::vector<Event> ref;  // kept sorted
  int64_t floor = 0;
  uint64_t seq = 0;
  for (int step = 0; step < 40000; ++step) {
    const int op = static_cast<int>(rng.UniformInt(0, 9));
    if (op < 5 || ref.empty()) {
      Event e{SimTime::Picos(floor + rng.UniformInt(0, 1 << (rng.UniformInt(0, 30)))),
              MakeKey(static_cast<LpId>(rng.UniformInt(0, 5)), seq++),
              0,
              {}};
      q.Push(e);
      ref.insert(std::upper_bound(ref.begin(), ref.end(), e, engine::EarlierThan<Message>), e);
    } else if (op < 7) {
      ASSERT_EQ(q.top_time(), ref.front().time);  // peek only
    } else {
      Event got;
      q.Pop(&got);
      ASSERT_EQ(got.time, ref.front().time);
      ASSERT_EQ(got.key, ref.front().key);
      floor = got.time.picos();
      ref.erase(ref.begin());
    }
  }
}

TEST(EventQueueTest, KeyPacksSender) {
  EXPECT_EQ(KeySender(MakeKey(12345, 999)), 12345);
  EXPECT_LT(MakeKey(1, (uint64_t{1} << 40) - 1), MakeKey(2, 0));
}

}  // namespace
}  // namespace etchsim::engine_test
