#include "rpc/process.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "rpc/address.h"
#include "rpc/parse_errors.h"

namespace etchsim::rpc {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

std::string SelfExe() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "etchsim";
  return std::string(buf, static_cast<size_t>(n));
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit status ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("killed by signal ", WTERMSIG(status));
  return "stopped";
}

}  // namespace

void BlockTerminationSignals() {
  sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  sigset_t set = TerminationSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

std::string WithPort(const std::string& address, int port) {
  const size_t colon = address.rfind(':');
  return absl::StrCat(colon == std::string::npos ? address : address.substr(0, colon), ":", port);
}

absl::StatusOr<RunningServer> StartServer(const std::string& listen,
                                          const std::vector<grpc::Service*>& services,
                                          std::shared_ptr<grpc::ServerCredentials> credentials) {
  RETURN_IF_ERROR(ValidateHostPort("--listen", listen, /*allow_port_zero=*/true));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, credentials ? credentials : grpc::InsecureServerCredentials(),
                           &port);
  builder.SetMaxReceiveMessageSize(256 << 20);
  // Keepalive pings from peers are expected (they detect dead processes).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(NewParseErrorInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  for (grpc::Service* s : services) builder.RegisterService(s);
  RunningServer r;
  r.server = builder.BuildAndStart();
  if (r.server == nullptr || port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", listen, " (address in use or not local?)"));
  }
  r.address = WithPort(listen, port);
  return r;
}

