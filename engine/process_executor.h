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
#ifndef ETCHSIM_ENGINE_PROCESS_EXECUTOR_H_
#define ETCHSIM_ENGINE_PROCESS_EXECUTOR_H_

#include <algorithm>
#include <cassert>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/channel_plan.h"
#include "engine/event.h"
#include "engine/lp.h"

namespace etchsim::engine {

template <class M>
struct OutBatch {
  int to = 0;
  SimTime promise;
  std::vector<Event<M>> events;
};

template <class M>
class ProcessExecutor {
 public:
  // `lps` holds an LP for every id the plan assigns to `rank` (others null).
  // REQUIRES: `plan` outlives the executor.
  ProcessExecutor(int rank, const ChannelPlan& plan, std::vector<std::unique_ptr<Lp<M>>> lps,
                  SimTime end);

  int rank() const { return rank_; }
  // Seeds an event for a local LP, as sent by `src` (a local LP).
  // REQUIRES: before the first Advance.
  void Inject(LpId src, LpId target, SimTime at, const M& m);
  // A batch from rank `from`: its events and the channel's new clock.
  // REQUIRES: `from` has a channel to this rank; every event targets a
  // local LP. Batches on one channel arrive in the order they were sent.
  // An event earlier than one its target LP already processed sets error().
  void Receive(int from, SimTime promise, const std::vector<Event<M>>& events);
  // Lowers the end time (the host stopped the run somewhere).
  void SetEnd(SimTime end);

  // Processes every safe event and returns the batches to send (events
  // for other ranks, and promises that moved). Empty when nothing changed.
  std::vector<OutBatch<M>> Advance();

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
  void Push(const Event<M>& e);
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
  std::vector<std::unique_ptr<Lp<M>>>& lps() { return lps_; }
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
    bool operator()(const Event<M>& a, const Event<M>& b) const { return EarlierThan(b, a); }
  };
  struct OutChannel {
    const Channel* channel;
    SimTime sent;  // last promise sent
    std::vector<Event<M>> pending;
    uint64_t events = 0;  // sent so far
  };

  int rank_;
  const ChannelPlan& plan_;
  std::vector<std::unique_ptr<Lp<M>>> lps_;
  std::vector<uint64_t> seq_;
  // A binary heap, not the kernel's radix EventQueue: with per-LP safe
  // times an event may arrive earlier than one already processed at
  // another LP of this rank (never at its own LP), which a radix heap does
  // not allow.
  // Kept as a std::*_heap vector so Advance can find each LP's earliest
  // queued event for the promises.
  std::vector<Event<M>> queue_;
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

template <class M>
class ProcessExecutor<M>::Out : public Outbox<M> {
 public:
  Out(ProcessExecutor& x, LpId self, SimTime now) : x_(x), self_(self), now_(now) {}
  SimTime now() const override { return now_; }
  LpId self() const override { return self_; }
  void Send(LpId target, SimTime at, const M& m) override {
    assert(at >= now_);
    const Event<M> e{at, MakeKey(self_, x_.seq_[self_]++), target, m};
    const int to = x_.plan_.rank_of_lp[target];
    if (to == x_.rank_) {
      x_.Push(e);
    } else {
      const int oc = x_.out_of_rank_[to];
      if (oc < 0) {  // the channel plan missed a message flow: a bug
        if (x_.error_.empty()) {
          x_.error_ = absl::StrCat("no channel from rank ", x_.rank_, " to rank ", to,
                                   " for a message from LP ", self_, " to LP ", target);
        }
        return;
      }
      x_.out_[oc].pending.push_back(e);
    }
  }
  void StopAt(SimTime t) override {
    x_.stop_requested_ = true;
    if (t < x_.stop_time_) x_.stop_time_ = t;
    if (t < x_.end_) x_.end_ = t;
  }

