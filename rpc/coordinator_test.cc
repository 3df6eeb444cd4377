// The coordinator service facing an untrusted client: a bad StartRun is
// INVALID_ARGUMENT and the service keeps answering; and the coordinator
// facing a chip that lies: its numbers are checked before any reach the
// report.
#include "rpc/coordinator.h"

#include <functional>
#include <limits>
#include <thread>
#include <utility>  // Asio 1.81 awaitable.hpp uses std::exchange unincluded

#include "boost/asio.hpp"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "grpcpp/support/server_interceptor.h"
#include "gtest/gtest.h"
#include "rpc/chip_server.h"
#include "rpc/process.h"
#include "sim/scenario.h"

namespace etchsim::rpc {
namespace {

TEST(CoordinatorServerTest, BadStartRunIsInvalidArgument) {
  // The chip address is never dialled: every request below fails first.
  CoordinatorServer coord({"127.0.0.1:1"}, nullptr, 60);
  auto server = StartServer("127.0.0.1:0", {&coord});
  ASSERT_TRUE(server.ok()) << server.status();
  auto stub = v1::CoordinatorService::NewStub(
      grpc::CreateChannel(server->address, grpc::InsecureChannelCredentials()));
  const std::string cases[] = {
      "warmup_s: 1e30",
      "throughput_window_s: 1e-13",
      "duration_s: nan",
      "workload { poisson { rate_per_s: inf } }",
      "workload { closed_loop { users: 1000000000 } }",
      "workload { closed_loop { users: 1 think_time_s: nan } }",
      "max_requests: -1",
      "chips: many",
      "frobnicate: 1",
      "model: \"\\377\"",
      std::string(2 << 20, ' '),  // past the 1 MiB cap
      // Faults are in-process only: the caller's input, named, not a
      // transport failure (this once answered UNAVAILABLE).
      "model: \"llama-3.1-8b\" chip: \"hc1\" chips: 1 "
      "faults { chip_failures { stage: 0 at_s: 0.01 spare: true reload_s: 0.01 } }",
  };
  for (const std::string& text : cases) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::RunRequest req;
    req.set_scenario_textproto(text);
    auto reader = stub->StartRun(&ctx, req);
    v1::RunProgress p;
    while (reader->Read(&p)) {
    }
    const grpc::Status s = reader->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
        << text.substr(0, 60) << ": " << s.error_message();
    if (text.find("faults") != std::string::npos) {
      EXPECT_NE(s.error_message().find("scenario: faults are simulated in-process only"),
                std::string::npos)
          << s.error_message();
    }
  }
  grpc::ClientContext ctx;
  v1::ReportRequest rr;
  v1::ReportResponse resp;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const grpc::Status alive = stub->GetReport(&ctx, rr, &resp);
  EXPECT_NE(alive.error_code(), grpc::StatusCode::UNAVAILABLE) << alive.error_message();
  server->server->Shutdown();
}

// Rewrites one method's answers on their way out of a real chip service:
// a chip that lies, as a hostile or broken peer would.
using Rewrite = std::function<void(grpc::ByteBuffer*)>;

class Tamper final : public grpc::experimental::Interceptor {
 public:
  explicit Tamper(Rewrite f) : f_(std::move(f)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* m) override {
    if (m->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_MESSAGE)) {
      f_(m->GetSerializedSendMessage());
    }
    m->Proceed();
  }

 private:
  Rewrite f_;
};

class TamperFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  TamperFactory(std::string method, Rewrite f) : method_(std::move(method)), f_(std::move(f)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    if (info->method() == method_) return new Tamper(f_);
    return new Tamper([](grpc::ByteBuffer*) {});
  }

 private:
  std::string method_;
  Rewrite f_;
};

template <typename M>
Rewrite Edit(std::function<void(M&)> edit) {
  return [edit](grpc::ByteBuffer* bb) {
    M m;
    ASSERT_TRUE(grpc::SerializationTraits<M>::Deserialize(bb, &m).ok());
    edit(m);
    bool own = false;
    ASSERT_TRUE(grpc::SerializationTraits<M>::Serialize(m, bb, &own).ok());
  };
}

// One chip process in this process, its answers to `method` rewritten.
class LyingChipTest : public ::testing::Test {
 protected:
  void Start(const std::string& method, Rewrite rewrite) {
    io_thread_ = std::thread([this] { io_.run(); });
    chip_ = std::make_unique<ChipServer>(io_, ChipServerOptions{}, nullptr);
    // As StartServer does: the coordinator probes every chip's health
    // while a run lasts, and a server without the service fails it.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder b;
    int port = 0;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
    f.push_back(std::make_unique<TamperFactory>(method, std::move(rewrite)));
    b.experimental().SetInterceptorCreators(std::move(f));
    b.RegisterService(chip_.get());
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    address_ = absl::StrCat("127.0.0.1:", port);
  }
  void TearDown() override {
    if (server_) server_->Shutdown();
    chip_.reset();
    work_.reset();
    if (io_thread_.joinable()) io_thread_.join();
  }
  static v1::Scenario Scenario() {
    v1::Scenario s = sim::DefaultScenario();
    s.set_model("llama-3.1-8b");
    s.set_chip("hc1");
    s.set_chips(1);
    s.mutable_workload()->mutable_closed_loop()->set_users(1);
    s.set_max_requests(2);
    return s;
  }
  absl::StatusOr<v1::Report> Run() {
    DistributedOptions opt;
    opt.chip_addresses = {address_};
    return RunDistributed(Scenario(), opt);
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread io_thread_;
  std::unique_ptr<ChipServer> chip_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

TEST_F(LyingChipTest, AnHonestChipGivesTheInProcessReport) {
  Start("", [](grpc::ByteBuffer*) {});
  auto report = Run();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->requests_completed(), 2);
}

TEST_F(LyingChipTest, ImpossibleStatsAreRefusedNamingTheField) {
  // busy_ps 2^63-1 was printed as a utilisation of 6.2e9.
  Start("/etchsim.v1.ChipService/GetStats", Edit<v1::ProcessStats>([](v1::ProcessStats& p) {
          p.mutable_chips(0)->set_busy_ps(std::numeric_limits<int64_t>::max());
        }));
  auto report = Run();
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kDataLoss) << report.status();
  EXPECT_NE(report.status().message().find(absl::StrCat("chip 0 (", address_,
                                                        "): GetStats answered chips[0] (stage 0): "
                                                        "busy_ps must be in [0, ")),
            std::string::npos)
      << report.status();
}

TEST_F(LyingChipTest, DuplicatedEventsFailTheRun) {
  // Each event record sent twice once inflated output tokens 24 -> 8,016.
  Start("/etchsim.v1.ChipService/Exchange", Edit<v1::Batch>([](v1::Batch& b) {
          if (!b.events().empty()) b.set_events(b.events() + b.events());
        }));
  auto report = Run();
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find(
                absl::StrCat("bad batch from chip 0 (", address_, "): event 1: key")),
            std::string::npos)
      << report.status();
  EXPECT_NE(report.status().message().find("a duplicated or replayed event"), std::string::npos)
      << report.status();
}

}  // namespace
}  // namespace etchsim::rpc
