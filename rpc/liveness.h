// Liveness of chip processes during a run, asked on the side.
//
// A paused process (SIGSTOP, `docker pause`, a VM stall) keeps its sockets
// open, so its streams do not break; gRPC's keepalive notices only after
// ~10 s on a loaded machine. LivenessProbe asks each process the standard
// grpc.health.v1 Check on the channel the run already uses. gRPC's own
// threads answer it in the chip process, so a chip that is busy simulating
// still answers at once; only a paused process, or a network that no
// longer carries its packets, lets the deadline pass.
#ifndef ETCHSIM_RPC_LIVENESS_H_
#define ETCHSIM_RPC_LIVENESS_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "grpcpp/grpcpp.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"

namespace etchsim::rpc {

class LivenessProbe {
 public:
  // Called on a gRPC thread with the check's status (OK: it answered).
  using Done = std::function<void(const grpc::Status&)>;

  // One channel per process; every check waits at most `timeout_s`.
  LivenessProbe(const std::vector<std::shared_ptr<grpc::Channel>>& channels, double timeout_s);
  // Cancels the checks in flight and waits for their callbacks.
  ~LivenessProbe();
  LivenessProbe(const LivenessProbe&) = delete;
  LivenessProbe& operator=(const LivenessProbe&) = delete;

  // Checks process `p`; if a check of it is already in flight, `done`
  // waits for that one's answer instead of sending another.
  void Check(int p, Done done);

 private:
  struct Call;
  void Finish(int p, const grpc::Status& s);

  std::vector<std::unique_ptr<grpc::health::v1::Health::Stub>> stubs_;
  double timeout_s_;
  std::mutex mu_;
  std::condition_variable idle_;
  std::vector<Call*> in_flight_;            // per process, null when none
  std::vector<std::vector<Done>> waiting_;  // per process
  int outstanding_ = 0;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_LIVENESS_H_
