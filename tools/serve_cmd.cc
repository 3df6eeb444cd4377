// Distributed mode commands:
//   etchsim chip serve --listen ADDR [--metrics-listen ADDR]
//   etchsim coordinator serve --listen ADDR --chip-addresses A,B,... [--metrics-listen ADDR]
//   etchsim cluster up --local --chips N [--listen ADDR]
// Each serving process prints one line on stdout once it listens
// ("etchsim chip listening on 127.0.0.1:41234 metrics on -"), then serves
// until SIGINT or SIGTERM and exits 0 after a clean shutdown.
#include <chrono>
#include <iostream>
#include <optional>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "proto/grpc/health/v1/health.grpc.pb.h"
#include "rpc/address.h"
#include "rpc/chip_server.h"
#include "rpc/coordinator.h"
#include "rpc/metrics.h"
#include "rpc/process.h"
#include "sim/scenario_validate.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"

namespace etchsim::tools {
namespace {

namespace asio = boost::asio;

std::chrono::system_clock::time_point In(double s) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

absl::StatusOr<std::optional<rpc::RunningExposer>> MaybeExposer(
    std::shared_ptr<prometheus::Registry> registry) {
  const std::string listen = absl::GetFlag(FLAGS_metrics_listen);
  if (listen.empty()) return std::nullopt;
  ASSIGN_OR_RETURN(rpc::RunningExposer e, rpc::StartExposer(listen, std::move(registry)));
  return e;
}

}  // namespace

rpc::TlsFiles TlsFilesFromFlags() {
  return {absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_ca)};
}

absl::StatusOr<rpc::Credentials> CredentialsFromFlags() {
  return rpc::LoadCredentials(TlsFilesFromFlags());
}

absl::StatusOr<int> ChipsPerProcessFromFlags() {
  const int per = absl::GetFlag(FLAGS_chips_per_process);
  if (per < 1 || per > serving::kMaxChips) {
    return absl::InvalidArgumentError(
        absl::StrCat("--chips-per-process must be in [1, ", serving::kMaxChips, "], got ", per));
  }
  return per;
}

absl::Status LivenessTimeoutFromFlags(double& out) {
  out = absl::GetFlag(FLAGS_liveness_timeout);
  if (out == 0) return absl::OkStatus();
  return base::CheckRange("", "--liveness-timeout", out, 0.5, 3600);
}

namespace {

absl::Status RunChipServe(const Invocation& inv) {
  rpc::BlockTerminationSignals();  // before any thread starts
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  auto registry = std::make_shared<prometheus::Registry>();
  rpc::ProcessMetrics metrics(*registry, "chip");
  ASSIGN_OR_RETURN(auto exposer, MaybeExposer(registry));
  ASSIGN_OR_RETURN(rpc::Credentials creds, CredentialsFromFlags());
  rpc::ChipServer chip(io, {.channel_credentials = creds.channel}, &metrics);
  ASSIGN_OR_RETURN(rpc::RunningServer server,
                   rpc::StartServer(absl::GetFlag(FLAGS_listen), {&chip}, creds.server));
  inv.out << rpc::AnnounceLine("chip", server.address, exposer ? exposer->address : "")
          << std::endl;
  // Metrics follow the run from the io thread, like everything else.
  asio::steady_timer timer(io);
  std::function<void()> refresh = [&] {
    timer.expires_after(std::chrono::milliseconds(250));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      chip.UpdateMetrics();
      refresh();
    });
  };
  refresh();
  std::thread io_thread([&] { io.run(); });
  const int sig = rpc::WaitForTerminationSignal();
  inv.err << "chip " << server.address << ": " << strsignal(sig) << ", shutting down\n";
  server.server->Shutdown(In(2));
  chip.DropRun();
  // A refresh already due may re-arm the timer after a cancel; stop the
  // loop outright instead of waiting for it to run out of work.
  work.reset();
  io.stop();
  io_thread.join();
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ChipAddresses(const std::string& flag,
                                                       const std::string& value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": give at least one chip address HOST:PORT"));
  }
  ASSIGN_OR_RETURN(std::vector<std::string> out,
                   rpc::ParseAddressList(absl::StrCat("--", flag), value));
  return out;
}

absl::Status RunCoordinatorServe(const Invocation& inv) {
  rpc::BlockTerminationSignals();
  ASSIGN_OR_RETURN(std::vector<std::string> chips,
                   ChipAddresses("chip-addresses", absl::GetFlag(FLAGS_chip_addresses)));
  auto registry = std::make_shared<prometheus::Registry>();
  rpc::ProcessMetrics metrics(*registry, "coordinator");
  ASSIGN_OR_RETURN(auto exposer, MaybeExposer(registry));
  const double stall = absl::GetFlag(FLAGS_stall_timeout);
  RETURN_IF_ERROR(base::CheckRange("", "--stall-timeout", stall, 0.1, 86400));
  double liveness = 0;
  RETURN_IF_ERROR(LivenessTimeoutFromFlags(liveness));
  ASSIGN_OR_RETURN(rpc::Credentials creds, CredentialsFromFlags());
  ASSIGN_OR_RETURN(const int per, ChipsPerProcessFromFlags());
  rpc::CoordinatorServer coord(chips, &metrics, stall, creds.channel, per, liveness);
  ASSIGN_OR_RETURN(rpc::RunningServer server,
                   rpc::StartServer(absl::GetFlag(FLAGS_listen), {&coord}, creds.server));
  inv.out << rpc::AnnounceLine("coordinator", server.address, exposer ? exposer->address : "")
          << std::endl;
  const int sig = rpc::WaitForTerminationSignal();
  inv.err << "coordinator " << server.address << ": " << strsignal(sig) << ", shutting down\n";
  server.server->Shutdown(In(2));  // cancels a run in progress
  return absl::OkStatus();
}

