// EventQueue: the engine's priority queue of events, ordered by (time, key).
//
// A radix heap (Ahuja, Mehlhorn, Orlin & Tarjan 1990) over time in units of
// 2^kShift picoseconds (~1 ns). It needs every pushed time to be >= the time
// of the last event popped, which a discrete-event engine guarantees (an LP
// never schedules into the past; Kernel asserts it). Bucket b > 0 holds
// events whose coarse time first differs from the current one in bit b-1;
// bucket 0 holds the events of the current coarse time as a binary heap on
// the exact (time, key), so the order is exactly the engine's. Events move
// down the buckets a few times at most, so push and pop cost amortised O(1)
// instead of a binary heap's O(log n) with its branch mispredictions; the
// coarse unit keeps picosecond noise from moving events needlessly.
// Payloads sit in a slab with a free list; buckets hold 24-byte nodes.
#ifndef ETCHSIM_CLUSTER_EVENT_QUEUE_H_
#define ETCHSIM_CLUSTER_EVENT_QUEUE_H_

#include <cstdint>
#include <vector>

#include "cluster/event.h"

namespace etchsim::cluster {

class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Time of the earliest event (requires !empty()).
  SimTime top_time();

  // Precondition: e.time >= the time of the last event popped.
  void Push(const Event& e) { Push(e.time, e.key, e.target, e.msg); }
  // The same without building an Event first (one copy of the message).
  void Push(SimTime time, uint64_t key, LpId target, const Message& m);
  // Removes the earliest event into *out.
  void Pop(Event* out);

 private:
  struct Node {
    int64_t time;
    uint64_t key;
    uint32_t slot;
  };
  struct Payload {
    LpId target;
    Message msg;
  };
  static constexpr int kShift = 4;
  static unsigned __int128 Rank(const Node& n) {
    return (static_cast<unsigned __int128>(static_cast<uint64_t>(n.time)) << 64) | n.key;
  }
  int BucketOf(int64_t time) const;
  // Makes bucket 0 non-empty by redistributing the first non-empty bucket.
  void Refill();
  void PushZero(const Node& n);  // into bucket 0's (time, key) heap

  std::vector<Node> buckets_[65];
  int64_t last_ = 0;   // coarse time of bucket 0
  int64_t floor_ = 0;  // exact time of the last event popped (monotone)
  size_t size_ = 0;
  std::vector<Payload> slab_;
  std::vector<uint32_t> free_;
};

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_EVENT_QUEUE_H_
