// The coordinator service facing an untrusted client: a bad StartRun is
// INVALID_ARGUMENT and the service keeps answering.
#include "rpc/coordinator.h"

#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "rpc/process.h"

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
  }
  grpc::ClientContext ctx;
  v1::ReportRequest rr;
  v1::ReportResponse resp;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const grpc::Status alive = stub->GetReport(&ctx, rr, &resp);
  EXPECT_NE(alive.error_code(), grpc::StatusCode::UNAVAILABLE) << alive.error_message();
  server->server->Shutdown();
}

}  // namespace
}  // namespace etchsim::rpc
