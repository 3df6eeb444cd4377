// The host: generates requests, admits them when their KV cache fits,
// feeds prompts to the first stage, and records what serving people
// measure from the tokens that come back.
#ifndef ETCHSIM_SERVING_HOST_LP_H_
#define ETCHSIM_SERVING_HOST_LP_H_

#include <deque>
#include <functional>
#include <optional>
#include <vector>

#include "base/histogram.h"
#include "base/rng.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "serving/kv_budget.h"
#include "serving/node_lp.h"
#include "serving/workload.h"

namespace etchsim::serving {

struct HostResult;

// Checked after every measured completion; true ends the run there. The
// planner uses it to abandon a probe whose SLO is already lost.
using GiveUp = std::function<bool(const HostResult&)>;

struct HostConfig {
  v1::Scenario scenario;
  std::vector<TraceRequest> trace;  // for trace workloads
  LpId first_stage = 1;             // where decode steps enter
  LpId prefill_stage = 1;           // where prompts enter (a disaggregated prefill pool's first)
  KvBudget kv;                      // admission limit (per stage, windowed layers capped)
  // Disaggregated runs: the prefill pool's KV, which holds a prompt from
  // admission until its first token is out.
  std::optional<KvBudget> prefill_kv;
  int32_t draft_len = 0;
  SimTime window_start;
  SimTime host_overhead;
  GiveUp give_up;                     // may be empty
  const FaultPlan* faults = nullptr;  // null = no faults
  std::vector<LpId> stages;           // stage LPs, for aborts
};

// Serving in one phase of a fault scenario (FaultPlan::PhaseOf).
struct PhaseResult {
  base::LogHistogram ttft_ps, tpot_ps, e2e_ps;
  int64_t completed = 0, failed = 0, retried = 0, output_tokens = 0;
};

struct HostResult {
  base::LogHistogram ttft_ps, tpot_ps, itl_ps, e2e_ps, queue_ps;
  base::LogHistogram tokens_per_s_per_user_milli;  // per request, x1000
  // First token to second: in a disaggregated run, what the KV transfer
  // costs a user (reported only then).
  base::LogHistogram first_itl_ps;
  int64_t arrivals = 0;
  int64_t completed = 0;  // measured requests completed
  int64_t rejected = 0;   // can never fit the KV cache
  int64_t in_flight_at_end = 0;
  int64_t output_tokens = 0;  // emitted in the window
  int64_t input_tokens = 0;   // of measured completed requests
  int64_t slo_met = 0;
  // Output tokens per throughput window, only for windows that had any, in
  // window order: memory grows with the token messages the run delivers,
  // never with its virtual horizon (a microsecond window over a long idle
  // think time once sized a dense vector by the horizon and ran out of
  // memory). Windows not listed had no output.
  struct WindowTokens {
    int64_t window = 0;
    int64_t tokens = 0;
  };
  std::vector<WindowTokens> window_tokens;
  // Output tokens in the windows [first, last).
  int64_t WindowTokenSum(int64_t first, int64_t last) const;
  // One past the last window with output (0 when none).
  int64_t WindowsSpanned() const {
    return window_tokens.empty() ? 0 : window_tokens.back().window + 1;
  }
  __int128 kv_token_integral = 0;  // context tokens x ps
  int64_t kv_tokens_peak = 0;
  // Disaggregated runs: prompt tokens the prefill pool holds (from
  // admission to the first token).
  __int128 prefill_kv_token_integral = 0;
  int64_t prefill_kv_tokens_peak = 0;
  // Paged KV (KvPolicy "paged"): requests preempted, and the bytes the
  // busiest chip swapped out and in (preemption "swap").
  int64_t preemptions = 0;
  int64_t swapped_bytes = 0;
  int64_t prefix_hits = 0;  // arrivals that start with the cached prefix
  // With windowed layers only: the KV bytes each stage holds (windowed
  // layers capped), by stage index; empty otherwise, when tokens x the
  // stage's bytes per token is exact.
  struct StageKv {
    int stage = -1;
    __int128 byte_integral = 0;  // bytes x ps
    int64_t peak_bytes = 0;
  };
  std::vector<StageKv> stage_kv;
  SimTime last_event;
  bool gave_up = false;  // the run was ended by HostConfig::give_up
  // Faults only (measured requests): aborted and not retried, retries.
  int64_t failed = 0;
  int64_t retried = 0;
  std::vector<PhaseResult> phases;  // before, during, after; empty without faults
};

class HostLp : public NodeLp {
 public:
  HostLp(const fabric::Topology& topo, int node, HostConfig config);
  // The first arrival(s), to inject before running.
  std::vector<std::pair<SimTime, Message>> InitialEvents() const;
  void Handle(const Event& e, Outbox& out) override;
  void Compact(SimTime horizon) override;
  HostResult Finalize(SimTime end);
  bool stopped() const { return stopped_; }
  int64_t live_kv_tokens() const { return kv_tokens_; }
  int64_t live_completed() const { return r_.completed; }
  int64_t live_output_tokens() const { return emitted_total_; }
  int64_t live_in_flight() const { return admitted_now_; }
  // The measured figures so far (latency histograms, rejections, SLO
  // count), for live metrics; Finalize completes them.
  const HostResult& live_result() const { return r_; }

