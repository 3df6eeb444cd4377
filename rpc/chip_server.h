// The chip process: ChipService over one io_context.
//
// A chip process hosts one stage of a run at a time. LoadShard rebuilds
// the run from the scenario, model config and chip spec it is sent
// (deterministic: the same plan the coordinator computed, which it checks
// against the shard it was given), creates the stage's SimNode and opens
// streams to its higher-ranked peers; Exchange accepts streams from the
// others. gRPC handler threads only post work onto the io_context.
//
// A peer may open its stream before this chip has its own LoadShard (the
// coordinator loads chips one at a time): such a stream waits, parked with
// no thread of its own, until that run is loaded or load_timeout_s passes.
// At most max_parked_streams wait at once, one per run and rank.
#ifndef ETCHSIM_RPC_CHIP_SERVER_H_
#define ETCHSIM_RPC_CHIP_SERVER_H_

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>  // Asio 1.81 awaitable.hpp uses std::exchange unincluded
#include <vector>

#include "boost/asio.hpp"
#include "grpcpp/security/credentials.h"
#include "proto/etchsim/v1/service.grpc.pb.h"
#include "rpc/batch_validate.h"
#include "rpc/metrics.h"
#include "rpc/sim_node.h"
#include "sim/scenario_validate.h"

namespace etchsim::rpc {

struct ChipServerOptions {
  double stream_deadline_s = 24 * 3600;  // bound on any one run's streams
  double load_timeout_s = 60;            // wait for a peer's LoadShard
  // Streams that may wait for their run at once: a run's every other rank.
  int max_parked_streams = serving::kMaxChips + 1;
  // For streams to other chips; null = plaintext (see rpc/tls.h).
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
};

// Exchange is a raw callback (reactor) method that parses its own batches
// (rpc/peer.h says why), the others synchronous.
class ChipServer final
    : public v1::ChipService::WithRawCallbackMethod_Exchange<v1::ChipService::Service> {
 public:
  ChipServer(asio::io_context& io, ChipServerOptions options, ProcessMetrics* metrics);
  ~ChipServer() override;

  grpc::Status LoadShard(grpc::ServerContext* ctx, const v1::LoadShardRequest* req,
                         v1::LoadShardResponse* resp) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* Exchange(
      grpc::CallbackServerContext* ctx) override;
  grpc::Status GetStats(grpc::ServerContext* ctx, const v1::StatsRequest* req,
                        v1::ProcessStats* resp) override;
  grpc::Status Shutdown(grpc::ServerContext* ctx, const v1::ShutdownRequest* req,
                        v1::ShutdownResponse* resp) override;

  // Refreshes metrics from the current run (io thread).
  void UpdateMetrics();
  // Drops the current run, closing its streams.
  void DropRun();

 private:
  class ExchangeReactor;
  struct Run {
    std::string id;
    int rank = 0;
    int stages_per_process = 1;
    std::shared_ptr<sim::Simulation> sim;
    PeerLimits limits;              // what peers' batches for this rank may contain
    std::unique_ptr<SimNode> node;  // touched only on the io thread
    std::vector<std::shared_ptr<ClientPeer>> outgoing;
    std::chrono::steady_clock::time_point started;
  };
  struct Parked {
    ExchangeReactor* reactor;
    std::string run_id;
    int from_rank;
    std::chrono::steady_clock::time_point give_up;
  };
  // Runs `f` on the io thread and waits for it.
  template <typename F>
  auto OnIo(F&& f) -> decltype(f());
  // A stream whose hello names a run: attached now if that run is loaded,
  // else parked until it is (or refused when too many wait).
  void AttachOrPark(ExchangeReactor* reactor);
  // A parked stream's client went away: finishes it if still parked.
  void Unpark(ExchangeReactor* reactor);
  // One thread for all parked streams: refuses each whose wait is over.
  void WatchParked();

  asio::io_context& io_;
  ChipServerOptions options_;
  ProcessMetrics* metrics_;
  std::mutex mu_;
  std::condition_variable park_cv_;
  std::shared_ptr<Run> run_;    // under mu_
  std::vector<Parked> parked_;  // under mu_, in order of give_up
  bool stopping_ = false;       // under mu_
  std::thread park_watch_;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_CHIP_SERVER_H_
