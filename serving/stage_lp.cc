#include "serving/stage_lp.h"

#include <algorithm>
#include <cmath>

#include "base/rng.h"
#include "serving/batch_scheduler.h"

namespace etchsim::serving {

StageLp::StageLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k)
    : NodeLp(topo, node, k.window_start),
      wiring_(wiring),
      k_(k),
      busy_(k.window_start),
      expert_busy_(k.window_start),
      stage_(topo.nodes()[node].index) {}

bool StageLp::Lost(const Message& m, SimTime t) const {
  if (m.type == MsgType::kAbort) return false;
  if (!preempted_.empty() && m.request >= 0 && preempted_.contains(m.request)) return true;
  if (faults() == nullptr) return false;
  if (faults()->StageDown(stage_, t)) return true;
  return m.request >= 0 && m.request < dead_below_;
}

void StageLp::Compact(SimTime horizon) {
  NodeLp::Compact(horizon);
  busy_.Compact(horizon);
  expert_busy_.Compact(horizon);
}

StageResult StageLp::FinalizeStage(SimTime end) {
  const WorkStat::Result b = busy_.Finalize(end);
  return {b.busy_ps,       expert_busy_.Finalize(end).busy_ps,
          b.amount,        transfers_,
          transfer_bytes_, transfer_wait_ps_};
}

void StageLp::SendKv(const Message& m, int64_t prompt, Outbox& out) {
  for (const auto& [stage, share] : k_.decode_kv->StageShares(prompt)) {
    Message piece;
    piece.type = MsgType::kKvTransfer;
    piece.dst = k_.decode_lps[stage];
    piece.request = m.request;
    piece.step = m.step;
    piece.origin = out.self();
    for (int64_t left = share; left > 0;) {
      const int64_t bytes = std::min<int64_t>(left, kMaxKvPieceBytes);
      left -= bytes;
      piece.bytes = static_cast<int32_t>(bytes);
      piece.flags = left == 0 ? kFlagLastChunk : 0;
      Transmit(piece, out.now(), out);
    }
  }
}

bool StageLp::PassKvGate(const Message& m, SimTime& arrived) {
  if (!wiring_.kv_gate || !(m.flags & kFlagKvGate)) return true;
  const auto it = kv_ready_.find(m.request);
  if (it == kv_ready_.end()) {
    kv_parked_[m.request] = {m, arrived};
    return false;
  }
  arrived = base::Max(arrived, it->second);
  kv_ready_.erase(it);
  return true;
}

Message StageLp::KvArrived(const Message& piece, SimTime arrived, SimTime& at) {
  const bool measured = arrived >= k_.window_start;
  if (measured) transfer_bytes_ += piece.bytes;
  if (!(piece.flags & kFlagLastChunk)) return Message{};
  if (measured) ++transfers_;
  const auto it = kv_parked_.find(piece.request);
  if (it == kv_parked_.end()) {
    kv_ready_[piece.request] = arrived;
    return Message{};
  }
  const Parked p = it->second;
  kv_parked_.erase(it);
  at = base::Max(arrived, p.arrived);
  if (measured) transfer_wait_ps_ += (at - p.arrived).picos();
  return p.item;
}

Message StageLp::Timer(const Message& m, TimerKind kind, int32_t arg) {
  Message t = m;
  t.type = MsgType::kTimer;
  t.aux = (static_cast<int32_t>(kind) << 16) | (arg & 0xffff);
  return t;
}

int32_t StageLp::Accepted(const Message& m) const {
  // Each draft token is accepted with the acceptance rate until the first
  // rejection; a counter-based stream keeps this independent of placement.
  base::Rng rng(base::HashOf({k_.seed, 0xacce97ULL, static_cast<uint64_t>(m.request),
                              static_cast<uint64_t>(m.step)}),
                0);
  int32_t a = 0;
  while (a < m.count - 1 && rng.Uniform01() < k_.acceptance_rate) ++a;
  return a;
}

bool StageLp::ForwardIfTransit(const Event& e, Outbox& out) {
  // Timers are always this LP's own; other messages may be passing through.
  if (e.msg.type == MsgType::kTimer || e.msg.dst == out.self()) return false;
  Transmit(e.msg, e.time + topo().nodes()[node()].forward_latency, out);
  return true;
}

