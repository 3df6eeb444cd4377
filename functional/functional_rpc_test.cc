#include "functional/functional_rpc.h"

#include "gtest/gtest.h"

namespace etchsim::functional {
namespace {

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = rpc::StartServer("127.0.0.1:0", {&service_});
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    stub_ = v1::FunctionalChip::NewStub(
        grpc::CreateChannel(server_.address, grpc::InsecureChannelCredentials()));
    config_ = *TinyModelConfig("tiny-llama");
    arch_ = *ParseArch(config_, "tiny-llama");
    weights_ = GenerateWeights(arch_, config_, 1);
  }
  void TearDown() override { server_.server->Shutdown(); }

  v1::LoadFunctionalShardRequest Good() {
    v1::LoadFunctionalShardRequest r;
    r.set_config_json(config_);
    r.set_weight_format("int4");
    *r.mutable_shard() = WholeModelShard(arch_);
    r.set_num_chips(1);
    r.set_weights(SerializeSafetensors(*SelectShard(arch_, weights_, r.shard())));
    return r;
  }
  grpc::Status Load(const v1::LoadFunctionalShardRequest& r) {
    grpc::ClientContext ctx;
    v1::LoadFunctionalShardReply reply;
    return stub_->LoadShard(&ctx, r, &reply);
  }
  grpc::Status Run(const v1::FunctionalCarry& c, v1::FunctionalCarry* out) {
    grpc::ClientContext ctx;
    return stub_->Run(&ctx, c, out);
  }

  FunctionalChipService service_;
  rpc::RunningServer server_;
  std::unique_ptr<v1::FunctionalChip::Stub> stub_;
  std::string config_;
  Arch arch_;
  TensorFile weights_;
};

TEST_F(ServiceTest, RunBeforeLoadShardFails) {
  v1::FunctionalCarry out;
  EXPECT_EQ(Run({}, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(ServiceTest, HostileLoadShardsAreInvalidArgument) {
  std::vector<std::pair<std::string, v1::LoadFunctionalShardRequest>> cases;
  auto add = [&](const std::string& want, auto edit) {
    v1::LoadFunctionalShardRequest r = Good();
    edit(r);
    cases.push_back({want, r});
  };
  add("LoadShard.config_json", [](auto& r) { r.set_config_json("{"); });
  add("unknown weight format", [](auto& r) { r.set_weight_format("fp2"); });
  add("shard.index", [](auto& r) { r.set_num_chips(0); });
  add("out of range or order", [](auto& r) { r.mutable_shard()->mutable_layers(0)->set_layer(9); });
  add("LoadShard.next_address", [](auto& r) { r.set_next_address("nohost"); });
  add("LoadShard.weights: safetensors", [](auto& r) { r.set_weights("\x01\x02"); });
  add("is missing", [&](auto& r) {
    TensorFile f = *SelectShard(arch_, weights_, r.shard());
    f.tensors.erase("model.norm.weight");
    r.set_weights(SerializeSafetensors(f));
  });
  for (const auto& [want, req] : cases) {
    const grpc::Status s = Load(req);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << want;
    EXPECT_NE(s.error_message().find(want), std::string::npos) << s.error_message();
  }
}

TEST_F(ServiceTest, LoadedChipRunsAndRefusesBadCarries) {
  ASSERT_TRUE(Load(Good()).ok());
  v1::FunctionalCarry c, out;
  c.set_pending_layer(-1);
  c.set_token(7);
  ASSERT_TRUE(Run(c, &out).ok());
  EXPECT_EQ(out.logits_size(), 512);
  c.set_token(100000);
  EXPECT_EQ(Run(c, &out).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  c.set_token(7);
  c.set_pending_layer(0);  // a hostile partial sum that would overflow int64
  for (int i = 0; i < 128; ++i) {
    c.add_moe_input(0);
    c.add_partial(int64_t{1} << 62);
  }
  const grpc::Status s = Run(c, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("partial sum"), std::string::npos) << s.error_message();
  c.set_pending_layer(-1);
  c.clear_moe_input();
  c.clear_partial();
  c.set_position(5);  // the cache holds one position
  EXPECT_EQ(Run(c, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
}

}  // namespace
}  // namespace etchsim::functional
