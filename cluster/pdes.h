// ProcessExecutor: one process's share of a conservative parallel run.
//
// It hosts some LPs with a local event queue and runs the Chandy-Misra-
// Bryant protocol over the channels of a ChannelPlan: an event is processed
// only when its time is below every incoming channel's clock (the latest
// promise or event time received on it), so nothing can arrive later with
// an earlier time; after processing, each outgoing channel gets the events
// produced for it and a new promise (a batch; with no events it is a null
// message). Events keep their (time, sender, counter) keys across
// processes, so every LP processes exactly the sequence it would in the
// single-process Kernel, and reports are byte-identical.
//
// Transport-independent: the in-memory test and the gRPC processes drive
// the same code.
#ifndef ETCHSIM_CLUSTER_PDES_H_
#define ETCHSIM_CLUSTER_PDES_H_

#include <memory>
#include <queue>
#include <string>
#include <vector>

#include "cluster/channels.h"
#include "cluster/event.h"
#include "cluster/lp.h"

namespace etchsim::cluster {

struct OutBatch {
  int to = 0;
  SimTime promise;
  std::vector<Event> events;
};

class ProcessExecutor {
 public:
  // `lps` holds an LP for every id the plan assigns to `rank` (others null).
  // REQUIRES: `plan` outlives the executor.
  ProcessExecutor(int rank, const ChannelPlan& plan, std::vector<std::unique_ptr<Lp>> lps,
                  SimTime end);

  int rank() const { return rank_; }
  // Seeds an event for a local LP, as sent by `src` (a local LP).
  // REQUIRES: before the first Advance.
  void Inject(LpId src, LpId target, SimTime at, const Message& m);
  // A batch from rank `from`: its events and the channel's new clock.
  // REQUIRES: `from` has a channel to this rank; every event targets a
  // local LP. Batches on one channel arrive in the order they were sent.
  // An event earlier than one its target LP already processed sets error().
  void Receive(int from, SimTime promise, const std::vector<Event>& events);
  // Lowers the end time (the host stopped the run somewhere).
  void SetEnd(SimTime end);

  // Processes every safe event and returns the batches to send (events
  // for other ranks, and promises that moved). Empty when nothing changed.
  std::vector<OutBatch> Advance();

  // All events before the end time are processed and none can still come.
  bool Finished();
  // Lower bound on the time of any event this rank will process from now
  // on; the minimum over ranks is the global virtual time.
  SimTime Lvt();
  SimTime safe_time() const;
  SimTime end() const { return end_; }
  // Set when a local LP (the host) called StopAt.
  bool stop_requested() const { return stop_requested_; }
  SimTime stop_time() const { return stop_time_; }
  uint64_t events_processed() const { return events_; }
  // Time of the last event processed (the end of a run that drained).
  SimTime last_event_time() const { return last_time_; }
  size_t queue_size() const { return queue_.size(); }
  void Push(const Event& e);
  // Folds statistics older than `gvt` in every local LP.
  void Compact(SimTime gvt);
  // The earliest queued event's time (SimTime::Max() when none).
  SimTime next_event_time() const;
  // Events sent on each of this rank's output channels and received on
  // each input channel so far, in plan.Out(rank) / plan.In(rank) order.
  // Every rank's, each taken at any moment, show whether a channel was
  // empty between the two moments (its sender's count equals its
  // receiver's): RunProtocol's test for idle time.
  std::vector<uint64_t> events_sent() const;
  std::vector<uint64_t> events_received() const;
  // No event anywhere is earlier than `floor` (RunProtocol found every
  // queue at or after it and every channel empty): raises each input
  // channel's clock to `floor` plus its hop delay, so idle virtual time
  // is skipped at once rather than crept through a lookahead at a time.
  void RaiseClocks(SimTime floor);
  const ChannelPlan& plan() const { return plan_; }
  std::vector<std::unique_ptr<Lp>>& lps() { return lps_; }
  // Non-empty if an internal invariant broke (a bug, reported as such).
  const std::string& error() const { return error_; }

 private:
  class Out;
  struct InChannel {
    const Channel* channel;
    SimTime clock;
    uint64_t events = 0;  // received so far
  };
  // The earliest time an event from another rank could still reach `lp`
  // (directly or through this rank's other LPs): min over input channels of
  // clock + the channel's reach to `lp`.
  SimTime SafeFor(LpId lp) const;
  struct Later {
    bool operator()(const Event& a, const Event& b) const { return EarlierThan(b, a); }
  };
  struct OutChannel {
    const Channel* channel;
    SimTime sent;  // last promise sent
    std::vector<Event> pending;
    uint64_t events = 0;  // sent so far
  };

  int rank_;
  const ChannelPlan& plan_;
  std::vector<std::unique_ptr<Lp>> lps_;
  std::vector<uint64_t> seq_;
  // A binary heap, not the kernel's radix EventQueue: with per-LP safe
  // times an event may arrive earlier than one already processed at
  // another LP of this rank (never at its own LP), which a radix heap does
  // not allow.
  // Kept as a std::*_heap vector so Advance can find each LP's earliest
  // queued event for the promises.
  std::vector<Event> queue_;
  std::vector<SimTime> head_of_lp_;  // earliest queued event per LP, in Advance
  std::vector<SimTime> last_of_lp_;  // time of the last event each LP processed
  std::vector<SimTime> safe_of_lp_;  // SafeFor(lp), refreshed by Advance
  std::vector<LpId> local_;          // this rank's LPs
  std::vector<InChannel> in_;
  std::vector<OutChannel> out_;
  std::vector<int> out_of_rank_;  // rank -> index in out_ or -1
  SimTime end_;
  bool stop_requested_ = false;
  SimTime stop_time_ = SimTime::Max();
  uint64_t events_ = 0;
  SimTime last_time_;
  std::string error_;
};

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_PDES_H_
