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
#ifndef ETCHSIM_ENGINE_EVENT_QUEUE_H_
#define ETCHSIM_ENGINE_EVENT_QUEUE_H_

#include <bit>
#include <cassert>
#include <cstdint>
#include <vector>

#include "engine/event.h"

namespace etchsim::engine {

template <class M>
class EventQueue {
 public:
  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Time of the earliest event (requires !empty()).
  SimTime top_time();

  // Precondition: e.time >= the time of the last event popped.
  void Push(const Event<M>& e) { Push(e.time, e.key, e.target, e.msg); }
  // The same without building an Event first (one copy of the message).
  void Push(SimTime time, uint64_t key, LpId target, const M& m);
  // Removes the earliest event into *out.
  void Pop(Event<M>* out);

 private:
  struct Node {
    int64_t time;
    uint64_t key;
    uint32_t slot;
  };
  struct Payload {
    LpId target;
    M msg;
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

template <class M>
int EventQueue<M>::BucketOf(int64_t time) const {
  // Bucket 0 holds everything at or below the current coarse time: after a
  // peek (top_time) has advanced it, an event may still arrive between the
  // last one popped and the new minimum, and bucket 0's heap orders it
  // exactly. Higher buckets only ever hold later coarse times.
  const int64_t coarse = time >> kShift;
  if (coarse <= last_) return 0;
  const uint64_t diff = static_cast<uint64_t>(coarse) ^ static_cast<uint64_t>(last_);
  return 64 - std::countl_zero(diff);
}

template <class M>
void EventQueue<M>::PushZero(const Node& n) {
  std::vector<Node>& h = buckets_[0];
  size_t i = h.size();
  h.push_back(n);
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (Rank(h[parent]) <= Rank(n)) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = n;
}

template <class M>
void EventQueue<M>::Push(SimTime time, uint64_t key, LpId target, const M& m) {
  assert(time.picos() >= floor_);
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
    Payload& p = slab_[slot];
    p.target = target;
    p.msg = m;
  } else {
    slot = static_cast<uint32_t>(slab_.size());
    slab_.push_back({target, m});
  }
  const Node n{time.picos(), key, slot};
  const int b = BucketOf(n.time);
  if (b == 0) {
    PushZero(n);
  } else {
    buckets_[b].push_back(n);
  }
  ++size_;
}

template <class M>
void EventQueue<M>::Refill() {
  int b = 1;
  while (buckets_[b].empty()) ++b;
  std::vector<Node>& src = buckets_[b];
  int64_t min = src[0].time;
  for (const Node& n : src) min = n.time < min ? n.time : min;
  last_ = min >> kShift;
  // Every node of bucket b now falls into a lower bucket.
  for (const Node& n : src) {
    const int nb = BucketOf(n.time);
    if (nb == 0) {
      PushZero(n);
    } else {
      buckets_[nb].push_back(n);
    }
  }
  src.clear();
}

template <class M>
SimTime EventQueue<M>::top_time() {
  if (buckets_[0].empty()) Refill();
  return SimTime::Picos(buckets_[0].front().time);
}

template <class M>
void EventQueue<M>::Pop(Event<M>* out) {
  if (buckets_[0].empty()) Refill();
  std::vector<Node>& h = buckets_[0];
  const Node top = h.front();
  floor_ = top.time;
  out->time = SimTime::Picos(top.time);
  out->key = top.key;
  out->target = slab_[top.slot].target;
  out->msg = slab_[top.slot].msg;
  free_.push_back(top.slot);
  --size_;
  // Pop bucket 0's heap.
  const Node last = h.back();
  h.pop_back();
  const size_t n = h.size();
  if (n == 0) return;
  size_t i = 0;
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    child += Rank(h[child + 1 < n ? child + 1 : child]) < Rank(h[child]);
    if (Rank(last) <= Rank(h[child])) break;
    h[i] = h[child];
    i = child;
  }
  h[i] = last;
}

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_EVENT_QUEUE_H_
