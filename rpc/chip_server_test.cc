// The chip service facing an untrusted client: every bad message is
// answered with INVALID_ARGUMENT and the process keeps serving.
#include "rpc/chip_server.h"

#include <thread>

#include "base/file_util.h"
#include "cluster/scenario.h"
#include "cluster/simulation.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/process.h"
#include "rpc/wire.h"

namespace etchsim::rpc {
namespace {

class ChipServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    io_thread_ = std::thread([this] { io_.run(); });
    chip_ = std::make_unique<ChipServer>(io_, ChipServerOptions{.load_timeout_s = 2}, nullptr);
    auto server = StartServer("127.0.0.1:0", {chip_.get()});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    stub_ = v1::ChipService::NewStub(
        grpc::CreateChannel(server_.address, grpc::InsecureChannelCredentials()));

    v1::Scenario s = cluster::DefaultScenario();
    s.set_model("llama-3.1-8b");
    s.set_chip("hc1");
    s.set_chips(1);
    auto sim = cluster::Simulation::Build(s);
    ASSERT_TRUE(sim.ok()) << sim.status();
    auto json = base::ReadFile("model/configs/llama-3.1-8b.json");
    ASSERT_TRUE(json.ok()) << json.status();
    good_.set_run_id("run-1");
    *good_.mutable_scenario() = (*sim)->scenario();
    good_.set_model_config_json(*json);
    *good_.mutable_chip() = (*sim)->chip();
    good_.set_stage(0);
    good_.set_stages_per_process(1);
    *good_.add_shards() = (*sim)->plan().chips(0);
    good_.add_process_addresses(server_.address);
    good_.set_wire_version(kWireVersion);
    good_.set_event_bytes(kEventBytes);
    num_lps_ = (*sim)->num_lps();
  }
  void TearDown() override {
    if (server_.server) server_.server->Shutdown();
    chip_.reset();
    work_.reset();
    io_thread_.join();
  }
  grpc::Status Load(const v1::LoadShardRequest& r) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    v1::LoadShardResponse resp;
    return stub_->LoadShard(&ctx, r, &resp);
  }
  // Opens an Exchange stream, writes `batches`, and returns how it ended.
  grpc::Status Exchange(const std::vector<v1::Batch>& batches) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    auto stream = stub_->Exchange(&ctx);
    for (const v1::Batch& b : batches) stream->Write(b);
    stream->WritesDone();
    v1::Batch in;
    while (stream->Read(&in)) {
    }
    return stream->Finish();
  }
  bool Alive() {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    v1::StatsRequest req;
    req.set_run_id("no-such-run");
    v1::ProcessStats resp;
    return stub_->GetStats(&ctx, req, &resp).error_code() == grpc::StatusCode::FAILED_PRECONDITION;
  }
  static v1::Batch Hello(int from) {
    v1::Batch h;
    h.set_run_id("run-1");
    h.set_from_rank(from);
    h.set_hello(true);
    return h;
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  std::thread io_thread_;
  std::unique_ptr<ChipServer> chip_;
  RunningServer server_;
  std::unique_ptr<v1::ChipService::Stub> stub_;
  v1::LoadShardRequest good_;
  int num_lps_ = 0;
};

TEST_F(ChipServerTest, BadLoadShardIsInvalidArgument) {
  std::vector<std::pair<const char*, std::function<void(v1::LoadShardRequest&)>>> cases = {
      {"no run id", [](auto& r) { r.clear_run_id(); }},
      {"stage -1", [](auto& r) { r.set_stage(-1); }},
      {"stage past the plan", [](auto& r) { r.set_stage(7); }},
      {"bad address", [](auto& r) { r.set_process_addresses(0, "x:99999"); }},
      {"no shard", [](auto& r) { r.clear_shards(); }},
      {"stages per process 0", [](auto& r) { r.set_stages_per_process(0); }},
      {"two shards for one stage",
       [](auto& r) {
         r.set_stages_per_process(2);
         *r.add_shards() = r.shards(0);
       }},
      {"warmup 1e30", [](auto& r) { r.mutable_scenario()->set_warmup_s(1e30); }},
      {"tiny window", [](auto& r) { r.mutable_scenario()->set_throughput_window_s(1e-13); }},
      {"users 1e9",
       [](auto& r) {
         r.mutable_scenario()->mutable_workload()->mutable_closed_loop()->set_users(1000000000);
       }},
      {"clock inf",
       [](auto& r) {
         r.mutable_chip()->mutable_hardwired()->set_clock_ghz(
             std::numeric_limits<double>::infinity());
       }},
      {"layers 1e7",
       [](auto& r) {
         std::string j = r.model_config_json();
         j.replace(j.find("\"num_hidden_layers\": 32"), 23, "\"num_hidden_layers\": 10000000");
         r.set_model_config_json(j);
       }},
      {"config 1e400",
       [](auto& r) {
         std::string j = r.model_config_json();
         j.replace(j.find("\"num_hidden_layers\": 32"), 23, "\"num_hidden_layers\": 1e400");
         r.set_model_config_json(j);
       }},
  };
  for (auto& [name, mutate] : cases) {
    v1::LoadShardRequest r = good_;
    mutate(r);
    EXPECT_EQ(Load(r).error_code(), grpc::StatusCode::INVALID_ARGUMENT) << name;
  }
  EXPECT_TRUE(Alive());
  EXPECT_TRUE(Load(good_).ok());
}

TEST_F(ChipServerTest, BadExchangeIsInvalidArgumentAndTheServerSurvives) {
  ASSERT_TRUE(Load(good_).ok());
  v1::Batch not_hello;
  not_hello.set_run_id("run-1");
  EXPECT_EQ(Exchange({not_hello}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Exchange({Hello(99)}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Exchange({Hello(1)}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);  // itself

  // One well-sized record aimed past the LP table: this killed the process.
  cluster::Event e;
  e.time = cluster::SimTime::Nanos(1);
  e.target = 1 << 20;
  e.msg.type = cluster::MsgType::kWork;
  std::string bytes;
  EncodeEvents({e}, &bytes);
  v1::Batch bad = Hello(0);
  bad.set_hello(false);
  bad.set_events(bytes);
  const grpc::Status s = Exchange({Hello(0), bad});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("target LP 1048576"), std::string::npos) << s.error_message();

  v1::Batch torn = bad;
  torn.set_events(std::string(kEventBytes + 3, '\xff'));
  ASSERT_TRUE(Load(good_).ok());
  EXPECT_EQ(Exchange({Hello(0), torn}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  v1::Batch garbage = bad;
  garbage.set_events(std::string(kEventBytes * 4, '\xff'));
  ASSERT_TRUE(Load(good_).ok());
  EXPECT_EQ(Exchange({Hello(0), garbage}).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(Alive());
}

}  // namespace
}  // namespace etchsim::rpc
