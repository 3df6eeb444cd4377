// The KV policy as the serving model reads it: the scenario's strings
// (kind "reserve" | "paged", preemption "recompute" | "swap") become enums
// once, here, at the boundary; nothing deeper compares the strings.
#ifndef ETCHSIM_SERVING_KV_POLICY_H_
#define ETCHSIM_SERVING_KV_POLICY_H_

#include <cstdint>

#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::serving {

enum class KvKind { kReserve, kPaged };
enum class Preemption { kRecompute, kSwap };

struct KvPolicy {
  KvKind kind = KvKind::kReserve;
  Preemption preemption = Preemption::kRecompute;  // paged only
  int32_t block_tokens = 1;                        // paged only
  double swap_gb_per_s = 0;                        // preemption kSwap only
  int32_t prefix_tokens = 0;                       // a cached prefix (either kind)
  double prefix_hit_rate = 0;

  bool paged() const { return kind == KvKind::kPaged; }
  bool swaps() const { return paged() && preemption == Preemption::kSwap; }
};

// REQUIRES: sim::ValidateKvPolicy(k) passed (after ApplyDefaults).
inline KvPolicy KvPolicyOf(const v1::KvPolicy& k) {
  KvPolicy p;
  p.kind = k.kind() == "paged" ? KvKind::kPaged : KvKind::kReserve;
  if (p.paged()) {
    p.preemption = k.preemption() == "swap" ? Preemption::kSwap : Preemption::kRecompute;
    p.block_tokens = k.block_tokens();
    p.swap_gb_per_s = k.swap_gb_per_s();
  }
  p.prefix_tokens = k.prefix_tokens();
  p.prefix_hit_rate = k.prefix_hit_rate();
  return p;
}

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_KV_POLICY_H_