 private:
  ProcessExecutor& x_;
  LpId self_;
  SimTime now_;
};

template <class M>
ProcessExecutor<M>::ProcessExecutor(int rank, const ChannelPlan& plan,
                                    std::vector<std::unique_ptr<Lp<M>>> lps, SimTime end)
    : rank_(rank), plan_(plan), lps_(std::move(lps)), end_(end) {
  seq_.assign(lps_.size(), 0);
  last_of_lp_.assign(lps_.size(), SimTime::Zero());
  safe_of_lp_.assign(lps_.size(), SimTime::Zero());
  head_of_lp_.assign(lps_.size(), SimTime::Max());
  local_ = plan.LpsOf(rank);
  out_of_rank_.assign(plan.num_ranks, -1);
  for (const Channel* c : plan.In(rank)) in_.push_back({c, SimTime::Zero()});
  for (const Channel* c : plan.Out(rank)) {
    out_of_rank_[c->to] = static_cast<int>(out_.size());
    out_.push_back({c, SimTime::Zero(), {}});
  }
}

template <class M>
void ProcessExecutor<M>::Inject(LpId src, LpId target, SimTime at, const M& m) {
  Push(Event<M>{at, MakeKey(src, seq_[src]++), target, m});
}

template <class M>
void ProcessExecutor<M>::Receive(int from, SimTime promise, const std::vector<Event<M>>& events) {
  for (const Event<M>& e : events) {
    // Conservative synchronisation never delivers the past; if it did, the
    // run would silently differ from the in-process one, so stop loudly.
    if (e.time < last_of_lp_[e.target] && error_.empty()) {
      error_ = absl::StrCat("causality violation: rank ", rank_, " received an event at ",
                            e.time.ToString(), " for LP ", e.target, " from rank ", from,
                            " after that LP processed up to ", last_of_lp_[e.target].ToString());
    }
    Push(e);
  }
  for (InChannel& c : in_) {
    if (c.channel->from != from) continue;
    c.events += events.size();
    if (promise > c.clock) c.clock = promise;
  }
}

template <class M>
void ProcessExecutor<M>::Push(const Event<M>& e) {
  queue_.push_back(e);
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

template <class M>
SimTime ProcessExecutor<M>::SafeFor(LpId lp) const {
  SimTime safe = SimTime::Max();
  for (const InChannel& c : in_)
    safe = base::Min(safe, c.clock.SaturatingAdd(c.channel->reach[lp]));
  return safe;
}

template <class M>
void ProcessExecutor<M>::SetEnd(SimTime end) {
  if (end < end_) end_ = end;
}

template <class M>
SimTime ProcessExecutor<M>::safe_time() const {
  SimTime safe = SimTime::Max();
  for (const InChannel& c : in_) safe = base::Min(safe, c.clock);
  return safe;
}

template <class M>
std::vector<OutBatch<M>> ProcessExecutor<M>::Advance() {
  const SimTime safe = safe_time();
  for (LpId id : local_) safe_of_lp_[id] = SafeFor(id);  // clocks only move in Receive
  // Events in (time, key) order, each once nothing from another rank can
  // still reach its LP earlier. An event at an LP that must wait stops the
  // loop (later events may depend on it), so every LP still sees exactly
  // its in-process sequence.
  while (!queue_.empty()) {
    const Event<M>& top = queue_.front();
    if (top.time >= end_ || top.time >= safe_of_lp_[top.target]) break;
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    const Event<M> e = queue_.back();
    queue_.pop_back();
    Out out(*this, e.target, e.time);
    lps_[e.target]->Handle(e, out);
    last_of_lp_[e.target] = e.time;
    last_time_ = base::Max(last_time_, e.time);
    ++events_;
  }
  // Promises: a queued event may send as soon as it fires, or after the
  // rank's internal path from its LP to the channel (Channel::lead); an
  // arrival not yet received comes at or after `safe` and needs the
  // reaction time.
  for (LpId id : local_) head_of_lp_[id] = SimTime::Max();
  for (const Event<M>& e : queue_) head_of_lp_[e.target] = base::Min(head_of_lp_[e.target], e.time);
  std::vector<OutBatch<M>> batches;
  for (OutChannel& oc : out_) {
    SimTime from_queue = SimTime::Max();
    for (LpId id : local_) {
      from_queue = base::Min(from_queue, head_of_lp_[id].SaturatingAdd(oc.channel->lead[id]));
    }
    const SimTime from_arrivals = safe.SaturatingAdd(oc.channel->reaction);
    const SimTime promise =
        base::Min(from_queue, from_arrivals).SaturatingAdd(oc.channel->hop_delay);
    if (oc.pending.empty() && promise <= oc.sent) continue;
    OutBatch<M> b;
    b.to = oc.channel->to;
    b.promise = base::Max(promise, oc.sent);
    b.events.swap(oc.pending);
    oc.events += b.events.size();
    oc.sent = b.promise;
    batches.push_back(std::move(b));
  }
  return batches;
}

template <class M>
bool ProcessExecutor<M>::Finished() {
  const bool nothing_left = queue_.empty() || queue_.front().time >= end_;
  return nothing_left && safe_time() >= end_;
}

template <class M>
SimTime ProcessExecutor<M>::Lvt() {
  const SimTime head = queue_.empty() ? SimTime::Max() : queue_.front().time;
  return base::Min(head, safe_time());
}

template <class M>
SimTime ProcessExecutor<M>::next_event_time() const {
  return queue_.empty() ? SimTime::Max() : queue_.front().time;
}

template <class M>
std::vector<uint64_t> ProcessExecutor<M>::events_sent() const {
  std::vector<uint64_t> n;
  for (const OutChannel& oc : out_) n.push_back(oc.events);
  return n;
}

template <class M>
std::vector<uint64_t> ProcessExecutor<M>::events_received() const {
  std::vector<uint64_t> n;
  for (const InChannel& c : in_) n.push_back(c.events);
  return n;
}

template <class M>
void ProcessExecutor<M>::RaiseClocks(SimTime floor) {
  // Whatever is sent from now on follows an event at `floor` or later by
  // at least the hop's delay (the promise's own reasoning).
  for (InChannel& c : in_) c.clock = base::Max(c.clock, floor.SaturatingAdd(c.channel->hop_delay));
}

template <class M>
void ProcessExecutor<M>::Compact(SimTime gvt) {
  for (auto& lp : lps_) {
    if (lp) lp->Compact(gvt);
  }
}

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_PROCESS_EXECUTOR_H_