void StageLp::Depart(const Message& timer, Outbox& out) {
  Message n = timer;
  n.type = MsgType::kWork;
  n.aux = 0;
  SendWork(n, out);
}

void StageLp::SendWork(const Message& m, Outbox& out) {
  if (m.dst == out.self()) {
    out.Send(out.self(), out.now(), m);
  } else {
    Transmit(m, out.now(), out);
  }
}

void StageLp::Exit(const Message& m, Outbox& out) {
  if (Lost(m, out.now())) return;
  const bool prefill = m.flags & kFlagPrefill;
  if (wiring_.next >= 0) {
    Message h = m;
    h.type = MsgType::kWork;
    h.dst = wiring_.next;
    h.origin = out.self();
    h.aux = 0;
    h.bytes = k_.HandoffBytes(m.count);
    Transmit(h, out.now(), out);
    return;
  }
  if (prefill && !(m.flags & kFlagLastChunk)) return;  // more prompt to come
  int32_t produced = 1;
  if (!prefill && m.count > 1) produced = Accepted(m) + 1;
  produced = std::min(produced, m.remaining);
  const int32_t left = m.remaining - produced;
  Message t;
  t.type = MsgType::kTokenOut;
  t.flags = left == 0 ? kFlagFinal : 0;
  t.dst = wiring_.host;
  t.request = m.request;
  t.count = produced;
  t.step = m.step;
  t.origin = out.self();
  t.bytes = kHeaderBytes;
  Transmit(t, out.now(), out);
  if (left == 0) return;
  Message n;
  n.type = MsgType::kWork;
  n.dst = wiring_.first;
  n.request = m.request;
  n.context = m.context + (prefill ? m.count : produced);
  n.count = 1 + std::min(k_.draft_len, left - 1);
  n.remaining = left;
  n.step = m.step + 1;
  n.origin = out.self();
  n.bytes = kHeaderBytes;
  if (wiring_.sends_kv) {
    // The prompt's KV leaves with its first token; the step waits for it.
    SendKv(n, n.context, out);
    n.flags |= kFlagKvGate;
  }
  // Drafting the next step's tokens (an MTP module after the last layer)
  // takes draft_time per draft token before the step can leave.
  const SimTime draft = k_.draft_time * (n.count - 1);
  if (draft > SimTime::Zero()) {
    out.Send(out.self(), out.now() + draft, Timer(n, kDepart));
  } else {
    SendWork(n, out);
  }
}

// --- HardwiredLp -----------------------------------------------------------

HardwiredLp::HardwiredLp(const fabric::Topology& topo, int node, StageWiring wiring,
                         const RunConstants& k, chip::HardwiredChipModel model,
                         const ExpertMap* experts)
    : StageLp(topo, node, wiring, k), model_(std::move(model)), experts_(experts) {}

SimTime HardwiredLp::MinReaction() const {
  // A chip in a chain or ring also forwards other chips' messages.
  return base::Min(model_.MinReaction(), topo().nodes()[node()].forward_latency);
}

