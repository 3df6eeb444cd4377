#include "chip/chip_spec_validate.h"

#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "chip/hardwired_model.h"
#include "model/weight_format.h"

namespace etchsim::chip {
namespace {

using base::CheckAbove;
using base::CheckIntRange;
using base::CheckRange;

absl::Status FieldError(const std::string& source, absl::string_view field,
                        absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, " ", what));
}

constexpr int64_t kMaxBytes = int64_t{1} << 50;  // 1 PiB on one device

// The roofline's fixed costs by kernel class: finite and at most one
// second each (a larger per-step cost is a unit mistake, not a GPU).
absl::Status ValidateRooflineOverheads(const v1::RooflineSpec& r, const std::string& src) {
  constexpr double kMaxNs = 1e9;
  for (auto [name, v] : {std::pair{"roofline.layer_overhead_ns", r.layer_overhead_ns()},
                         std::pair{"roofline.step_overhead_ns", r.step_overhead_ns()},
                         std::pair{"roofline.dense_layer_overhead_ns", r.dense_layer_overhead_ns()},
                         std::pair{"roofline.moe_layer_overhead_ns", r.moe_layer_overhead_ns()},
                         std::pair{"roofline.interconnect_latency_ns", r.interconnect_latency_ns()},
                         std::pair{"roofline.interconnect_latency_per_peer_ns",
                                   r.interconnect_latency_per_peer_ns()}}) {
    RETURN_IF_ERROR(CheckRange(src, name, v, 0, kMaxNs));
  }
  RETURN_IF_ERROR(CheckRange(src, "roofline.moe_expert_overlap", r.moe_expert_overlap(), 0, 1));
  return CheckIntRange(src, "roofline.attention_query_tile", r.attention_query_tile(), 0, 65536);
}

absl::Status ValidateRoofline(const v1::RooflineSpec& r, const std::string& src) {
  RETURN_IF_ERROR(CheckAbove(src, "roofline.memory_bandwidth_bytes_per_s",
                             r.memory_bandwidth_bytes_per_s(), 0, 1e18));
  RETURN_IF_ERROR(CheckAbove(src, "roofline.dense_bf16_flops", r.dense_bf16_flops(), 0, 1e19));
  RETURN_IF_ERROR(CheckRange(src, "roofline.dense_fp8_flops", r.dense_fp8_flops(), 0, 1e19));
  RETURN_IF_ERROR(CheckRange(src, "roofline.dense_fp4_flops", r.dense_fp4_flops(), 0, 1e19));
  RETURN_IF_ERROR(CheckAbove(src, "roofline.bandwidth_efficiency", r.bandwidth_efficiency(), 0, 1));
  RETURN_IF_ERROR(CheckAbove(src, "roofline.compute_efficiency", r.compute_efficiency(), 0, 1));
  // 0 = no interconnect (no tensor parallelism); otherwise at least 1 MB/s,
  // so a hand-off's serialisation time stays within the clock's range.
  if (r.interconnect_bytes_per_s() != 0) {
    RETURN_IF_ERROR(CheckRange(src, "roofline.interconnect_bytes_per_s",
                               r.interconnect_bytes_per_s(), 1e6, 1e16));
  }
  RETURN_IF_ERROR(CheckIntRange(src, "roofline.max_batch", r.max_batch(), 0, 65536));
  RETURN_IF_ERROR(
      CheckIntRange(src, "roofline.max_batch_tokens", r.max_batch_tokens(), 0, int64_t{1} << 24));
  RETURN_IF_ERROR(
      CheckIntRange(src, "roofline.default_tensor_parallel", r.default_tensor_parallel(), 0, 1024));
  return ValidateRooflineOverheads(r, src);
}

}  // namespace

absl::Status ValidateChipSpec(const v1::ChipSpec& s, const std::string& src) {
  if (s.name().empty()) return FieldError(src, "name", "must be set");
  RETURN_IF_ERROR(base::CheckUtf8(src, "name", s.name()));
  RETURN_IF_ERROR(base::CheckUtf8(src, "description", s.description()));
  if (s.name().size() > 256) {
    return FieldError(src, "name",
                      absl::StrCat("must be at most 256 bytes, got ", s.name().size()));
  }
  if (s.kind() == v1::ChipSpec::KIND_UNSPECIFIED) {
    return FieldError(src, "kind", "must be HARDWIRED or ROOFLINE");
  }
  if (auto f = model::FindWeightFormat(s.weight_format()); !f.ok()) {
    return FieldError(src, "weight_format", f.status().message());
  }
  RETURN_IF_ERROR(
      CheckIntRange(src, "weight_capacity_bytes", s.weight_capacity_bytes(), 1, kMaxBytes));
  RETURN_IF_ERROR(CheckIntRange(src, "kv_capacity_bytes", s.kv_capacity_bytes(), 0, kMaxBytes));
  if (auto d = model::ParseKvDtype(s.kv_dtype()); !d.ok()) {
    return FieldError(src, "kv_dtype", d.status().message());
  }
  RETURN_IF_ERROR(
      CheckAbove(src, "activation_bytes_per_element", s.activation_bytes_per_element(), 0, 16));
  RETURN_IF_ERROR(CheckRange(src, "die_area_mm2", s.die_area_mm2(), 0, 1e6));
  RETURN_IF_ERROR(CheckAbove(src, "power.active_watts", s.power().active_watts(), 0, 1e6));
  if (!(s.power().idle_watts() >= 0 && s.power().idle_watts() <= s.power().active_watts())) {
    return FieldError(
        src, "power.idle_watts",
        absl::StrCat("must be in [0, power.active_watts], got ", s.power().idle_watts()));
  }
  RETURN_IF_ERROR(
      CheckRange(src, "power.server_overhead_watts", s.power().server_overhead_watts(), 0, 1e7));
  if (s.kind() == v1::ChipSpec::HARDWIRED) {
    RETURN_IF_ERROR(ValidateHardwiredTiming(s, src));
  } else {
    RETURN_IF_ERROR(ValidateRoofline(s.roofline(), src));
  }
  RETURN_IF_ERROR(CheckRange(src, "cost.card_price_usd", s.cost().card_price_usd(), 0, 1e9));
  RETURN_IF_ERROR(CheckRange(src, "cost.server_price_usd", s.cost().server_price_usd(), 0, 1e10));
  RETURN_IF_ERROR(
      CheckIntRange(src, "cost.cards_per_server", s.cost().cards_per_server(), 0, 1024));
  return absl::OkStatus();
}

}  // namespace etchsim::chip
