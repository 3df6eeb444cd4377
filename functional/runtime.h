// ChipRuntime: one chip's part of the forward pass in functional mode.
//
// A runtime holds only the weights of its shard (quantized to the chip's
// format) and the KV cache of the layers whose core it holds. Run() takes
// the carry a token brings from the previous chip, applies the chip's
// layer slices in plan order and leaves the carry for the next chip. The
// reference is a runtime whose shard is the whole model, so the three
// executions share every kernel and differ only in where the weights and
// caches live and how the carry travels.
#ifndef ETCHSIM_FUNCTIONAL_RUNTIME_H_
#define ETCHSIM_FUNCTIONAL_RUNTIME_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "functional/numerics.h"
#include "functional/safetensors.h"
#include "functional/tiny_model.h"
#include "proto/etchsim/v1/functional.pb.h"

namespace etchsim::functional {

class ChipRuntime {
 public:
  // `weights` must hold exactly the tensors ShardTensors(arch, shard) names,
  // with their shapes; anything else is InvalidArgument naming the tensor.
  static absl::StatusOr<std::unique_ptr<ChipRuntime>> Create(const Arch& arch,
                                                             const v1::ChipShard& shard,
                                                             const TensorFile& weights,
                                                             const std::string& format, int chip,
                                                             const v1::FunctionalFault& fault);

  // Applies this chip's slices to `carry`. Tokens must arrive in position
  // order (0, 1, ...); a carry that does not fit this chip (wrong sizes, a
  // pending MoE layer it does not continue) is InvalidArgument.
  absl::Status Run(v1::FunctionalCarry& carry);

  int chip() const { return chip_; }

 private:
  ChipRuntime(const Arch& arch, v1::ChipShard shard, int chip, v1::FunctionalFault fault)
      : arch_(arch), shard_(std::move(shard)), chip_(chip), fault_(std::move(fault)) {}

  struct KvCache {
    std::vector<Act> k;  // per position (GQA: keys; MLA: normalised latent)
    std::vector<Act> v;  // per position (GQA: values; MLA: rope key)
  };

  absl::Status CheckCarry(const v1::FunctionalCarry& c) const;
  void Record(v1::FunctionalCarry& c, int layer, const std::string& tensor, const Act& v) const;
  Act Attention(int layer, int position, const Act& x);
  Act GqaAttention(int layer, int position, const Act& x, KvCache& kv);
  Act MlaAttention(int layer, int position, const Act& x, KvCache& kv);
  Act Mlp(const std::string& prefix, const Act& x, bool mixtral) const;
  void Route(int layer, const Act& x, v1::FunctionalCarry& c) const;
  absl::Status RunSlice(const v1::LayerSlice& s, v1::FunctionalCarry& c);
  void Finish(int layer, v1::FunctionalCarry& c) const;

  const Matrix& M(const std::string& name) const { return matrices_.at(name); }
  const std::vector<int32_t>& V(const std::string& name) const { return vectors_.at(name); }

  Arch arch_;
  v1::ChipShard shard_;
  int chip_ = 0;
  v1::FunctionalFault fault_;
  std::map<std::string, Matrix> matrices_;
  std::map<std::string, std::vector<int32_t>> vectors_;
  std::map<int, KvCache> kv_;
};

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_RUNTIME_H_