void HardwiredLp::Handle(const Event& e, Outbox& out) {
  const Message& m = e.msg;
  if (IsAbortForMe(m, out)) {
    NoteAbort(m);
    absl::erase_if(pending_, [&](const auto& p) { return Dead(std::get<0>(p.first)); });
    return;
  }
  if (Lost(m, e.time)) return;
  if (ForwardIfTransit(e, out)) return;
  switch (m.type) {
    case MsgType::kWork: {
      SimTime arrived = Received(e);
      if (PassKvGate(m, arrived)) Accept(m, arrived, out);
      break;
    }
    case MsgType::kKvTransfer: {
      SimTime at;
      const Message item = KvArrived(m, Received(e), at);
      if (item.type == MsgType::kWork) Accept(item, at, out);
      break;
    }
    case MsgType::kTimer:
      switch (KindOf(m)) {
        case kSegmentDone: {
          Message item = m;
          item.type = MsgType::kWork;
          item.aux = 0;
          SegmentDone(item, ArgOf(m), out);
          break;
        }
        case kExpertDone: {
          Message c = m;
          c.type = MsgType::kCombine;
          c.dst = m.origin;
          c.origin = out.self();
          c.aux = 0;
          Transmit(c, e.time, out);
          break;
        }
        case kDepart:
          Depart(m, out);
          break;
        default:
          break;
      }
      break;
    case MsgType::kDispatch: {
      if (model_.holds_ffn(m.layer)) {
        // Attention/FFN: a layer's FFN for a layer-step's tokens; each
        // layer's units take a token per interval, on their own.
        SimTime& free = ffn_free_[m.layer];
        const SimTime start = base::Max(Received(e), free);
        free = start + Stretch(start, model_.FfnOccupancy(m.count));
        busy_.Add(start, free, m.count);
        live_tokens_ += m.count;
        live_busy_ps_ += (free - start).picos();
        out.Send(out.self(), start + Stretch(start, model_.FfnLatency(m.layer, m.count)),
                 Timer(m, kExpertDone));
        break;
      }
      const SimTime start = base::Max(Received(e), expert_free_);
      expert_free_ = start + Stretch(start, model_.ExpertOccupancy(m.count));
      expert_busy_.Add(start, expert_free_, m.count);
      out.Send(out.self(), start + Stretch(start, model_.ExpertLatency(m.count)),
               Timer(m, kExpertDone));
      break;
    }
    case MsgType::kCombine: {
      const SimTime arrived = Received(e);  // always: it books the ingress link
      auto it = pending_.find({m.request, m.step, m.layer});
      if (it == pending_.end()) break;
      Pending& p = it->second;
      if (--p.remaining == 0) {
        const SimTime resume = base::Max(arrived, p.local_done);
        const Message item = p.item;
        const int next = p.next_segment;
        pending_.erase(it);
        StartSegment(item, next, resume, out);
      }
      break;
    }
    default:
      break;
  }
}

void HardwiredLp::Accept(const Message& m, SimTime arrived, Outbox& out) {
  const SimTime start = base::Max(arrived, next_free_);
  const SimTime occ = Stretch(start, model_.Occupancy(m.context, m.count));
  next_free_ = start + occ;
  busy_.Add(start, next_free_, m.count);
  live_tokens_ += m.count;
  live_busy_ps_ += occ.picos();
  StartSegment(m, 0, start, out);
}

void HardwiredLp::StartSegment(const Message& m, int s, SimTime at, Outbox& out) {
  out.Send(out.self(), at + Stretch(at, model_.SegmentLatency(s, m.context, m.count)),
           Timer(m, kSegmentDone, s));
}

void HardwiredLp::SegmentDone(const Message& m, int s, Outbox& out) {
  const chip::Segment& seg = model_.segments()[s];
  if (seg.dispatch_layer < 0) {
    Exit(m, out);
    return;
  }
  // Local selected experts and shared experts run while remote holders
  // compute theirs; the layer resumes when the last partial sum is back.
  const SimTime local_done =
      out.now() +
      Stretch(out.now(), SimTime::FromNanos(seg.local_expert_cycles * model_.cycle_ns()) +
                             model_.ExpertOccupancy(1) * (m.count - 1));
  const std::vector<LpId>& remote = RemoteHolders(m, seg.dispatch_layer);
  if (remote.empty()) {
    StartSegment(m, s + 1, local_done, out);
    return;
  }
  Pending& p = pending_[{m.request, m.step, seg.dispatch_layer}];
  p.remaining = static_cast<int>(remote.size());
  p.local_done = local_done;
  p.item = m;
  p.next_segment = s + 1;
  for (LpId holder : remote) {
    Message d;
    d.type = MsgType::kDispatch;
    d.layer = static_cast<uint16_t>(seg.dispatch_layer);
    d.dst = holder;
    d.origin = out.self();
    d.request = m.request;
    d.step = m.step;
    d.count = m.count;
    d.context = m.context;
    d.bytes = k_.HandoffBytes(m.count);
    Transmit(d, out.now(), out);
  }
}

