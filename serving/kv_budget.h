// KV admission: what each stage's KV memory holds for one sequence, and
// whether the admitted sequences still fit.
//
// A layer that keeps every position costs its bytes per token times the
// sequence length; a sliding-window or chunked layer keeps at most its
// window (model::LayerSpec::CachedPositions). A sequence's reservation on
// a stage is the sum over the layers whose attention the stage holds, and
// the host admits a request only when every stage's reservations still fit
// its KV memory.
//
// A recurrent layer (gated DeltaNet) keeps a fixed state per sequence
// instead: its bytes count once for every sequence, whatever its length,
// so a hybrid model's admission is bound by states and KV together.
//
// Without windowed or recurrent layers this is exactly the old token rule, "reserved
// tokens + need <= min over stages of floor(capacity / bytes per token)"
// (for integers, x <= floor(c / b) iff x * b <= c), so the budget keeps a
// single token pool then and reports do not move.
#ifndef ETCHSIM_SERVING_KV_BUDGET_H_
#define ETCHSIM_SERVING_KV_BUDGET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/model_spec.h"
#include "proto/etchsim/v1/plan.pb.h"

namespace etchsim::serving {

class KvBudget {
 public:
  KvBudget() = default;
  // `capacity_bytes[s]` is stage s's KV memory. Stages that hold no
  // attention layer take no part.
  static KvBudget Build(const model::ModelSpec& model, const v1::Plan& plan,
                        const std::vector<int64_t>& capacity_bytes, model::KvDtype dtype);

  // Tokens of context at the full per-token rate of the tightest stage
  // (the old single limit; with windowed layers a lower bound on what fits).
  int64_t capacity_tokens() const { return capacity_tokens_; }
  // Which stage sets capacity_tokens(), as "stage 3: 12 MiB of KV memory at
  // 1,234 bytes per token" (empty when no stage holds KV).
  const std::string& limiter() const { return limiter_; }
  bool windowed() const { return windowed_; }

  // Sequences of `length` tokens that fit at once (0: not even one).
  int64_t MaxSequences(int64_t length) const;
  // Would one more sequence of `length` fit beside those reserved?
  bool Fits(int64_t length) const;
  // Reserve (+1) or release (-1) one sequence of `length`, of which the
  // first `shared` tokens are a cached prefix held once (Pin). The rest
  // holds what a sequence of `length - shared` holds: a windowed layer
  // keeps the last `w` positions, and the prefix already holds its own.
  void Reserve(int64_t length, int sign, int64_t shared = 0);
  // Would a sequence of `length` (`shared` of it pinned) fit beside the
  // pinned prefix alone? False: it can never be admitted.
  bool FitsAlone(int64_t length, int64_t shared) const;
  // Holds a shared prefix of `length` tokens for the whole run; false if
  // it does not fit.
  bool Pin(int64_t length);
  // Paged KV: would a reserved sequence fit grown from `from` to `to`
  // tokens, and grow it.
  bool FitsGrowth(int64_t from, int64_t to, int64_t shared = 0) const;
  void Grow(int64_t from, int64_t to, int64_t shared = 0);
  // The most KV bytes any one stage holds for a sequence of `length`
  // (what the busiest host link carries when the sequence is swapped).
  // Of those, the first `shared` are a pinned prefix, not moved.
  int64_t MaxStageBytes(int64_t length, int64_t shared = 0) const;
  bool empty() const { return reserved_count_ == 0; }
  // Each KV-holding stage and the bytes it holds for a sequence of
  // `length` (what a disaggregated prefill pool sends it), in stage order.
  std::vector<std::pair<int, int64_t>> StageShares(int64_t length) const;

  // With windowed layers, one pool per stage that holds KV: its stage
  // index and the bytes it holds for a sequence of `length` tokens (the
  // host tracks these to report each stage's real occupancy).
  // REQUIRES: windowed(), 0 <= pool < pools().
  int pools() const { return static_cast<int>(pools_.size()); }
  int pool_stage(int pool) const { return pools_[pool].stage; }
  int64_t PoolBytes(int pool, int64_t length) const { return pools_[pool].Need(length); }

 private:
  struct Pool {
    int64_t capacity = 0;        // bytes (tokens when !windowed_)
    int64_t full_per_token = 0;  // bytes per position of full layers
    int64_t fixed = 0;           // recurrent layers' state: bytes per sequence of any length > 0
    std::vector<std::pair<int64_t, int64_t>> windows;  // (window, bytes per position)
    int64_t reserved = 0;
    int stage = -1;
    int64_t pinned = 0;
    int64_t Need(int64_t length) const;
  };
  std::vector<Pool> pools_;
  std::vector<Pool> stage_bytes_;  // per KV-holding stage, in bytes
  int64_t capacity_tokens_ = 0;
  std::string limiter_;
  bool windowed_ = false;
  int64_t reserved_count_ = 0;
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_KV_BUDGET_H_
