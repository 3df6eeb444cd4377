// Stages: the chips (or roofline device groups) that hold the model, in
// pipeline order. A token item enters the first stage, is handed stage to
// stage, and at the last stage produces tokens, which go to the host, and
// (until the request is done) the next decode item, which goes back to the
// first stage.
#ifndef ETCHSIM_SERVING_STAGE_LP_H_
#define ETCHSIM_SERVING_STAGE_LP_H_

#include <algorithm>
#include <deque>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "chip/hardwired_model.h"
#include "chip/roofline_model.h"
#include "serving/batch_scheduler.h"
#include "serving/kv_budget.h"
#include "serving/node_lp.h"
#include "serving/routing.h"

namespace etchsim::serving {

// Settings every stage needs, fixed for a run.
struct RunConstants {
  uint64_t seed = 1;
  int32_t draft_len = 0;
  double acceptance_rate = 0;
  SimTime draft_time;  // per draft token, at the last stage
  int64_t hidden_size = 0;
  double activation_bytes = 2.0;  // per hidden element on the wire
  SimTime window_start;
  // Disaggregated runs: the decode pool's KV budget, whose StageShares say
  // what the prefill pool's last stage sends each decode stage.
  const KvBudget* decode_kv = nullptr;
  std::vector<LpId> decode_lps;  // decode stage LPs, by stage index
  // Attention/FFN disaggregation: the chip holding each layer's FFN.
  std::vector<LpId> ffn_lps;

  // Wire size of a hand-off or expert dispatch carrying `tokens` tokens'
  // activations: the header plus model::ActivationBytes.
  int32_t HandoffBytes(int64_t tokens) const {
    return kHeaderBytes +
           static_cast<int32_t>(model::ActivationBytes(tokens, hidden_size, activation_bytes));
  }
};

// Who holds which routed experts of each MoE layer (expert-spread plans).
struct ExpertHolder {
  int32_t begin = 0, end = 0;  // the plan's expert slots [begin, end)
  LpId lp = -1;
  double p_touch = 0;  // probability that a token selects one of its experts
};
struct ExpertMap {
  std::map<int, std::vector<ExpertHolder>> layers;  // layer -> holders
  // layer -> holder index of each expert: the plan's id order, or a
  // load-balanced placement (Routing.balance) over the same slot counts.
  std::map<int, std::vector<int32_t>> owner;
  // layer -> second holder of each expert, -1 for none
  // (Routing.redundant_experts); absent without redundant experts.
  std::map<int, std::vector<int32_t>> replica;
  const ExpertRouter* router = nullptr;  // owned by the Simulation; knows E and k
};

struct StageWiring {
  LpId host = 0;
  LpId first = 1;  // where the next decode step goes (the decode pool's first)
  LpId next = -1;  // -1: this is the last stage
  // Disaggregated runs: the prefill pool's last stage sends each prompt's
  // KV to the decode stages; a decode stage holding KV starts a request's
  // first decode step only once its share has arrived.
  bool sends_kv = false;
  bool kv_gate = false;
};

struct StageResult {
  int64_t busy_ps = 0;         // entry occupancy (the bottleneck unit)
  int64_t expert_busy_ps = 0;  // serving other chips' expert dispatches
  int64_t tokens = 0;          // tokens that entered in the window
  // In the window. Disaggregated decode stages: KV shares received, their
  // bytes, and the time first decode steps waited here for them. An
  // attention group: layer-step round trips to the FFN chips, the bytes
  // sent and returned, and the time the round trips took.
  int64_t transfers = 0;
  int64_t transfer_bytes = 0;
  int64_t transfer_wait_ps = 0;
};

class StageLp : public NodeLp {
 public:
  StageLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k);
  void Compact(SimTime horizon) override;
  StageResult FinalizeStage(SimTime end);
  // Running totals for live metrics (not clipped to the window).
  int64_t live_tokens() const { return live_tokens_; }
  int64_t live_busy_ps() const { return live_busy_ps_; }

 protected:
  enum TimerKind : int32_t {
    kSegmentDone = 1,
    kExpertDone = 2,
    kStepDone = 3,
    kDepart = 4,
    kStartStep = 5,
  };
  static Message Timer(const Message& m, TimerKind kind, int32_t arg = 0);
  static TimerKind KindOf(const Message& m) { return static_cast<TimerKind>(m.aux >> 16); }
  static int32_t ArgOf(const Message& m) { return m.aux & 0xffff; }