absl::Status RunClusterUp(const Invocation& inv) {
  if (!absl::GetFlag(FLAGS_local)) {
    return absl::InvalidArgumentError(
        "cluster up: only --local is supported here; for several machines use "
        "deploy/compose or deploy/k8s");
  }
  const int chips = absl::GetFlag(FLAGS_chips);
  if (chips < 1) return absl::InvalidArgumentError("--chips must be >= 1");
  ASSIGN_OR_RETURN(const int per, ChipsPerProcessFromFlags());
  rpc::BlockTerminationSignals();
  rpc::LocalCluster::Options o;
  o.chips = (chips + per - 1) / per;
  o.chips_per_process = per;
  o.coordinator = true;
  o.coordinator_listen = absl::GetFlag(FLAGS_listen);
  RETURN_IF_ERROR(CredentialsFromFlags().status());  // fail here, not in a child
  o.tls = TlsFilesFromFlags();
  o.metrics = true;
  ASSIGN_OR_RETURN(std::unique_ptr<rpc::LocalCluster> lc, rpc::LocalCluster::Start(o));
  const rpc::LocalCluster::Child* coord = lc->coordinator();
  inv.out << "cluster up: " << chips << " chips in " << o.chips
          << " chip processes and a coordinator\n"
          << "  coordinator  " << coord->address << "  metrics http://" << coord->metrics_address
          << "/metrics\n"
          << "  run:  etchsim simulate --coordinator=" << coord->address << " [scenario flags]\n"
          << "  stop: Ctrl-C (or SIGTERM to pid " << getpid() << ")\n"
          << std::flush;
  const int sig = rpc::WaitForTerminationSignal();
  inv.err << "cluster up: " << strsignal(sig) << ", stopping " << lc->children().size()
          << " processes\n";
  lc->Stop();
  inv.out << "cluster down\n";
  return absl::OkStatus();
}

absl::Status RunHealth(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  const std::string& address = inv.args[0];
  RETURN_IF_ERROR(rpc::ValidateHostPort("health", address, /*allow_port_zero=*/false));
  ASSIGN_OR_RETURN(rpc::Credentials creds, CredentialsFromFlags());
  auto stub = grpc::health::v1::Health::NewStub(grpc::CreateChannel(address, creds.channel));
  grpc::ClientContext ctx;
  ctx.set_deadline(In(2));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  const grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) {
    return absl::UnavailableError(absl::StrCat(address, ": ", s.error_message()));
  }
  if (resp.status() != grpc::health::v1::HealthCheckResponse::SERVING) {
    return absl::UnavailableError(absl::StrCat(
        address, ": ", grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status())));
  }
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["address"] = address;
    j["status"] = "SERVING";
    PrintJson(inv.out, j);
  } else {
    inv.out << address << ": SERVING\n";
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterServeCommands(Cli& cli) {
  cli.Add({.name = "health",
           .args_usage = "HOST:PORT",
           .summary = "Check a chip or coordinator process (grpc.health.v1).",
           .details = "Exit 0 and print SERVING (or, with --format=json, "
                      "{\"address\", \"status\"}) if the process answers within 2 s; "
                      "exit 1 otherwise. Used by container health checks.",
           .flags = {"format", "tls_cert", "tls_key", "tls_ca"},
           .min_args = 1,
           .max_args = 1,
           .run = RunHealth});
  cli.Add({.name = "chip serve",
           .summary = "Serve one chip of distributed runs (ChipService over gRPC).",
           .details = "Hosts one pipeline stage per run, or the K consecutive stages the "
                      "coordinator's --chips-per-process gives it: the coordinator sends it the "
                      "scenario, model config, chip spec and its shards (LoadShard), and the "
                      "chip exchanges virtual-time-stamped events with its neighbours. "
                      "Serves grpc.health.v1 and reflection. Prints \"etchsim chip "
                      "listening on ADDR metrics on ADDR|-\" once ready; stops on SIGINT or "
                      "SIGTERM.",
           .flags = {"listen", "metrics_listen", "tls_cert", "tls_key", "tls_ca"},
           .run = RunChipServe});
  cli.Add({.name = "coordinator serve",
           .summary = "Serve CoordinatorService: run scenarios over chip processes.",
           .details = "Runs the host and the switches of each run (rank 0), loads every "
                      "chip's shard, streams progress and returns the report, which equals "
                      "`etchsim simulate --format=json` byte for byte. A scenario uses the "
                      "first P addresses of --chip-addresses, P being its number of stages "
                      "divided by --chips-per-process, rounded up.",
           .flags = {"listen", "metrics_listen", "chip_addresses", "chips_per_process",
                     "stall_timeout", "liveness_timeout", "tls_cert", "tls_key", "tls_ca"},
           .flag_defaults = {{"listen", "127.0.0.1:50051"}},
           .run = RunCoordinatorServe});
  cli.Add(
      {.name = "cluster up",
       .summary = "Start N chip processes and a coordinator on this machine.",
       .details = "With --local: N chip processes on free 127.0.0.1 ports, each with a "
                  "/metrics endpoint, and a coordinator on --listen. Runs until Ctrl-C "
                  "or SIGTERM, then stops and reaps every process it started (they also "
                  "die with it if it is killed).",
       .flags = {"local", "chips", "chips_per_process", "listen", "tls_cert", "tls_key", "tls_ca"},
       .flag_defaults = {{"listen", "127.0.0.1:50051"}, {"chips", "30"}},
       .run = RunClusterUp});
}

}  // namespace etchsim::tools
