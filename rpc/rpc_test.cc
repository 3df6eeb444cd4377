// rpc/ against in-process gRPC servers: the status mapping, and what the
// chip and coordinator services answer to requests they must refuse.
#include <memory>
#include <thread>
#include <utility>  // Asio 1.81 awaitable.hpp uses std::exchange unincluded

#include "absl/strings/str_cat.h"
#include "boost/asio.hpp"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/address.h"
#include "rpc/chip_server.h"
#include "rpc/coordinator.h"
#include "rpc/status.h"
#include "rpc/wire.h"

namespace etchsim::rpc {
namespace {

TEST(StatusTest, CodesAndMessagesCarryOverBothWays) {
  for (int c = 1; c <= 16; ++c) {
    const absl::Status a(static_cast<absl::StatusCode>(c), "why");
    const grpc::Status g = ToGrpcStatus(a);
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
    EXPECT_EQ(g.error_message(), "why");
    EXPECT_EQ(FromGrpcStatus(g), a);
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "x").ok());
  EXPECT_EQ(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "refused"), "chip 3"),
            absl::UnavailableError("chip 3: refused"));
}

TEST(StatusTest, EchoBoundsAQuotedValue) {
  EXPECT_EQ(Echo("short"), "short");
  EXPECT_EQ(Echo(std::string(64, 'x')), std::string(64, 'x'));
  EXPECT_EQ(Echo(std::string(10 << 20, 'x')), std::string(64, 'x') + "... (10485760 bytes)");
  // Not cut inside a UTF-8 character: "é" is 2 bytes; 63 + 2 > 64.
  const std::string accents = std::string(63, 'a') + "\xc3\xa9" + "tail";
  EXPECT_EQ(Echo(accents), std::string(63, 'a') + "... (69 bytes)");
  // Every status sent over gRPC is bounded, whatever its message quoted.
  const grpc::Status g = ToGrpcStatus(absl::InvalidArgumentError(std::string(1 << 20, 'm')));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LT(g.error_message().size(), kMaxErrorDetailBytes + 32);
}

TEST(AddressTest, AHugeAddressIsQuotedBounded) {
  const absl::Status s = ValidateHostPort("--listen", std::string(10 << 20, 'h'), true);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), absl::StrCat("--listen: expected HOST:PORT, got \"", std::string(64, 'h'),
                                      "... (10485760 bytes)\" (longer than 261 bytes)"));
  EXPECT_TRUE(ValidateHostPort("--listen", "127.0.0.1:0", true).ok());
}

// A service on an in-process server, with an io_context thread for the
// chip service's work.
class InProcess {
 public:
  explicit InProcess(grpc::Service* service) {
    grpc::ServerBuilder b;
    b.RegisterService(service);
    server_ = b.BuildAndStart();
    channel_ = server_->InProcessChannel(grpc::ChannelArguments());
  }
  ~InProcess() { server_->Shutdown(); }
  std::shared_ptr<grpc::Channel> channel() { return channel_; }

 private:
  std::unique_ptr<grpc::Server> server_;
  std::shared_ptr<grpc::Channel> channel_;
};

class ChipServiceTest : public ::testing::Test {
 protected:
  ChipServiceTest()
      : work_(asio::make_work_guard(io_)),
        io_thread_([this] { io_.run(); }),
        chip_(io_, {.stream_deadline_s = 10, .load_timeout_s = 0.2}, nullptr),
        server_(&chip_),
        stub_(v1::ChipService::NewStub(server_.channel())) {}
  ~ChipServiceTest() override {
    work_.reset();
    io_.stop();
    io_thread_.join();
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread io_thread_;
  ChipServer chip_;
  InProcess server_;
  std::unique_ptr<v1::ChipService::Stub> stub_;
};

TEST_F(ChipServiceTest, RefusesAnotherWireFormat) {
  grpc::ClientContext ctx;
  v1::LoadShardRequest req;
  req.set_wire_version(kWireVersion + 1);
  req.set_event_bytes(kEventBytes);
  v1::LoadShardResponse resp;
  const grpc::Status s = stub_->LoadShard(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("wire format mismatch"), std::string::npos);
}

TEST_F(ChipServiceTest, RefusesAShardItCannotBuild) {
  grpc::ClientContext ctx;
  v1::LoadShardRequest req;
  req.set_wire_version(kWireVersion);
  req.set_event_bytes(kEventBytes);
  req.mutable_scenario()->set_model("deepseek-r1");
  req.set_model_config_json("{ not json");
  v1::LoadShardResponse resp;
  const grpc::Status s = stub_->LoadShard(&ctx, req, &resp);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error_code(), grpc::StatusCode::INTERNAL) << s.error_message();
}

TEST_F(ChipServiceTest, StatsOfAnUnknownRun) {
  grpc::ClientContext ctx;
  v1::StatsRequest req;
  req.set_run_id("run-none");
  v1::ProcessStats resp;
  const grpc::Status s = stub_->GetStats(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "no run run-none on this chip");
}

TEST_F(ChipServiceTest, ExchangeMustStartWithHelloForALoadedRun) {
  {
    grpc::ClientContext ctx;
    auto stream = stub_->Exchange(&ctx);
    v1::Batch b;
    b.set_from_rank(1);  // no hello
    ASSERT_TRUE(stream->Write(b));
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  {
    grpc::ClientContext ctx;
    auto stream = stub_->Exchange(&ctx);
    v1::Batch b;
    b.set_hello(true);
    b.set_run_id("run-none");
    ASSERT_TRUE(stream->Write(b));
    stream->WritesDone();
    const grpc::Status s = stream->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_EQ(s.error_message(), "no run run-none loaded on this chip within 0.2 s");
  }
}

class CoordinatorServiceTest : public ::testing::Test {
 protected:
  CoordinatorServiceTest()
      : coordinator_({}, nullptr, 5),
        server_(&coordinator_),
        stub_(v1::CoordinatorService::NewStub(server_.channel())) {}

  grpc::Status Run(const std::string& scenario) {
    grpc::ClientContext ctx;
    v1::RunRequest req;
    req.set_scenario_textproto(scenario);
    auto reader = stub_->StartRun(&ctx, req);
    v1::RunProgress p;
    while (reader->Read(&p)) {
    }
    return reader->Finish();
  }

  CoordinatorServer coordinator_;
  InProcess server_;
  std::unique_ptr<v1::CoordinatorService::Stub> stub_;
};

TEST_F(CoordinatorServiceTest, BadScenarioIsTheCallersFault) {
  const grpc::Status s = Run("chips: 30\nusers: 2\n");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("line 2, column"), std::string::npos) << s.error_message();
}

TEST_F(CoordinatorServiceTest, UnknownModelIsNotFound) {
  const grpc::Status s = Run("model: \"gpt-5\"\n");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  EXPECT_NE(s.error_message().find("unknown model \"gpt-5\""), std::string::npos);
}

TEST_F(CoordinatorServiceTest, TooFewChipsAndNoReportYet) {
  const grpc::Status s = Run("chips: 30\n");
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(s.error_message(), "the scenario needs 30 chip processes; this coordinator has 0");
  grpc::ClientContext ctx;
  v1::ReportRequest req;
  v1::ReportResponse resp;
  EXPECT_EQ(stub_->GetReport(&ctx, req, &resp).error_code(), grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace etchsim::rpc
