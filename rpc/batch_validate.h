// Checks on everything a peer sends, before any of it reaches the engine
// or the report: what chips and clients send a chip process, and what
// chip processes send the coordinator.
//
// A peer is untrusted: any client that can reach `chip serve` can open an
// Exchange stream, and the coordinator believes no chip's numbers. Event
// records are copied byte for byte from the wire, so each one is checked
// here against the run (its LP targets, kinds, link and LP indices, counts
// and times), and a stream's events against what it sent before; the first
// bad field ends the stream with INVALID_ARGUMENT and never reaches the
// LPs. A chip's final statistics are checked against what its stages could
// have done in the measured window before they reach the report.
#ifndef ETCHSIM_RPC_BATCH_VALIDATE_H_
#define ETCHSIM_RPC_BATCH_VALIDATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "proto/etchsim/v1/service.pb.h"
#include "serving/message.h"
#include "sim/simulation.h"

namespace etchsim::rpc {

// What a batch for `rank` of a run may contain.
struct PeerLimits {
  int rank = 0;
  int num_ranks = 0;
  int num_lps = 0;
  int num_links = 0;
  std::vector<int> rank_of_lp;  // indexed by LP id
  // Disaggregated runs: the LPs a prefill pool sends KV to (the decode
  // stages holding KV); empty otherwise, when no KV transfer is valid.
  std::vector<bool> kv_receiver;  // indexed by LP id
  // Channels out of and into each rank (the sizes of a status's counts).
  std::vector<int> outputs_of_rank, inputs_of_rank;
};
PeerLimits LimitsFor(const sim::Simulation& sim, int rank, int stages_per_rank = 1);

// Latest virtual time an event from a peer may carry (4e6 s: above any
// validated scenario's end, below SimTime::Max()).
inline constexpr int64_t kMaxPeerTimePs = int64_t{4} * 1000 * 1000 * 1000 * 1000 * 1000 * 1000;

// The opening hello of an Exchange stream.
absl::Status ValidateHello(const v1::Batch& hello, const PeerLimits& l);
// A batch on a stream opened by `from_rank`; decodes and checks its events.
absl::Status ValidateBatch(const v1::Batch& b, int from_rank, const PeerLimits& l);
// One decoded event record.
absl::Status ValidateEvent(const serving::Event& e, const PeerLimits& l);

// The batches of one stream, in order: each passes ValidateBatch, its
// events come from LPs of the rank that opened the stream, each sender's
// keys only grow (a replayed or duplicated event would be handled twice:
// duplicated token events once inflated a report's output tokens 24 to
// 8,016), no event is earlier than the stream's last promise, and a
// status's channel counts never fall.
// Not thread-safe: one per stream, called from its reads in turn.
class StreamCheck {
 public:
  // REQUIRES: `limits` outlives this object.
  StreamCheck(const PeerLimits& limits, int from_rank);
  absl::Status Check(const v1::Batch& b);

 private:
  const PeerLimits& l_;
  int from_;
  std::vector<uint64_t> last_key_;  // by sender LP; 0 = none yet
  std::vector<bool> seen_;          // by sender LP
  int64_t promise_ps_ = 0;
  std::vector<int64_t> sent_, received_;  // the last status's counts
};

// A chip process's GetStats answer for a run that ended at `end`: exactly
// `hosted` stages from `first_stage`, in order, each count and time
// non-negative and within what the stage could do in the measured window
// (busy time at most the window per unit, tokens at most kMaxContextTokens
// per event processed, links only its own, bytes at most the link's
// bandwidth over the window), so sums and ratios in the report stay exact.
absl::Status ValidateProcessStats(const v1::ProcessStats& stats, const sim::Simulation& sim,
                                  int first_stage, int hosted, base::SimTime end);

// LoadShard's own fields (the scenario, model and chip are checked by the
// validators of those inputs when the run is built).
absl::Status ValidateLoadShard(const v1::LoadShardRequest& req);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_BATCH_VALIDATE_H_
