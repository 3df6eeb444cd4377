#include "functional/functional_rpc.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "functional/formats.h"
#include "rpc/address.h"
#include "rpc/status.h"

namespace etchsim::functional {
namespace {

constexpr int kMaxChips = 256;

std::unique_ptr<v1::FunctionalChip::Stub> StubFor(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxFunctionalMessageBytes);
  args.SetMaxSendMessageSize(kMaxFunctionalMessageBytes);
  return v1::FunctionalChip::NewStub(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
}

void Deadline(grpc::ClientContext& ctx, int seconds) {
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
}

}  // namespace

absl::StatusOr<Arch> ValidateLoadShard(const v1::LoadFunctionalShardRequest& req) {
  ASSIGN_OR_RETURN(Arch arch, ParseArch(req.config_json(), "LoadShard.config_json"));
  RETURN_IF_ERROR(CheckQuantFormat(req.weight_format()));
  if (req.num_chips() < 1 || req.num_chips() > kMaxChips || req.shard().index() < 0 ||
      req.shard().index() >= req.num_chips()) {
    return absl::InvalidArgumentError(absl::StrCat("LoadShard: shard.index ", req.shard().index(),
                                                   " with num_chips ", req.num_chips(),
                                                   " is out of range"));
  }
  int last = -1;
  for (const v1::LayerSlice& s : req.shard().layers()) {
    if (s.layer() < 0 || s.layer() >= arch.num_layers() || s.layer() < last) {
      return absl::InvalidArgumentError(
          absl::StrCat("LoadShard: shard.layers: layer ", s.layer(), " out of range or order"));
    }
    last = s.layer();
    const int64_t e = arch.config.moe_layer[s.layer()] ? arch.config.num_routed_experts : 0;
    if (s.expert_begin() < 0 || s.expert_begin() > s.expert_end() || s.expert_end() > e) {
      return absl::InvalidArgumentError(absl::StrCat("LoadShard: shard.layers: layer ", s.layer(),
                                                     " experts [", s.expert_begin(), ", ",
                                                     s.expert_end(), ") outside [0, ", e, ")"));
    }
  }
  if (!req.next_address().empty()) {
    RETURN_IF_ERROR(rpc::ValidateHostPort("LoadShard.next_address", req.next_address(), false));
  }
  return arch;
}

grpc::Status FunctionalChipService::LoadShard(grpc::ServerContext*,
                                              const v1::LoadFunctionalShardRequest* req,
                                              v1::LoadFunctionalShardReply* reply) {
  auto arch = ValidateLoadShard(*req);
  if (!arch.ok()) return rpc::ToGrpcStatus(arch.status());
  auto file = ParseSafetensors(req->weights(), "LoadShard.weights");
  if (!file.ok()) return rpc::ToGrpcStatus(file.status());
  auto rt = ChipRuntime::Create(*arch, req->shard(), *file, req->weight_format(),
                                req->shard().index(), req->fault());
  if (!rt.ok()) return rpc::ToGrpcStatus(rt.status());
  std::lock_guard<std::mutex> lock(mu_);
  runtime_ = std::move(*rt);
  next_address_ = req->next_address();
  next_ = next_address_.empty() ? nullptr : StubFor(next_address_);
  reply->set_weight_bytes(static_cast<int64_t>(req->weights().size()));
  reply->set_tensors(static_cast<int32_t>(file->tensors.size()));
  return grpc::Status::OK;
}

grpc::Status FunctionalChipService::Run(grpc::ServerContext* server_ctx,
                                        const v1::FunctionalCarry* req,
                                        v1::FunctionalCarry* reply) {
  v1::FunctionalCarry carry = *req;
  v1::FunctionalChip::Stub* next = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (runtime_ == nullptr) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, "Run before LoadShard");
    }
    if (absl::Status s = runtime_->Run(carry); !s.ok()) return rpc::ToGrpcStatus(s);
    next = next_.get();
  }
  if (next == nullptr) {
    *reply = std::move(carry);
    return grpc::Status::OK;
  }
  // The next hop inherits the caller's deadline (and cancellation): one
  // step's budget covers the whole chain, however slow its last links are
  // (ThreadSanitizer makes each hop 5-15x slower).
  std::unique_ptr<grpc::ClientContext> ctx = grpc::ClientContext::FromServerContext(*server_ctx);
  const grpc::Status s = next->Run(ctx.get(), carry, reply);
  if (!s.ok()) {
    // Name the hop so a failure deep in the chain says where it happened.
    return rpc::ToGrpcStatus(rpc::FromGrpcStatus(s, absl::StrCat("chip ", next_address_)));
  }
  return grpc::Status::OK;
}

absl::StatusOr<std::unique_ptr<DistributedChain>> DistributedChain::Start(
    const std::string& config_json, const Arch& arch, const v1::Plan& plan,
    const TensorFile& weights, const std::string& format, const v1::FunctionalFault& fault) {
  std::unique_ptr<DistributedChain> d(new DistributedChain());
  rpc::LocalCluster::Options o;
  o.chips = plan.num_chips();
  o.verbose = false;
  o.chip_command = {"verify", "serve"};
  ASSIGN_OR_RETURN(d->cluster_, rpc::LocalCluster::Start(o));
  const std::vector<std::string> addrs = d->cluster_->chip_addresses();
  // Load from the last chip back, so each chip's successor is ready.
  for (int k = plan.num_chips() - 1; k >= 0; --k) {
    v1::LoadFunctionalShardRequest req;
    req.set_config_json(config_json);
    req.set_weight_format(format);
    *req.mutable_shard() = plan.chips(k);
    req.set_num_chips(plan.num_chips());
    ASSIGN_OR_RETURN(TensorFile mine, SelectShard(arch, weights, plan.chips(k)));
    req.set_weights(SerializeSafetensors(mine));
    *req.mutable_fault() = fault;
    if (k + 1 < plan.num_chips()) req.set_next_address(addrs[k + 1]);
    v1::LoadFunctionalShardReply reply;
    grpc::ClientContext ctx;
    // Quantizing a shard into the chip's format is the slow part of a load
    // (seconds; over 30 s for tiny-r1's expert chips under ThreadSanitizer,
    // which failed CI); a dead process still fails at once (UNAVAILABLE).
    Deadline(ctx, 300);
    auto stub = StubFor(addrs[k]);
    RETURN_IF_ERROR(rpc::FromGrpcStatus(stub->LoadShard(&ctx, req, &reply),
                                        absl::StrCat("chip ", k, " ", addrs[k])));
    d->loaded_bytes_ += reply.weight_bytes();
    if (k == 0) {
      d->first_ = std::move(stub);
      d->first_address_ = addrs[0];
    }
  }
  return d;
}

absl::StatusOr<v1::FunctionalCarry> DistributedChain::Run(v1::FunctionalCarry carry) {
  v1::FunctionalCarry reply;
  grpc::ClientContext ctx;
  Deadline(ctx, 300);  // one decode step through every chip process
  RETURN_IF_ERROR(rpc::FromGrpcStatus(first_->Run(&ctx, carry, &reply),
                                      absl::StrCat("chip 0 ", first_address_)));
  return reply;
}

}  // namespace etchsim::functional