const std::vector<LpId>& HardwiredLp::RemoteHolders(const Message& m, int layer) {
  if (static_cast<size_t>(layer) >= layer_experts_.size()) layer_experts_.resize(layer + 1);
  LayerExperts& le = layer_experts_[layer];
  if (le.holders == nullptr) {
    le.holders = &experts_->layers.at(layer);
    le.owner = &experts_->owner.at(layer);
    const auto rep = experts_->replica.find(layer);
    le.replica = rep == experts_->replica.end() ? nullptr : &rep->second;
    for (const ExpertHolder& h : *le.holders) le.remote_total += h.lp != node();
  }
  const std::vector<ExpertHolder>& holders = *le.holders;
  const std::vector<int32_t>& owner = *le.owner;
  const std::vector<int32_t>* replica = le.replica;
  touched_.assign(holders.size(), 0);
  size_t remote_touched = 0;
  for (int32_t j = 0; j < m.count && remote_touched < le.remote_total; ++j) {
    // Each token's top-k from a stream keyed by (seed, request, step,
    // layer, token): the same draw in every process.
    experts_->router->Draw(k_.seed, m.request, m.step, layer, j, chosen_);
    for (int64_t x : chosen_) {
      int32_t h = owner[x];
      if (replica != nullptr && (*replica)[x] >= 0 &&
          UseReplica(k_.seed, m.request, m.step, layer, j, x)) {
        h = (*replica)[x];
      }
      if (!touched_[h] && holders[h].lp != node()) {
        touched_[h] = 1;
        ++remote_touched;
      }
    }
  }
  remote_.clear();
  for (size_t h = 0; h < holders.size(); ++h) {
    if (touched_[h]) remote_.push_back(holders[h].lp);
  }
  return remote_;
}

// --- BatchLp ---------------------------------------------------------------

BatchLp::BatchLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k,
                 chip::RooflineStageModel model)
    : SteppedLp(topo, node, wiring, k), model_(std::move(model)) {}

void BatchLp::Handle(const Event& e, Outbox& out) {
  const Message& m = e.msg;
  if (IsAbortForMe(m, out)) {
    NoteAbort(m);
    std::erase_if(queue_, [&](const Message& q) { return Dead(q.request); });
    return;
  }
  // The step timers keep the stage's own state; what they carry out is
  // checked on Exit.
  const bool step_timer =
      m.type == MsgType::kTimer && (KindOf(m) == kStartStep || KindOf(m) == kStepDone);
  if (!step_timer && Lost(m, e.time)) return;
  if (ForwardIfTransit(e, out)) return;
  if (m.type == MsgType::kWork) {
    SimTime arrived = e.time;
    if (PassKvGate(m, arrived)) {
      queue_.push_back(m);
      RequestStep(out);
    }
    return;
  }
  if (m.type == MsgType::kKvTransfer) {
    // A roofline stage takes what has arrived at its next step.
    SimTime at;
    const Message item = KvArrived(m, e.time, at);
    if (item.type == MsgType::kWork) {
      queue_.push_back(item);
      RequestStep(out);
    }
    return;
  }
  if (m.type != MsgType::kTimer) return;
  switch (KindOf(m)) {
    case kDepart:
      Depart(m, out);
      break;
    case kStartStep:
      start_pending_ = false;
      if (Lost(Message{}, e.time)) queue_.clear();  // a failed stage loses its queue
      if (!busy_now_ && !queue_.empty()) StartStep(out);
      break;
    case kStepDone: {
      busy_now_ = false;
      std::vector<Message> done;
      done.swap(batch_);
      // A sequence's next decode item, when this stage is also the first,
      // is sent to itself at this instant. The start timer, requested
      // below or on that item's arrival, is sent after it (same sender,
      // later counter), so the item joins the next step.
      for (const Message& item : done) Exit(item, out);
      if (!queue_.empty()) RequestStep(out);
      break;
    }
    default:
      break;
  }
}

void SteppedLp::RequestStep(Outbox& out) {
  if (busy_now_ || start_pending_) return;
  start_pending_ = true;
  Message t;
  out.Send(out.self(), out.now(), Timer(t, kStartStep));
}

void BatchLp::StartStep(Outbox& out) {
  batch_ = TakeStep(queue_, {model_.max_batch(), model_.max_batch_tokens()});
  const int64_t tokens = TokensOf(batch_);
  const SimTime step = Stretch(out.now(), model_.StepTime(ToBatchItems(batch_)));
  busy_.Add(out.now(), out.now() + step, tokens);
  live_tokens_ += tokens;
  live_busy_ps_ += step.picos();
  busy_now_ = true;
  Message t;
  out.Send(out.self(), out.now() + step, Timer(t, kStepDone));
}

}  // namespace etchsim::serving

