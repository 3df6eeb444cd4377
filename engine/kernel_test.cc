#include "engine/kernel.h"

#include <vector>

#include "engine/toy_message.h"
#include "gtest/gtest.h"

namespace etchsim::engine_test {
namespace {

using Kernel = engine::Kernel<Message>;

// Bounces a ball to `peer` after `delay`; records what it saw.
class Bouncer : public Lp {
 public:
  Bouncer(LpId peer, SimTime delay, std::vector<std::pair<int64_t, LpId>>* log)
      : peer_(peer), delay_(delay), log_(log) {}
  void Handle(const Event& e, Outbox& out) override {
    log_->push_back({e.time.picos(), out.self()});
    if (e.msg.count == 10) {
      out.StopAt(e.time);
      return;
    }
    Message m = e.msg;
    ++m.count;
    out.Send(peer_, e.time + delay_, m);
  }

 private:
  LpId peer_;
  SimTime delay_;
  std::vector<std::pair<int64_t, LpId>>* log_;
};

TEST(KernelTest, PingPongStopsWhereAnLpSays) {
  std::vector<std::pair<int64_t, LpId>> log;
  Kernel k;
  k.Add(std::make_unique<Bouncer>(1, SimTime::Nanos(3), &log));
  k.Add(std::make_unique<Bouncer>(0, SimTime::Nanos(5), &log));
  k.Inject(0, 0, SimTime::Zero(), Message{});
  const SimTime end = k.Run(SimTime::Max());
  // Hops alternate 3 ns and 5 ns: the 10th bounce lands at 5x3 + 5x5.
  EXPECT_EQ(end, SimTime::Nanos(40));
  ASSERT_EQ(log.size(), 11u);
  EXPECT_EQ(log.back(), (std::pair<int64_t, LpId>{40000, 0}));
  EXPECT_EQ(k.events_processed(), 11u);
}

TEST(KernelTest, EndTimeBoundsTheRun) {
  std::vector<std::pair<int64_t, LpId>> log;
  Kernel k;
  k.Add(std::make_unique<Bouncer>(0, SimTime::Nanos(1), &log));
  k.Inject(0, 0, SimTime::Zero(), Message{});
  EXPECT_EQ(k.Run(SimTime::Picos(3500)), SimTime::Picos(3500));
  EXPECT_EQ(log.size(), 4u);  // t = 0, 1, 2, 3 ns
}

// Two LPs send to a third at the same instants; the receiver must see them
// ordered by (sender, sender's counter), independent of who was processed
// first.
class Sink : public Lp {
 public:
  explicit Sink(std::vector<uint64_t>* keys) : keys_(keys) {}
  void Handle(const Event& e, Outbox&) override { keys_->push_back(e.key); }
  std::vector<uint64_t>* keys_;
};
class Burst : public Lp {
 public:
  void Handle(const Event& e, Outbox& out) override {
    for (int i = 0; i < 3; ++i) out.Send(2, SimTime::Nanos(10), Message{});
  }
};

TEST(KernelTest, TiesBreakBySenderAndCounter) {
  std::vector<uint64_t> keys;
  Kernel k;
  k.Add(std::make_unique<Burst>());
  k.Add(std::make_unique<Burst>());
  k.Add(std::make_unique<Sink>(&keys));
  k.Inject(1, 1, SimTime::Zero(), Message{});  // LP 1 fires first
  k.Inject(0, 0, SimTime::Nanos(1), Message{});
  k.Run(SimTime::Max());
  ASSERT_EQ(keys.size(), 6u);
  EXPECT_EQ(KeySender(keys[0]), 0);
  EXPECT_EQ(KeySender(keys[2]), 0);
  EXPECT_EQ(KeySender(keys[3]), 1);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
}

// Bounces forever (count never reaches the Bouncer's stop).
class Forever : public Lp {
 public:
  void Handle(const Event& e, Outbox& out) override {
    out.Send(out.self(), e.time + SimTime::Nanos(1), Message{});
  }
};

TEST(KernelTest, TickReportsProgressEvery4096Events) {
  Kernel k;
  k.Add(std::make_unique<Forever>());
  k.Inject(0, 0, SimTime::Zero(), Message{});
  std::vector<std::pair<int64_t, uint64_t>> ticks;
  k.set_tick([&ticks](SimTime now, uint64_t events) { ticks.push_back({now.picos(), events}); });
  k.Run(SimTime::Nanos(10000));  // events at 0..9999 ns
  ASSERT_EQ(ticks.size(), 2u);
  EXPECT_EQ(ticks[0], (std::pair<int64_t, uint64_t>{4095000, 4096}));
  EXPECT_EQ(ticks[1], (std::pair<int64_t, uint64_t>{8191000, 8192}));
}

}  // namespace
}  // namespace etchsim::engine_test