  // The stage's work on `m` is finished now: hand off, or emit tokens.
  void Exit(const Message& m, Outbox& out);
  // Forwards a message addressed to another node (chain/ring topologies
  // route through chips); true if it did.
  bool ForwardIfTransit(const Event& e, Outbox& out);
  // A kDepart timer fired: the item it carries leaves as work.
  void Depart(const Message& timer, Outbox& out);
  // Sends a work item toward `m.dst`, or to itself when it is the target.
  void SendWork(const Message& m, Outbox& out);
  int32_t Accepted(const Message& m) const;

  // Faults (serving/faults.h). True if `m` is lost at `t`: this stage is
  // down, or `m` belongs to a request the host has aborted. Never true
  // without faults, nor for a kAbort (the control plane reaches a spare).
  bool Lost(const Message& m, SimTime t) const;
  // A kAbort for this stage: requests below m.request are discarded, or
  // with kFlagPreempt request m.request alone (paged KV preempted it).
  bool IsAbortForMe(const Message& m, const Outbox& out) const {
    return m.type == MsgType::kAbort && m.dst == out.self();
  }
  void NoteAbort(const Message& m) {
    if (m.flags & kFlagPreempt) {
      preempted_.insert(m.request);
    } else {
      dead_below_ = std::max(dead_below_, m.request);
    }
  }
  bool Dead(int32_t request) const {
    return request >= 0 && (request < dead_below_ || preempted_.contains(request));
  }
  // Disaggregation. The prefill pool's last stage: sends request m's KV
  // shares, now, toward every decode stage that holds KV.
  void SendKv(const Message& m, int64_t prompt, Outbox& out);
  // A decode stage: true if work item `m`, received at `arrived`, may start
  // (its KV is here or it needs none); `arrived` becomes the later of the
  // two. False: it is parked until the KV arrives.
  bool PassKvGate(const Message& m, SimTime& arrived);
  // A KV piece arrived at `arrived`; returns the parked item its last piece
  // releases (type kNone if none) and, in `at`, when the item may start.
  Message KvArrived(const Message& piece, SimTime arrived, SimTime& at);

  // `d` of compute starting at `at`, stretched if this stage straggles.
  SimTime Stretch(SimTime at, SimTime d) const {
    return faults() == nullptr ? d : faults()->Stretch(stage_, at, d);
  }

  StageWiring wiring_;
  const RunConstants& k_;
  WorkStat busy_;         // entry occupancy and tokens entering
  WorkStat expert_busy_;  // expert service for other chips
  int64_t live_tokens_ = 0;
  int64_t live_busy_ps_ = 0;
  int stage_ = 0;
  int32_t dead_below_ = 0;                  // requests with smaller ids were aborted
  absl::flat_hash_set<int32_t> preempted_;  // paged KV preempted these
  // Disaggregated decode stages: requests whose KV share is here but whose
  // first decode step is not, and steps parked waiting for their KV.
  absl::flat_hash_map<int32_t, SimTime> kv_ready_;
  struct Parked {
    Message item;
    SimTime arrived;
  };
  absl::flat_hash_map<int32_t, Parked> kv_parked_;
  int64_t transfers_ = 0, transfer_bytes_ = 0, transfer_wait_ps_ = 0;  // in the window
};

// A hard-wired chip: spatial pipeline with an initiation interval.
class HardwiredLp : public StageLp {
 public:
  HardwiredLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k,
              chip::HardwiredChipModel model, const ExpertMap* experts);
  void Handle(const Event& e, Outbox& out) override;
  const chip::HardwiredChipModel& model() const { return model_; }

 protected:
  SimTime MinReaction() const override;

 private:
  // Work item `m` may start at `arrived` (after its ingress and KV).
  void Accept(const Message& m, SimTime arrived, Outbox& out);
  void StartSegment(const Message& m, int s, SimTime at, Outbox& out);
  void SegmentDone(const Message& m, int s, Outbox& out);
  // Holders other than this chip that the item's tokens select in `layer`,
  // into remote_ (valid until the next call).
  const std::vector<LpId>& RemoteHolders(const Message& m, int layer);

  chip::HardwiredChipModel model_;
  const ExpertMap* experts_;
  // RemoteHolders' view of one layer of *experts_ (found once, not three
  // map lookups per dispatch) and its scratch space.
  struct LayerExperts {
    const std::vector<ExpertHolder>* holders = nullptr;
    const std::vector<int32_t>* owner = nullptr;
    const std::vector<int32_t>* replica = nullptr;
    size_t remote_total = 0;  // holders that are not this chip
  };
  std::vector<LayerExperts> layer_experts_;  // by layer id; holders null = not yet found
  std::vector<char> touched_;
  std::vector<int64_t> chosen_;
  std::vector<LpId> remote_;
  SimTime next_free_;
  SimTime expert_free_;
  absl::flat_hash_map<int, SimTime> ffn_free_;  // attention/FFN: per layer
  struct Pending {
    int remaining = 0;
    SimTime local_done;
    Message item;
    int next_segment = 0;
  };
  absl::flat_hash_map<std::tuple<int32_t, int32_t, int32_t>, Pending> pending_;
};

