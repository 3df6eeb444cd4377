// Process plumbing shared by the chip, coordinator and cluster commands:
// gRPC servers with health checking and reflection, the Prometheus
// exposer, termination signals, and a local cluster of child processes.
#ifndef ETCHSIM_RPC_PROCESS_H_
#define ETCHSIM_RPC_PROCESS_H_

#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"
#include "rpc/tls.h"

namespace etchsim::rpc {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it
// creates later; call first thing in main-like code, then
// WaitForTerminationSignal() where the process should wait for them.
void BlockTerminationSignals();
// Returns the signal received (SIGINT or SIGTERM).
int WaitForTerminationSignal();

// A gRPC server on `listen` ("host:port"; port 0 picks a free one) with
// the standard health service (grpc.health.v1, SERVING) and reflection;
// a request that does not parse is answered INVALID_ARGUMENT naming its
// method and type (rpc/parse_errors.h).
struct RunningServer {
  std::unique_ptr<grpc::Server> server;
  std::string address;  // with the port actually bound
};
// `credentials` null = plaintext (see rpc/tls.h).
absl::StatusOr<RunningServer> StartServer(
    const std::string& listen, const std::vector<grpc::Service*>& services,
    std::shared_ptr<grpc::ServerCredentials> credentials = nullptr);

// The Prometheus endpoint (/metrics) on `listen`; port 0 picks one.
struct RunningExposer {
  std::unique_ptr<prometheus::Exposer> exposer;
  std::string address;
};
absl::StatusOr<RunningExposer> StartExposer(const std::string& listen,
                                            std::shared_ptr<prometheus::Registry> registry);

// Replaces a listen address's port with `port`.
std::string WithPort(const std::string& address, int port);

// Child processes of this binary on 127.0.0.1: `chips` chip servers and,
// optionally, a coordinator that knows them. Each child dies with its
// parent (PR_SET_PDEATHSIG) and the destructor stops them all (SIGTERM,
// then SIGKILL after a grace period) and reaps them, so nothing outlives
// the command that started it.
class LocalCluster {
 public:
  struct Options {
    int chips = 0;  // chip processes
    // Passed to the coordinator: chips (stages) each chip process hosts.
    int chips_per_process = 1;
    bool coordinator = false;
    std::string coordinator_listen = "127.0.0.1:0";
    bool metrics = false;  // give each process a /metrics endpoint
    double start_timeout_s = 30;
    // One stderr line per process started, and the children's own stderr;
    // false silences both.
    bool verbose = true;
    TlsFiles tls;  // passed on to every child
    // The subcommand each chip process runs (it must print AnnounceLine).
    std::vector<std::string> chip_command = {"chip", "serve"};
  };
  struct Child {
    std::string role;  // "chip 3", "coordinator"
    pid_t pid = -1;
    int out_fd = -1;  // the child's stdout (it announces its addresses)
    std::string address;
    std::string metrics_address;
  };

  static absl::StatusOr<std::unique_ptr<LocalCluster>> Start(const Options& options);
  ~LocalCluster();

  std::vector<std::string> chip_addresses() const;
  const std::vector<Child>& children() const { return children_; }
  const Child* coordinator() const;
  // Stops every child; returns once all are reaped.
  void Stop();

 private:
  LocalCluster() = default;
  absl::StatusOr<Child> Spawn(const std::string& role, std::vector<std::string> args,
                              double timeout_s, bool quiet);

  std::vector<Child> children_;
};

// Line a serving process prints on stdout once it listens:
//   "etchsim <role> listening on ADDR metrics on ADDR|-"
std::string AnnounceLine(const std::string& role, const std::string& address,
                         const std::string& metrics_address);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_PROCESS_H_
