// The coordinator: rank 0 of a distributed run (the host and the switches),
// and the process that drives it — loads every chip's shard, wires the
// streams, runs to the end, collects every chip's statistics and renders
// the report, which must equal the in-process one byte for byte.
#ifndef ETCHSIM_RPC_COORDINATOR_H_
#define ETCHSIM_RPC_COORDINATOR_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "proto/etchsim/v1/service.grpc.pb.h"
#include "rpc/metrics.h"

namespace etchsim::rpc {

struct DistributedOptions {
  // One address per chip process, in stage order: process p hosts stages
  // [p K, (p + 1) K) with K = chips_per_process.
  std::vector<std::string> chip_addresses;
  int chips_per_process = 1;
  double rpc_deadline_s = 30;  // unary RPCs (LoadShard, GetStats)
  // How long LoadShard retries a chip that refuses connections (still
  // starting, or not there) before the run fails naming it and the cause.
  double connect_timeout_s = 5;
  double stream_deadline_s = 24 * 3600;
  // A run whose virtual time does not advance for this long has failed.
  double stall_timeout_s = 60;
  // A chip process that does not answer a health check (asked every 0.5 s
  // on the side, answered by gRPC's threads however busy the simulation)
  // within this long has stopped: paused, or the network to it is cut.
  // 0 = do not ask.
  double liveness_timeout_s = 4;
  // Called about twice a second (and at the end) with progress.
  std::function<void(const v1::RunProgress&)> progress;
  ProcessMetrics* metrics = nullptr;
  // Polled with progress; true stops the run (a client went away).
  std::function<bool()> cancelled;
  // Inputs that replace local files (a client of CoordinatorService may
  // hold them instead of the coordinator).
  const std::string* model_config_json = nullptr;
  const v1::ChipSpec* chip = nullptr;
  // For every channel to a chip; null = plaintext (see rpc/tls.h).
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials;
};

// Runs `scenario` over the chip processes; returns the report, identical to
// the in-process run's.
absl::StatusOr<v1::Report> RunDistributed(const v1::Scenario& scenario,
                                          const DistributedOptions& options);

// How many chip processes a scenario needs at K chips per process.
absl::StatusOr<int> ProcessesNeeded(const v1::Scenario& scenario, int chips_per_process = 1);

class CoordinatorServer final : public v1::CoordinatorService::Service {
 public:
  CoordinatorServer(std::vector<std::string> chip_addresses, ProcessMetrics* metrics,
                    double stall_timeout_s,
                    std::shared_ptr<grpc::ChannelCredentials> channel_credentials = nullptr,
                    int chips_per_process = 1, double liveness_timeout_s = 4);
  grpc::Status StartRun(grpc::ServerContext* ctx, const v1::RunRequest* req,
                        grpc::ServerWriter<v1::RunProgress>* writer) override;
  grpc::Status GetReport(grpc::ServerContext* ctx, const v1::ReportRequest* req,
                         v1::ReportResponse* resp) override;

 private:
  std::vector<std::string> chips_;
  int chips_per_process_;
  ProcessMetrics* metrics_;
  double stall_timeout_s_;
  double liveness_timeout_s_;
  std::shared_ptr<grpc::ChannelCredentials> channel_credentials_;
  std::mutex mu_;  // one run at a time; guards the last report
  std::mutex report_mu_;
  std::string last_run_id_;
  std::optional<v1::Report> last_report_;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_COORDINATOR_H_
