#include "cluster/pdes.h"

#include <algorithm>
#include <cassert>

#include "absl/strings/str_cat.h"

namespace etchsim::cluster {

class ProcessExecutor::Out : public Outbox {
 public:
  Out(ProcessExecutor& x, LpId self, SimTime now) : x_(x), self_(self), now_(now) {}
  SimTime now() const override { return now_; }
  LpId self() const override { return self_; }
  void Send(LpId target, SimTime at, const Message& m) override {
    assert(at >= now_);
    const Event e{at, MakeKey(self_, x_.seq_[self_]++), target, m};
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

ProcessExecutor::ProcessExecutor(int rank, const ChannelPlan& plan,
                                 std::vector<std::unique_ptr<Lp>> lps, SimTime end)
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

void ProcessExecutor::Inject(LpId src, LpId target, SimTime at, const Message& m) {
  Push(Event{at, MakeKey(src, seq_[src]++), target, m});
}

void ProcessExecutor::Receive(int from, SimTime promise, const std::vector<Event>& events) {
  for (const Event& e : events) {
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

void ProcessExecutor::Push(const Event& e) {
  queue_.push_back(e);
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

SimTime ProcessExecutor::SafeFor(LpId lp) const {
  SimTime safe = SimTime::Max();
  for (const InChannel& c : in_)
    safe = base::Min(safe, c.clock.SaturatingAdd(c.channel->reach[lp]));
  return safe;
}

void ProcessExecutor::SetEnd(SimTime end) {
  if (end < end_) end_ = end;
}

SimTime ProcessExecutor::safe_time() const {
  SimTime safe = SimTime::Max();
  for (const InChannel& c : in_) safe = base::Min(safe, c.clock);
  return safe;
}

std::vector<OutBatch> ProcessExecutor::Advance() {
  const SimTime safe = safe_time();
  for (LpId id : local_) safe_of_lp_[id] = SafeFor(id);  // clocks only move in Receive
  // Events in (time, key) order, each once nothing from another rank can
  // still reach its LP earlier. An event at an LP that must wait stops the
  // loop (later events may depend on it), so every LP still sees exactly
  // its in-process sequence.
  while (!queue_.empty()) {
    const Event& top = queue_.front();
    if (top.time >= end_ || top.time >= safe_of_lp_[top.target]) break;
    std::pop_heap(queue_.begin(), queue_.end(), Later{});
    const Event e = queue_.back();
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
  for (const Event& e : queue_) head_of_lp_[e.target] = base::Min(head_of_lp_[e.target], e.time);
  std::vector<OutBatch> batches;
  for (OutChannel& oc : out_) {
    SimTime from_queue = SimTime::Max();
    for (LpId id : local_) {
      from_queue = base::Min(from_queue, head_of_lp_[id].SaturatingAdd(oc.channel->lead[id]));
    }
    const SimTime from_arrivals = safe.SaturatingAdd(oc.channel->reaction);
    const SimTime promise =
        base::Min(from_queue, from_arrivals).SaturatingAdd(oc.channel->hop_delay);
    if (oc.pending.empty() && promise <= oc.sent) continue;
    OutBatch b;
    b.to = oc.channel->to;
    b.promise = base::Max(promise, oc.sent);
    b.events.swap(oc.pending);
    oc.events += b.events.size();
    oc.sent = b.promise;
    batches.push_back(std::move(b));
  }
  return batches;
}

bool ProcessExecutor::Finished() {
  const bool nothing_left = queue_.empty() || queue_.front().time >= end_;
  return nothing_left && safe_time() >= end_;
}

SimTime ProcessExecutor::Lvt() {
  const SimTime head = queue_.empty() ? SimTime::Max() : queue_.front().time;
  return base::Min(head, safe_time());
}

SimTime ProcessExecutor::next_event_time() const {
  return queue_.empty() ? SimTime::Max() : queue_.front().time;
}

std::vector<uint64_t> ProcessExecutor::events_sent() const {
  std::vector<uint64_t> n;
  for (const OutChannel& oc : out_) n.push_back(oc.events);
  return n;
}

std::vector<uint64_t> ProcessExecutor::events_received() const {
  std::vector<uint64_t> n;
  for (const InChannel& c : in_) n.push_back(c.events);
  return n;
}

void ProcessExecutor::RaiseClocks(SimTime floor) {
  // Whatever is sent from now on follows an event at `floor` or later by
  // at least the hop's delay (the promise's own reasoning).
  for (InChannel& c : in_) c.clock = base::Max(c.clock, floor.SaturatingAdd(c.channel->hop_delay));
}

void ProcessExecutor::Compact(SimTime gvt) {
  for (auto& lp : lps_) {
    if (lp) lp->Compact(gvt);
  }
}

}  // namespace etchsim::cluster
