// The chip service facing an untrusted client: every bad message is
// answered with INVALID_ARGUMENT and the process keeps serving.
#include "rpc/chip_server.h"

#include <fstream>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/process.h"
#include "rpc/wire.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

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

    v1::Scenario s = sim::DefaultScenario();
    s.set_model("llama-3.1-8b");
    s.set_chip("hc1");
    s.set_chips(1);
    auto sim = sim::Simulation::Build(s);
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
  serving::Event e;
  e.time = base::SimTime::Nanos(1);
  e.target = 1 << 20;
  e.msg.type = serving::MsgType::kWork;
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

// A unary call with `bytes` as its request, whatever they are.
grpc::Status RawUnary(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                      const std::string& bytes) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(bytes);
  grpc::ByteBuffer req(&slice, 1), resp;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &req, &resp,
                 [&](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

// An Exchange stream sending `messages` as they are, then how it ended.
grpc::Status RawExchange(const std::shared_ptr<grpc::Channel>& channel,
                         const std::vector<std::string>& messages) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::ClientReaderWriter<grpc::ByteBuffer, grpc::ByteBuffer>> stream(
      grpc::internal::ClientReaderWriterFactory<grpc::ByteBuffer, grpc::ByteBuffer>::Create(
          channel.get(),
          grpc::internal::RpcMethod("/etchsim.v1.ChipService/Exchange",
                                    grpc::internal::RpcMethod::BIDI_STREAMING),
          &ctx));
  for (const std::string& m : messages) {
    grpc::Slice slice(m);
    grpc::ByteBuffer bb(&slice, 1);
    stream->Write(bb);
  }
  stream->WritesDone();
  grpc::ByteBuffer in;
  while (stream->Read(&in)) {
  }
  return stream->Finish();
}

TEST_F(ChipServerTest, UnparseableMessagesAreInvalidArgumentNamingTheType) {
  auto channel = grpc::CreateChannel(server_.address, grpc::InsecureChannelCredentials());
  const std::string garbage = "\xff\xff\xff\xff";  // a varint that never ends
  for (auto [method, type] : {std::pair{"LoadShard", "etchsim.v1.LoadShardRequest"},
                              std::pair{"GetStats", "etchsim.v1.StatsRequest"},
                              std::pair{"Shutdown", "etchsim.v1.ShutdownRequest"}}) {
    const grpc::Status s =
        RawUnary(channel, absl::StrCat("/etchsim.v1.ChipService/", method), garbage);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << method;
    EXPECT_EQ(s.error_message(),
              absl::StrCat(method, ": the request is not a valid ", type, " protobuf message"));
  }
  grpc::Status s = RawExchange(channel, {garbage});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "Exchange hello (4 bytes) is not a valid etchsim.v1.Batch protobuf message");
  ASSERT_TRUE(Load(good_).ok());
  s = RawExchange(channel, {Hello(0).SerializeAsString(), garbage});
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(),
            "Exchange from rank 0: batch 1 (4 bytes) is not a valid etchsim.v1.Batch protobuf "
            "message");
  EXPECT_TRUE(Alive());
}

TEST_F(ChipServerTest, ErrorsQuoteAHugeInputBounded) {
  // A 10 MB address once came back whole: past gRPC's 8 KiB limit on
  // trailing metadata, the client saw RESOURCE_EXHAUSTED and no detail.
  const std::string huge(10 << 20, 'a');
  v1::LoadShardRequest r = good_;
  r.set_process_addresses(0, huge);
  grpc::Status s = Load(r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message().size();
  EXPECT_LT(s.error_message().size(), 400u);
  EXPECT_NE(s.error_message().find("aaa... (10485760 bytes)"), std::string::npos)
      << s.error_message();
  grpc::ClientContext ctx;
  v1::StatsRequest req;
  req.set_run_id(huge);
  v1::ProcessStats resp;
  s = stub_->GetStats(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "GetStats: run_id must be at most 128 bytes, got 10485760");
}

int Threads() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  return -1;
}

TEST_F(ChipServerTest, HellosForAnUnknownRunWaitWithoutAThreadEach) {
  // 600 such streams once held 388 threads for up to a minute.
  constexpr int kStreams = 300;
  const int before = Threads();
  struct Stream {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReaderWriter<v1::Batch, v1::Batch>> rw;
  };
  std::vector<Stream> streams(kStreams);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kStreams; ++i) {
    streams[i].ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    streams[i].rw = stub_->Exchange(&streams[i].ctx);
    v1::Batch h = Hello(i % 7);
    h.set_run_id(absl::StrCat("run-unknown-", i));
    ASSERT_TRUE(streams[i].rw->Write(h));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_LT(Threads() - before, 40) << "threads before " << before;
  for (Stream& st : streams) {
    st.rw->WritesDone();
    v1::Batch in;
    while (st.rw->Read(&in)) {
    }
    const grpc::Status s = st.rw->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
    EXPECT_NE(s.error_message().find("loaded on this chip within 2 s"), std::string::npos)
        << s.error_message();
  }
  // All refused once the load timeout (2 s here) passed, not one by one.
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(took, 8) << took;
}

TEST_F(ChipServerTest, AParkedStreamJoinsItsRunWhenItLoads) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub_->Exchange(&ctx);
  ASSERT_TRUE(stream->Write(Hello(0)));
  // The same rank again for the same run, while the first still waits.
  grpc::ClientContext ctx2;
  ctx2.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto again = stub_->Exchange(&ctx2);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ASSERT_TRUE(again->Write(Hello(0)));
  again->WritesDone();
  const grpc::Status dup = again->Finish();
  EXPECT_EQ(dup.error_code(), grpc::StatusCode::ALREADY_EXISTS) << dup.error_message();

  ASSERT_TRUE(Load(good_).ok());
  // Attached: its batches are now checked against the run.
  v1::Batch wrong = Hello(0);
  wrong.set_hello(false);
  wrong.set_from_rank(5);
  ASSERT_TRUE(stream->Write(wrong));
  stream->WritesDone();
  v1::Batch in;
  while (stream->Read(&in)) {
  }
  const grpc::Status s = stream->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_NE(s.error_message().find("from_rank 5 on a stream opened by rank 0"), std::string::npos)
      << s.error_message();
}

TEST(ChipServerParkingTest, TooManyWaitingStreamsAreRefusedAtOnce) {
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  {
    ChipServer chip(io, {.load_timeout_s = 20, .max_parked_streams = 2}, nullptr);
    auto server = StartServer("127.0.0.1:0", {&chip});
    ASSERT_TRUE(server.ok()) << server.status();
    auto stub = v1::ChipService::NewStub(
        grpc::CreateChannel(server->address, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx[3];
    std::unique_ptr<grpc::ClientReaderWriter<v1::Batch, v1::Batch>> rw[3];
    for (int i = 0; i < 3; ++i) {
      ctx[i].set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
      rw[i] = stub->Exchange(&ctx[i]);
      v1::Batch h;
      h.set_hello(true);
      h.set_run_id(absl::StrCat("run-", i));
      ASSERT_TRUE(rw[i]->Write(h));
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const auto start = std::chrono::steady_clock::now();
    rw[2]->WritesDone();
    const grpc::Status s = rw[2]->Finish();
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 5);
    // The waiting ones end when their client goes away, and the server
    // shuts down without waiting out their 20 s.
    ctx[0].TryCancel();
    EXPECT_EQ(rw[0]->Finish().error_code(), grpc::StatusCode::CANCELLED);
    server->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 8);
  }
  work.reset();
  io_thread.join();
}

}  // namespace
}  // namespace etchsim::rpc