// A roofline device group running iteration-level continuous batching:
// each forward step takes every running sequence's decode item and prompt
// chunks under the token budget (serving/batch_scheduler.h). A sequence's
// next token is ready for the step that starts when the one that produced
// it ends, so at small batch each user's inter-token latency is one step.
// What BatchLp and AttentionLp share: a device group that runs one step at
// a time, scheduled once per instant.
class SteppedLp : public StageLp {
 protected:
  using StageLp::StageLp;
  // Schedules a step at this instant unless one is running or pending:
  // everything that arrives at this time (a finished step's decode items,
  // chunks released together) is seen by the same step.
  void RequestStep(Outbox& out);

  bool busy_now_ = false;
  bool start_pending_ = false;  // a kStartStep timer is in flight
};

class BatchLp : public SteppedLp {
 public:
  BatchLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k,
          chip::RooflineStageModel model);
  void Handle(const Event& e, Outbox& out) override;
  const chip::RooflineStageModel& model() const { return model_; }

 protected:
  SimTime MinReaction() const override { return model_.MinStep(); }

 private:
  void StartStep(Outbox& out);

  chip::RooflineStageModel model_;
  std::deque<Message> queue_;
  std::vector<Message> batch_;
};

// Attention/FFN disaggregation: what the attention group's LP prices. One
// model per decoder layer (its attention, without the step overhead), the
// LM head (with it: one forward step of the engine ends there), and the
// whole group (KV capacity, the analytic path).
struct AttentionGroupModel {
  chip::RooflineStageModel whole;
  std::vector<chip::RooflineStageModel> layers;
  chip::RooflineStageModel head;
  // A layer-step's limits: the group's, its tokens also capped so that one
  // dispatch's activations fit a message (Message::bytes is 32-bit).
  StepLimits Limits(const RunConstants& k) const {
    const int64_t per = std::max<int64_t>(1, k.HandoffBytes(1) - kHeaderBytes);
    // ... and at most the token count a peer accepts in a message.
    const int64_t cap = std::min<int64_t>(
        model::kMaxContextTokens, (std::numeric_limits<int32_t>::max() - kHeaderBytes) / per);
    const int64_t budget = head.max_batch_tokens();
    return {head.max_batch(), budget > 0 ? std::min(budget, cap) : cap};
  }
  // The shortest layer-step: the group's lookahead.
  SimTime MinStep() const {
    SimTime best = head.MinStep();
    for (const chip::RooflineStageModel& l : layers) {
      best = base::Min(best, l.StepTime({chip::BatchItem{}}, false));
    }
    return best;
  }
};

// The attention group of an attention/FFN run: a roofline device group
// that runs each forward step layer by layer. A work item waits in the
// queue at its next layer; the group takes the layer of the item that has
// waited longest and every queued item at that layer (TakeStep's limits),
// runs that layer's attention, and sends the activations to the chip
// holding the layer's FFN in one dispatch (`request` = the layer-step's
// id), resuming the items at the next layer when it comes back. After the
// last layer the LM head runs and the items exit (tokens to the host, the
// next decode step back to this group). Items of different steps
// interleave, so the group computes while other items are at the FFNs.
class AttentionLp : public SteppedLp {
 public:
  AttentionLp(const fabric::Topology& topo, int node, StageWiring wiring, const RunConstants& k,
              AttentionGroupModel model);
  void Handle(const Event& e, Outbox& out) override;

 protected:
  SimTime MinReaction() const override;

 private:
  void StartStep(Outbox& out);
  void StepDone(Outbox& out);

  AttentionGroupModel model_;
  std::deque<Message> queue_;  // `layer`: the next layer to run (layers = the head)
  std::vector<Message> batch_;
  int batch_layer_ = 0;
  int32_t next_step_id_ = 0;
  struct AtFfn {
    std::vector<Message> items;
    SimTime sent;
    int32_t bytes = 0;
  };
  absl::flat_hash_map<int32_t, AtFfn> at_ffn_;  // by layer-step id
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_STAGE_LP_H_