// --- AttentionLp -----------------------------------------------------------

namespace etchsim::serving {

AttentionLp::AttentionLp(const fabric::Topology& topo, int node, StageWiring wiring,
                         const RunConstants& k, AttentionGroupModel model)
    : SteppedLp(topo, node, wiring, k), model_(std::move(model)) {}

SimTime AttentionLp::MinReaction() const { return model_.MinStep(); }

void AttentionLp::Handle(const Event& e, Outbox& out) {
  const Message& m = e.msg;
  if (ForwardIfTransit(e, out)) return;
  switch (m.type) {
    case MsgType::kWork: {
      Message item = m;
      item.layer = 0;
      queue_.push_back(item);
      RequestStep(out);
      break;
    }
    case MsgType::kCombine: {
      const auto it = at_ffn_.find(m.request);
      if (it == at_ffn_.end()) break;
      if (it->second.sent >= k_.window_start) {
        ++transfers_;
        transfer_bytes_ += it->second.bytes + m.bytes;
        transfer_wait_ps_ += (e.time - it->second.sent).picos();
      }
      for (Message item : it->second.items) {
        ++item.layer;
        queue_.push_back(item);
      }
      at_ffn_.erase(it);
      RequestStep(out);
      break;
    }
    case MsgType::kTimer:
      switch (KindOf(m)) {
        case kDepart:
          Depart(m, out);
          break;
        case kStartStep:
          start_pending_ = false;
          if (!busy_now_ && !queue_.empty()) StartStep(out);
          break;
        case kStepDone:
          StepDone(out);
          break;
        default:
          break;
      }
      break;
    default:
      break;
  }
}

void AttentionLp::StartStep(Outbox& out) {
  // The layer of the item that has waited longest, and every item at it.
  batch_layer_ = queue_.front().layer;
  std::deque<Message> same, rest;
  for (const Message& q : queue_) (q.layer == batch_layer_ ? same : rest).push_back(q);
  const chip::RooflineStageModel& m = batch_layer_ < static_cast<int>(model_.layers.size())
                                          ? model_.layers[batch_layer_]
                                          : model_.head;
  batch_ = TakeStep(same, model_.Limits(k_));
  // What TakeStep left at this layer keeps its place ahead of the others.
  for (auto it = same.rbegin(); it != same.rend(); ++it) rest.push_front(*it);
  queue_.swap(rest);
  const bool head = batch_layer_ == static_cast<int>(model_.layers.size());
  const SimTime step = Stretch(out.now(), m.StepTime(ToBatchItems(batch_), head));
  const int64_t tokens = TokensOf(batch_);
  // Tokens enter the step at its first layer.
  busy_.Add(out.now(), out.now() + step, batch_layer_ == 0 ? tokens : 0);
  if (batch_layer_ == 0) live_tokens_ += tokens;
  live_busy_ps_ += step.picos();
  busy_now_ = true;
  Message t;
  out.Send(out.self(), out.now() + step, Timer(t, kStepDone));
}

void AttentionLp::StepDone(Outbox& out) {
  busy_now_ = false;
  std::vector<Message> done;
  done.swap(batch_);
  if (batch_layer_ == static_cast<int>(model_.layers.size())) {
    for (Message& item : done) {
      item.layer = 0;
      Exit(item, out);
    }
  } else {
    // One dispatch to the chip holding this layer's FFN for all the tokens.
    const int32_t id = next_step_id_++;
    Message d;
    d.type = MsgType::kDispatch;
    d.layer = static_cast<uint16_t>(batch_layer_);
    d.dst = k_.ffn_lps[batch_layer_];
    d.origin = out.self();
    d.request = id;
    d.count = static_cast<int32_t>(TokensOf(done));
    d.bytes = k_.HandoffBytes(d.count);
    Transmit(d, out.now(), out);
    at_ffn_[id] = {std::move(done), out.now(), d.bytes};
  }
  if (!queue_.empty()) RequestStep(out);
}

}  // namespace etchsim::serving