absl::StatusOr<RunningExposer> StartExposer(const std::string& listen,
                                            std::shared_ptr<prometheus::Registry> registry) {
  RETURN_IF_ERROR(ValidateHostPort("--metrics-listen", listen, /*allow_port_zero=*/true));
  RunningExposer r;
  try {
    r.exposer = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  r.exposer->RegisterCollectable(registry);
  const std::vector<int> ports = r.exposer->GetListeningPorts();
  r.address = WithPort(listen, ports.empty() ? 0 : ports.front());
  return r;
}

std::string AnnounceLine(const std::string& role, const std::string& address,
                         const std::string& metrics_address) {
  return absl::StrCat("etchsim ", role, " listening on ", address, " metrics on ",
                      metrics_address.empty() ? "-" : metrics_address);
}

absl::StatusOr<LocalCluster::Child> LocalCluster::Spawn(const std::string& role,
                                                        std::vector<std::string> args,
                                                        double timeout_s, bool quiet) {
  const std::string exe = SelfExe();
  args.insert(args.begin(), exe);
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return absl::ResourceExhaustedError(absl::StrCat("fork: ", std::strerror(errno)));
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(fds[1], STDOUT_FILENO);
    if (quiet) {
      // Chip failures reach the user through the coordinator; keep the
      // children's own shutdown chatter out of the command's output.
      const int null = open("/dev/null", O_WRONLY);
      if (null >= 0) dup2(null, STDERR_FILENO);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(exe.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  Child c;
  c.role = role;
  c.pid = pid;
  c.out_fd = fds[0];
  // Wait for the announce line.
  std::string line;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(timeout_s * 1000));
  while (line.find('\n') == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    pollfd p{c.out_fd, POLLIN, 0};
    const int n = left > 0 ? poll(&p, 1, static_cast<int>(left)) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      children_.push_back(c);
      return absl::DeadlineExceededError(
          absl::StrCat(role, " (pid ", pid, ") did not start listening within ", timeout_s, " s"));
    }
    char buf[512];
    const ssize_t got = read(c.out_fd, buf, sizeof(buf));
    if (got <= 0) {
      int status = 0;
      waitpid(pid, &status, 0);
      close(c.out_fd);
      return absl::UnavailableError(
          absl::StrCat(role, " exited before listening (", DescribeExit(status), ")"));
    }
    line.append(buf, static_cast<size_t>(got));
  }
  line = line.substr(0, line.find('\n'));
  // "etchsim <role> listening on ADDR metrics on ADDR|-"
  std::vector<std::string> words = absl::StrSplit(line, ' ');
  for (size_t i = 0; i + 2 < words.size(); ++i) {
    if (words[i] == "listening" && words[i + 1] == "on") c.address = words[i + 2];
    if (words[i] == "metrics" && words[i + 1] == "on" && words[i + 2] != "-") {
      c.metrics_address = words[i + 2];
    }
  }
  if (c.address.empty()) {
    children_.push_back(c);
    return absl::InternalError(absl::StrCat(role, " announced \"", line, "\""));
  }
  return c;
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Start(const Options& o) {
  if (o.chips < 1) return absl::InvalidArgumentError("--chips must be >= 1");
  std::unique_ptr<LocalCluster> lc(new LocalCluster());
  const std::string metrics = o.metrics ? "127.0.0.1:0" : "";
  for (int k = 0; k < o.chips; ++k) {
    std::vector<std::string> args = o.chip_command;
    args.push_back("--listen=127.0.0.1:0");
    args.push_back(absl::StrCat("--metrics-listen=", metrics));
    for (std::string& f : o.tls.AsFlags()) args.push_back(std::move(f));
    // With several chips per process, "chip process 1" hosts chips K..2K-1.
    const std::string role =
        o.chips_per_process > 1 ? absl::StrCat("chip process ", k) : absl::StrCat("chip ", k);
    auto c = lc->Spawn(role, std::move(args), o.start_timeout_s, !o.verbose);
    if (!c.ok()) return c.status();  // the destructor stops the others
    if (o.verbose) {
      std::cerr << "started " << role << " (pid " << c->pid << ") on " << c->address
                << (c->metrics_address.empty() ? "" : " metrics " + c->metrics_address) << "\n";
    }
    lc->children_.push_back(*c);
  }
  if (o.coordinator) {
    std::string chips;
    for (const Child& c : lc->children_)
      absl::StrAppend(&chips, chips.empty() ? "" : ",", c.address);
    std::vector<std::string> args = {"coordinator",
                                     "serve",
                                     absl::StrCat("--listen=", o.coordinator_listen),
                                     absl::StrCat("--chip-addresses=", chips),
                                     absl::StrCat("--metrics-listen=", metrics),
                                     absl::StrCat("--chips-per-process=", o.chips_per_process)};
    for (std::string& f : o.tls.AsFlags()) args.push_back(std::move(f));
    auto c = lc->Spawn("coordinator", std::move(args), o.start_timeout_s, !o.verbose);
    if (!c.ok()) return c.status();
    if (o.verbose) {
      std::cerr << "started coordinator (pid " << c->pid << ") on " << c->address
                << (c->metrics_address.empty() ? "" : " metrics " + c->metrics_address) << "\n";
    }
    lc->children_.push_back(*c);
  }
  return lc;
}

std::vector<std::string> LocalCluster::chip_addresses() const {
  std::vector<std::string> out;
  for (const Child& c : children_) {
    if (absl::StartsWith(c.role, "chip ")) out.push_back(c.address);
  }
  return out;
}

const LocalCluster::Child* LocalCluster::coordinator() const {
  for (const Child& c : children_) {
    if (c.role == "coordinator") return &c;
  }
  return nullptr;
}

void LocalCluster::Stop() {
  for (const Child& c : children_) {
    if (c.pid <= 0) continue;
    kill(c.pid, SIGTERM);
    // A paused child (SIGSTOP) would hold SIGTERM pending until the
    // SIGKILL 5 s later; let it run and take the signal now.
    kill(c.pid, SIGCONT);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (Child& c : children_) {
    if (c.pid <= 0) continue;
    while (true) {
      int status = 0;
      const pid_t r = waitpid(c.pid, &status, WNOHANG);
      if (r == c.pid || (r < 0 && errno == ECHILD)) break;
      if (std::chrono::steady_clock::now() > deadline) {
        kill(c.pid, SIGKILL);
        waitpid(c.pid, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    c.pid = -1;
    if (c.out_fd >= 0) close(c.out_fd);
    c.out_fd = -1;
  }
}

LocalCluster::~LocalCluster() { Stop(); }

}  // namespace etchsim::rpc
