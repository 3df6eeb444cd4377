#include "cluster/kernel.h"

#include <algorithm>
#include <cassert>

namespace etchsim::cluster {

class Kernel::Out : public Outbox {
 public:
  Out(Kernel& k, LpId self, SimTime now) : k_(k), self_(self), now_(now) {}
  SimTime now() const override { return now_; }
  LpId self() const override { return self_; }
  void Send(LpId target, SimTime at, const Message& m) override {
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

LpId Kernel::Add(std::unique_ptr<Lp> lp) {
  lps_.push_back(std::move(lp));
  seq_.push_back(0);
  return static_cast<LpId>(lps_.size() - 1);
}

void Kernel::Inject(LpId src, LpId target, SimTime at, const Message& m) {
  queue_.Push(Event{at, MakeKey(src, seq_[src]++), target, m});
}

SimTime Kernel::Run(SimTime end) {
  stop_ = end;
  SimTime last = SimTime::Zero();
  Event e;
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

}  // namespace etchsim::cluster