 protected:
  SimTime MinReaction() const override { return config_.host_overhead; }

 private:
  enum class State : uint8_t { kWaiting, kAdmitted, kDone, kRejected, kAborted };
  struct Request {
    SimTime arrival, admitted, first_token, last_token;
    int32_t input = 0, output = 0, emitted = 0, user = -1;
    int32_t attempts = 0;  // retries so far (faults)
    int64_t alloc = 0;     // KV tokens reserved: Need() or, paged, the blocks so far
    int32_t shared = 0;    // leading tokens in the cached prefix (held once)
    int32_t preemptions = 0;
    bool swapped = false;     // paged swap: its KV waits in host memory
    bool prefilling = false;  // disaggregated: holds prefill-pool KV
    SimTime swap_ready;       // when its swap-out is complete
    bool measured = false;
    State state = State::kWaiting;
  };
  void Arrive(int32_t user, Outbox& out);
  void TryAdmit(Outbox& out);
  void OnTokens(const Message& m, Outbox& out);
  // The sequence length a request reserves KV for.
  int64_t Need(const Request& r) const { return r.input + r.output + config_.draft_len; }
  // What to reserve now: Need(r), or with paged KV the blocks covering the
  // context so far plus the next step's tokens (at most Need(r)).
  int64_t Allocation(const Request& r) const;
  // Paged KV: request `id`'s next step needs more blocks; preempt the most
  // recently arrived running requests (vLLM's order, `id` included) until
  // they fit. False if `id` itself had to go.
  bool GrowFor(int32_t id, Outbox& out);
  // The latest-arrived admitted request (ties: the higher id).
  // REQUIRES: one is admitted.
  int32_t Victim() const;
  void Preempt(int32_t id, Outbox& out);
  // Sends a resumed request's KV back from host memory, then its next step.
  void SwapIn(int32_t id, Outbox& out);
  // Request `id`'s KV is back: its next step leaves (a kTimer, aux = id).
  void SwappedIn(int32_t id, Outbox& out);
  // Books one transfer of r's KV (the busiest chip's bytes) on the host
  // links, starting no earlier than `ready`; returns when it is done.
  SimTime Swap(const Request& r, SimTime ready);
  // Gives back an admitted request's KV (budget, level, held bytes).
  void Release(const Request& r, SimTime now);
  void SetKv(SimTime at);
  // Context of a request grew from `from` to `to` tokens (to < from:
  // freed), its first `shared` in the cached prefix.
  void HoldKv(int64_t from, int64_t to, int64_t shared, SimTime at);
  void StopIfDrained(Outbox& out);
  Message ArrivalTimer(int32_t user) const;
  // A closed-loop user whose request ended at `now` thinks, then sends.
  void NextFromUser(const Request& r, SimTime now, Outbox& out);
  // Faults: an outage was detected; abort, retry or fail, and re-queue.
  void AbortAll(Outbox& out);
  PhaseResult* Phase(SimTime t);

  HostConfig config_;
  base::Rng lengths_;
  base::Rng gaps_;
  base::Rng prefix_rng_;  // prefix cache hits
  int32_t prefix_tokens_ = 0;
  double prefix_hit_rate_ = 0;
  std::vector<Request> requests_;
  std::deque<int32_t> waiting_;
  KvBudget budget_;                         // admitted requests' full KV need
  std::optional<KvBudget> prefill_budget_;  // disaggregated: prompts being prefilled
  int64_t kv_tokens_ = 0;                   // context tokens currently held
  int64_t emitted_total_ = 0;               // output tokens, warm-up included (metrics)
  int64_t admitted_now_ = 0;                // admitted, not yet complete (metrics)
  size_t next_trace_ = 0;
  int32_t lowest_open_ = 0;  // no request below it is waiting or admitted
  bool stopped_ = false;
  HostResult r_;
  LevelStat kv_;
  int64_t prefill_tokens_ = 0;  // disaggregated: prompt tokens on the prefill pool
  LevelStat prefill_kv_;
  bool paged_ = false;
  bool swap_ = false;
  int64_t block_ = 1;
  SimTime swap_free_;                 // the host links are busy swapping until then
  std::vector<int64_t> held_;         // per KvBudget pool, windowed only
  std::vector<LevelStat> held_stat_;  // the same over time
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_HOST_LP_H_
