#include "cluster/event_queue.h"

#include <bit>
#include <cassert>

namespace etchsim::cluster {

int EventQueue::BucketOf(int64_t time) const {
  // Bucket 0 holds everything at or below the current coarse time: after a
  // peek (top_time) has advanced it, an event may still arrive between the
  // last one popped and the new minimum, and bucket 0's heap orders it
  // exactly. Higher buckets only ever hold later coarse times.
  const int64_t coarse = time >> kShift;
  if (coarse <= last_) return 0;
  const uint64_t diff = static_cast<uint64_t>(coarse) ^ static_cast<uint64_t>(last_);
  return 64 - std::countl_zero(diff);
}

void EventQueue::PushZero(const Node& n) {
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

void EventQueue::Push(SimTime time, uint64_t key, LpId target, const Message& m) {
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

void EventQueue::Refill() {
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

SimTime EventQueue::top_time() {
  if (buckets_[0].empty()) Refill();
  return SimTime::Picos(buckets_[0].front().time);
}

void EventQueue::Pop(Event* out) {
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

}  // namespace etchsim::cluster
