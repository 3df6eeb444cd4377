// Running a tiny model: in one process (reference), shard by shard through
// a partition plan, and the greedy decode loop shared by every execution.
#ifndef ETCHSIM_FUNCTIONAL_EXECUTE_H_
#define ETCHSIM_FUNCTIONAL_EXECUTE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "functional/runtime.h"
#include "functional/tiny_model.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::functional {

// The chips a token passes through, first to last; Run returns the last
// chip's carry.
class Chain {
 public:
  virtual ~Chain() = default;
  virtual absl::StatusOr<v1::FunctionalCarry> Run(v1::FunctionalCarry carry) = 0;
};

// Chips in this process. Between chips the carry is serialized and parsed,
// as it is on the wire.
class InProcessChain : public Chain {
 public:
  explicit InProcessChain(std::vector<std::unique_ptr<ChipRuntime>> chips)
      : chips_(std::move(chips)) {}
  absl::StatusOr<v1::FunctionalCarry> Run(v1::FunctionalCarry carry) override;

 private:
  std::vector<std::unique_ptr<ChipRuntime>> chips_;
};

// The plan for `chips` chips whose ROM holds the whole model in `format`
// (capacity never binds: the layout is what the strategy makes of N).
absl::StatusOr<v1::Plan> PlanFor(const Arch& arch, const std::string& format, int chips,
                                 const std::string& strategy);

// One runtime per chip of the plan, each given only its shard's tensors
// (SelectShard of `weights`). `fault` is installed on every chip; it acts
// only where the faulty piece lives.
absl::StatusOr<std::unique_ptr<InProcessChain>> ShardedChain(const Arch& arch, const v1::Plan& plan,
                                                             const TensorFile& weights,
                                                             const std::string& format,
                                                             const v1::FunctionalFault& fault);
// The reference: one runtime holding every weight.
absl::StatusOr<std::unique_ptr<InProcessChain>> ReferenceChain(const Arch& arch,
                                                               const TensorFile& weights,
                                                               const std::string& format);

struct DecodeOptions {
  int prompt_tokens = 8;
  int new_tokens = 8;
  uint64_t seed = 1;
  // When not empty: teacher forcing, these tokens are fed (prompt and
  // continuation) and nothing is sampled; its size sets the step count.
  std::vector<int> forced;
};
absl::Status ValidateDecodeOptions(const Arch& arch, const DecodeOptions& o);

struct DecodeResult {
  std::vector<int> tokens;                   // prompt then greedy continuation
  std::vector<std::vector<int32_t>> logits;  // per step, Q16
  std::vector<v1::FunctionalTrace> trace;    // every chip's records, in order
};
// The prompt is drawn from `seed`; each later token is the argmax of the
// previous step's logits (lowest index on ties).
absl::StatusOr<DecodeResult> Decode(const Arch& arch, Chain& chain, const DecodeOptions& o);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_EXECUTE_H_
