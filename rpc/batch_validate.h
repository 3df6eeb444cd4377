// Checks on everything a peer sends a chip process, before any of it
// reaches the engine.
//
// A peer is untrusted: any client that can reach `chip serve` can open an
// Exchange stream. Event records are copied byte for byte from the wire,
// so each one is checked here against the run this chip loaded (its LP
// targets, kinds, link and LP indices, counts and times); the first bad
// field ends the stream with INVALID_ARGUMENT and never reaches the LPs.
#ifndef ETCHSIM_RPC_BATCH_VALIDATE_H_
#define ETCHSIM_RPC_BATCH_VALIDATE_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cluster/event.h"
#include "cluster/simulation.h"
#include "proto/etchsim/v1/service.pb.h"

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
};
PeerLimits LimitsFor(const cluster::Simulation& sim, int rank, int stages_per_rank = 1);

// Latest virtual time an event from a peer may carry (4e6 s: above any
// validated scenario's end, below SimTime::Max()).
inline constexpr int64_t kMaxPeerTimePs = int64_t{4} * 1000 * 1000 * 1000 * 1000 * 1000 * 1000;

// The opening hello of an Exchange stream.
absl::Status ValidateHello(const v1::Batch& hello, const PeerLimits& l);
// A batch on a stream opened by `from_rank`; decodes and checks its events.
absl::Status ValidateBatch(const v1::Batch& b, int from_rank, const PeerLimits& l);
// One decoded event record.
absl::Status ValidateEvent(const cluster::Event& e, const PeerLimits& l);

// LoadShard's own fields (the scenario, model and chip are checked by the
// validators of those inputs when the run is built).
absl::Status ValidateLoadShard(const v1::LoadShardRequest& req);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_BATCH_VALIDATE_H_
