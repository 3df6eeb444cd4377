// Tiny models of the real shapes, from a seed.
//
// Four families with the structure of their full-size namesakes, small
// enough to run a forward pass in milliseconds: tiny-llama (dense, GQA),
// tiny-mixtral (every layer MoE, top-2 of 8), tiny-r1 (DeepSeek-V3/R1:
// MLA with q and kv low-rank projections, first_k_dense_replace = 1, one
// shared + 16 routed experts, sigmoid routing with a correction bias) and
// tiny-qwen3-moe (q/k norms, top-4 of 16). Each is an HF-style config.json
// that model::ParseModelConfig accepts, so the partitioner plans it like
// any bundled model. Weights are pseudo-random BF16 values drawn per
// tensor from (seed, tensor name), with HF tensor names.
#ifndef ETCHSIM_FUNCTIONAL_TINY_MODEL_H_
#define ETCHSIM_FUNCTIONAL_TINY_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "functional/safetensors.h"
#include "model/model_config.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::functional {

// Largest weight magnitude accepted (Q24 weights must fit an int32).
inline constexpr float kMaxWeightMagnitude = 64.0f;

std::vector<std::string> TinyModelNames();
// config.json text of a tiny model; NotFound for other names.
absl::StatusOr<std::string> TinyModelConfig(absl::string_view name);

// What the forward pass needs of a config: the accounting fields plus the
// few numeric constants the accounting ignores.
struct Arch {
  model::ModelConfig config;
  double rope_theta = 10000.0;
  double rms_norm_eps = 1e-6;
  bool norm_topk_prob = true;
  double routed_scaling_factor = 1.0;

  bool deepseek() const { return config.architecture == model::Architecture::kDeepseekV3; }
  int num_layers() const { return static_cast<int>(config.num_hidden_layers); }
};
// Parses and validates a config for functional mode: an architecture we
// can execute, sizes small enough to run here.
absl::StatusOr<Arch> ParseArch(absl::string_view config_json, const std::string& source);

// Name and shape of every tensor of the model (HF names).
struct TensorSpec {
  std::string name;
  std::vector<int64_t> shape;
};
std::vector<TensorSpec> ModelTensors(const Arch& a);
// Tensors a chip holding `shard` needs (a subset of ModelTensors).
std::vector<TensorSpec> ShardTensors(const Arch& a, const v1::ChipShard& shard);
// A shard holding the whole model (the reference).
v1::ChipShard WholeModelShard(const Arch& a);

// The model's weights from `seed`, with the config and seed in the
// metadata ("config", "seed").
TensorFile GenerateWeights(const Arch& a, const std::string& config_json, uint64_t seed);
// A full weights file against the model: every tensor present with its
// shape and a float dtype (BF16, F16, F32), finite values in [-64, 64], and
// no tensor the model does not have. Errors name `source` and the tensor.
absl::Status ValidateWeights(const Arch& a, const TensorFile& file, absl::string_view source);
// The same for any list of tensors (a shard's); `whose` completes "tensor X
// is not part of ..." for a tensor that is not listed.
absl::Status CheckTensorSet(const std::vector<TensorSpec>& specs, const TensorFile& file,
                            absl::string_view source, absl::string_view whose);
// The tensors of `shard` from a full file (missing ones are an error).
absl::StatusOr<TensorFile> SelectShard(const Arch& a, const TensorFile& full,
                                       const v1::ChipShard& shard);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_TINY_MODEL_H_
