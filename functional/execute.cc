#include "functional/execute.h"

#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/rng.h"
#include "base/status_macros.h"
#include "model/model_spec.h"
#include "model/weight_format.h"
#include "partitioner/partitioner.h"

namespace etchsim::functional {

absl::StatusOr<v1::FunctionalCarry> InProcessChain::Run(v1::FunctionalCarry carry) {
  for (size_t k = 0; k < chips_.size(); ++k) {
    RETURN_IF_ERROR(chips_[k]->Run(carry));
    if (k + 1 < chips_.size()) {
      const std::string wire = carry.SerializeAsString();
      if (!carry.ParseFromString(wire)) return absl::InternalError("carry did not round-trip");
    }
  }
  return carry;
}

absl::StatusOr<v1::Plan> PlanFor(const Arch& arch, const std::string& format, int chips,
                                 const std::string& strategy) {
  ASSIGN_OR_RETURN(model::ModelSpec spec, model::BuildModelSpec(arch.config));
  ASSIGN_OR_RETURN(model::WeightFormat f, model::FindWeightFormat(format));
  partitioner::ChipCapacity cap;
  cap.name = absl::StrCat("functional-", format);
  cap.format = f;
  cap.weight_capacity_bytes = f.BytesFor(spec.TotalParams());
  return partitioner::Partition(spec, cap, strategy, {.num_chips = chips});
}

absl::StatusOr<std::unique_ptr<InProcessChain>> ShardedChain(const Arch& arch, const v1::Plan& plan,
                                                             const TensorFile& weights,
                                                             const std::string& format,
                                                             const v1::FunctionalFault& fault) {
  std::vector<std::unique_ptr<ChipRuntime>> chips;
  for (const v1::ChipShard& shard : plan.chips()) {
    ASSIGN_OR_RETURN(TensorFile mine, SelectShard(arch, weights, shard));
    ASSIGN_OR_RETURN(auto rt, ChipRuntime::Create(arch, shard, mine, format, shard.index(), fault));
    chips.push_back(std::move(rt));
  }
  return std::make_unique<InProcessChain>(std::move(chips));
}

absl::StatusOr<std::unique_ptr<InProcessChain>> ReferenceChain(const Arch& arch,
                                                               const TensorFile& weights,
                                                               const std::string& format) {
  const v1::ChipShard whole = WholeModelShard(arch);
  ASSIGN_OR_RETURN(TensorFile all, SelectShard(arch, weights, whole));
  std::vector<std::unique_ptr<ChipRuntime>> chips;
  ASSIGN_OR_RETURN(auto rt, ChipRuntime::Create(arch, whole, all, format, 0, {}));
  chips.push_back(std::move(rt));
  return std::make_unique<InProcessChain>(std::move(chips));
}

absl::Status ValidateDecodeOptions(const Arch& arch, const DecodeOptions& o) {
  const int64_t max_pos = arch.config.max_position_embeddings;
  if (o.forced.empty()) {
    RETURN_IF_ERROR(base::CheckIntRange("verify", "--prompt-tokens", o.prompt_tokens, 1, max_pos));
    RETURN_IF_ERROR(
        base::CheckIntRange("verify", "--new-tokens", o.new_tokens, 0, max_pos - o.prompt_tokens));
  } else if (static_cast<int64_t>(o.forced.size()) > max_pos) {
    return absl::InvalidArgumentError("verify: forced sequence longer than the context");
  }
  return absl::OkStatus();
}

absl::StatusOr<DecodeResult> Decode(const Arch& arch, Chain& chain, const DecodeOptions& o) {
  RETURN_IF_ERROR(ValidateDecodeOptions(arch, o));
  DecodeResult r;
  if (o.forced.empty()) {
    base::Rng rng(o.seed, 0x70726f6d7074ULL);  // "prompt"
    for (int i = 0; i < o.prompt_tokens; ++i) {
      r.tokens.push_back(static_cast<int>(rng.UniformInt(0, arch.config.vocab_size - 1)));
    }
  } else {
    r.tokens = o.forced;
  }
  const int steps =
      o.forced.empty() ? o.prompt_tokens + o.new_tokens : static_cast<int>(o.forced.size());
  for (int s = 0; s < steps; ++s) {
    v1::FunctionalCarry c;
    c.set_step(s);
    c.set_position(s);
    c.set_token(r.tokens[s]);
    c.set_pending_layer(-1);
    ASSIGN_OR_RETURN(v1::FunctionalCarry out, chain.Run(std::move(c)));
    if (out.logits_size() != arch.config.vocab_size) {
      return absl::InternalError(absl::StrCat("step ", s, ": the chain returned ",
                                              out.logits_size(), " logits, expected ",
                                              arch.config.vocab_size));
    }
    std::vector<int32_t> logits(out.logits().begin(), out.logits().end());
    for (v1::FunctionalTrace& t : *out.mutable_trace()) r.trace.push_back(std::move(t));
    if (s + 1 >= static_cast<int>(r.tokens.size())) r.tokens.push_back(ArgMax(logits));
    r.logits.push_back(std::move(logits));
  }
  if (o.forced.empty()) r.tokens.resize(static_cast<size_t>(steps + 1));
  return r;
}

}  // namespace etchsim::functional
