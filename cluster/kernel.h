// Kernel: the sequential executor. Owns every LP and processes all events
// in (time, key) order from one priority queue.
#ifndef ETCHSIM_CLUSTER_KERNEL_H_
#define ETCHSIM_CLUSTER_KERNEL_H_

#include <atomic>
#include <functional>
#include <memory>
#include <vector>

#include "cluster/event_queue.h"
#include "cluster/lp.h"

namespace etchsim::cluster {

class Kernel {
 public:
  LpId Add(std::unique_ptr<Lp> lp);
  Lp& lp(LpId id) { return *lps_[id]; }
  int num_lps() const { return static_cast<int>(lps_.size()); }

  // Seeds an event as if sent by `src` (used for the host's first arrivals).
  // REQUIRES: src and target were Added; before Run.
  void Inject(LpId src, LpId target, SimTime at, const Message& m);

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
  std::vector<std::unique_ptr<Lp>> TakeLps() { return std::move(lps_); }

 private:
  class Out;
  std::vector<std::unique_ptr<Lp>> lps_;
  std::vector<uint64_t> seq_;  // per-LP message counters
  EventQueue queue_;
  uint64_t events_ = 0;
  SimTime stop_ = SimTime::Max();
  const std::atomic<bool>* cancel_ = nullptr;
  Tick tick_;
};

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_KERNEL_H_
