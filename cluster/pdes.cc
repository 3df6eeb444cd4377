#include "cluster/pdes.h"

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
      x_.queue_.Push(e);
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
  out_of_rank_.assign(plan.num_ranks, -1);
  for (const Channel* c : plan.In(rank)) in_.push_back({c->from, SimTime::Zero()});
  for (const Channel* c : plan.Out(rank)) {
    out_of_rank_[c->to] = static_cast<int>(out_.size());
    out_.push_back({c, SimTime::Zero(), {}});
  }
}

void ProcessExecutor::Inject(LpId src, LpId target, SimTime at, const Message& m) {
  queue_.Push(Event{at, MakeKey(src, seq_[src]++), target, m});
}

void ProcessExecutor::Receive(int from, SimTime promise, const std::vector<Event>& events) {
  for (const Event& e : events) {
    // Conservative synchronisation never delivers the past; if it did, the
    // run would silently differ from the in-process one, so stop loudly.
    if (e.time < last_time_ && error_.empty()) {
      error_ = absl::StrCat("causality violation: rank ", rank_, " received an event at ",
                            e.time.ToString(), " from rank ", from, " after processing up to ",
                            last_time_.ToString());
    }
    queue_.Push(e);
  }
  for (InChannel& c : in_) {
    if (c.from == from && promise > c.clock) c.clock = promise;
  }
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
  Event e;
  while (!queue_.empty()) {
    const SimTime t = queue_.top_time();
    if (t >= safe || t >= end_) break;
    queue_.Pop(&e);
    Out out(*this, e.target, e.time);
    lps_[e.target]->Handle(e, out);
    last_time_ = e.time;
    ++events_;
  }
  // Promises: a queued event may send as soon as it fires; an arrival not
  // yet received comes at or after `safe` and needs the reaction time.
  const SimTime head = queue_.empty() ? SimTime::Max() : queue_.top_time();
  std::vector<OutBatch> batches;
  for (OutChannel& oc : out_) {
    const SimTime from_arrivals = safe.SaturatingAdd(oc.channel->reaction);
    const SimTime promise = base::Min(head, from_arrivals).SaturatingAdd(oc.channel->hop_delay);
    if (oc.pending.empty() && promise <= oc.sent) continue;
    OutBatch b;
    b.to = oc.channel->to;
    b.promise = base::Max(promise, oc.sent);
    b.events.swap(oc.pending);
    oc.sent = b.promise;
    batches.push_back(std::move(b));
  }
  return batches;
}

bool ProcessExecutor::Finished() {
  const bool nothing_left = queue_.empty() || queue_.top_time() >= end_;
  return nothing_left && safe_time() >= end_;
}

SimTime ProcessExecutor::Lvt() {
  const SimTime head = queue_.empty() ? SimTime::Max() : queue_.top_time();
  return base::Min(head, safe_time());
}

void ProcessExecutor::Compact(SimTime gvt) {
  for (auto& lp : lps_) {
    if (lp) lp->Compact(gvt);
  }
}

}  // namespace etchsim::cluster
