// Kernel: the sequential executor. Owns every LP and processes all events
// in (time, key) order from one priority queue.
#ifndef ETCHSIM_ENGINE_KERNEL_H_
#define ETCHSIM_ENGINE_KERNEL_H_

#include <algorithm>
#include <atomic>
#include <cassert>
#include <functional>
#include <memory>
#include <vector>

#include "engine/event_queue.h"
#include "engine/lp.h"

namespace etchsim::engine {

template <class M>
class Kernel {
 public:
  LpId Add(std::unique_ptr<Lp<M>> lp);
  Lp<M>& lp(LpId id) { return *lps_[id]; }
  int num_lps() const { return static_cast<int>(lps_.size()); }

  // Seeds an event as if sent by `src` (used for the host's first arrivals).
  // REQUIRES: src and target were Added; before Run.
  void Inject(LpId src, LpId target, SimTime at, const M& m);

  // Processes events with time < `end` until the queue empties or an LP
  // calls StopAt. Returns the time the run ended: the StopAt time, else
  // `end` if finite, else the last event's time.
  // REQUIRES: called once.
  SimTime Run(SimTime end);

  uint64_t events_processed() const { return events_; }
  // A flag another thread may set to end Run early (checked every 4,096
  // events; the run's result is then to be discarded). May be null.
  void set_cancel(const std::atomic<bool>* cancel) { cancel_ = cancel; }
  // Called every 4,096 events with the virtual time reached and the events
  // processed: progress for a long run (a caller keeps it cheap). May be
  // empty.
  using Tick = std::function<void(SimTime now, uint64_t events)>;
  void set_tick(Tick tick) { tick_ = std::move(tick); }
  // Hands the LPs back so their statistics can be collected.
  // REQUIRES: Run returned; the kernel is unusable afterwards.
  std::vector<std::unique_ptr<Lp<M>>> TakeLps() { return std::move(lps_); }

 private:
  class Out;
  std::vector<std::unique_ptr<Lp<M>>> lps_;
  std::vector<uint64_t> seq_;  // per-LP message counters
  EventQueue<M> queue_;
  uint64_t events_ = 0;
  SimTime stop_ = SimTime::Max();
  const std::atomic<bool>* cancel_ = nullptr;
  Tick tick_;
};

template <class M>
class Kernel<M>::Out : public Outbox<M> {
 public:
  Out(Kernel& k, LpId self, SimTime now) : k_(k), self_(self), now_(now) {}
  SimTime now() const override { return now_; }
  LpId self() const override { return self_; }
  void Send(LpId target, SimTime at, const M& m) override {
    assert(at >= now_);
    k_.queue_.Push(at, MakeKey(self_, k_.seq_[self_]++), target, m);
  }
  void StopAt(SimTime t) override {
    if (t < k_.stop_) k_.stop_ = t;
  }

 private:
  Kernel& k_;
  LpId self_;
  SimTime now_;
};

template <class M>
LpId Kernel<M>::Add(std::unique_ptr<Lp<M>> lp) {
  lps_.push_back(std::move(lp));
  seq_.push_back(0);
  return static_cast<LpId>(lps_.size() - 1);
}

template <class M>
void Kernel<M>::Inject(LpId src, LpId target, SimTime at, const M& m) {
  queue_.Push(Event<M>{at, MakeKey(src, seq_[src]++), target, m});
}

template <class M>
SimTime Kernel<M>::Run(SimTime end) {
  stop_ = end;
  SimTime last = SimTime::Zero();
  Event<M> e;
  uint32_t since_check = 0, checks = 0;
  // Folding every LP's statistics costs a pass over all of them; at 4,096
  // chips (~4,500 LPs) doing it every 4,096 events took 15% of the run.
  // Every 4 x LPs events keeps that share small at any size and changes
  // no result (compaction only folds what can no longer change).
  const uint32_t compact_every =
      static_cast<uint32_t>(std::max<size_t>(1, (4 * lps_.size() + 4095) / 4096));
  while (!queue_.empty() && queue_.top_time() < stop_) {
    queue_.Pop(&e);
    Out out(*this, e.target, e.time);
    lps_[e.target]->Handle(e, out);
    last = e.time;
    ++events_;
    // Nothing earlier than the current event can still arrive, so
    // statistics before it can be folded; bounds memory on long runs.
    if (++since_check == (1u << 12)) {
      since_check = 0;
      if (++checks == compact_every) {
        checks = 0;
        for (auto& lp : lps_) lp->Compact(e.time);
      }
      if (cancel_ != nullptr && cancel_->load(std::memory_order_relaxed)) break;
      if (tick_) tick_(e.time, events_);
    }
  }
  if (stop_ < end) return stop_;         // an LP stopped the run
  if (end < SimTime::Max()) return end;  // the scenario's duration
  return last;                           // ran out of events
}

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_KERNEL_H_
