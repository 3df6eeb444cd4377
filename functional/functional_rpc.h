// Functional mode across processes: each chip process (`etchsim verify
// serve`) loads only its shard's weights and runs its part of every token;
// the carry (hidden state, MoE dispatch and partial combine, trace) goes
// from chip k to chip k+1 over gRPC, and the last chip's reply travels back
// up the chain to the caller.
#ifndef ETCHSIM_FUNCTIONAL_FUNCTIONAL_RPC_H_
#define ETCHSIM_FUNCTIONAL_FUNCTIONAL_RPC_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "functional/execute.h"
#include "proto/etchsim/v1/functional.grpc.pb.h"
#include "rpc/process.h"

namespace etchsim::functional {

// Largest LoadShard / carry message accepted.
inline constexpr int kMaxFunctionalMessageBytes = 64 << 20;

// Checks a LoadShard request from a peer; the parsed model on success.
absl::StatusOr<Arch> ValidateLoadShard(const v1::LoadFunctionalShardRequest& req);

class FunctionalChipService final : public v1::FunctionalChip::Service {
 public:
  grpc::Status LoadShard(grpc::ServerContext* ctx, const v1::LoadFunctionalShardRequest* req,
                         v1::LoadFunctionalShardReply* reply) override;
  grpc::Status Run(grpc::ServerContext* ctx, const v1::FunctionalCarry* req,
                   v1::FunctionalCarry* reply) override;

 private:
  std::mutex mu_;  // one token at a time; LoadShard replaces the runtime
  std::unique_ptr<ChipRuntime> runtime_;
  std::unique_ptr<v1::FunctionalChip::Stub> next_;
  std::string next_address_;
};

// A chain of chip processes started on 127.0.0.1 (`--distributed=local`),
// each loaded with its shard of `plan`.
class DistributedChain : public Chain {
 public:
  static absl::StatusOr<std::unique_ptr<DistributedChain>> Start(
      const std::string& config_json, const Arch& arch, const v1::Plan& plan,
      const TensorFile& weights, const std::string& format, const v1::FunctionalFault& fault);
  absl::StatusOr<v1::FunctionalCarry> Run(v1::FunctionalCarry carry) override;
  int64_t loaded_bytes() const { return loaded_bytes_; }

 private:
  std::unique_ptr<rpc::LocalCluster> cluster_;
  std::unique_ptr<v1::FunctionalChip::Stub> first_;
  std::string first_address_;
  int64_t loaded_bytes_ = 0;
};

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_FUNCTIONAL_RPC_H_
