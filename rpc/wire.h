// Wire encoding of events and statistics between processes.
//
// Events cross as packed fixed-size records (the Event struct's bytes): a
// batch of a thousand events is one memcpy, not a thousand protobuf
// messages. Every process runs the same etchsim binary; LoadShard checks
// the wire version and record size so a mismatched build fails at once.
#ifndef ETCHSIM_RPC_WIRE_H_
#define ETCHSIM_RPC_WIRE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/service.pb.h"
#include "serving/message.h"
#include "sim/simulation.h"

namespace etchsim::rpc {

// 2: several stages per process; 3: statuses carry channel counts (idle
// time is skipped).
inline constexpr uint32_t kWireVersion = 3;
inline constexpr uint32_t kEventBytes = sizeof(serving::Event);

void EncodeEvents(const std::vector<serving::Event>& events, std::string* out);
absl::StatusOr<std::vector<serving::Event>> DecodeEvents(const std::string& bytes);

v1::ChipStats ToProto(const sim::LpResult& r);
sim::LpResult FromProto(const v1::ChipStats& s, serving::LpId lp);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_WIRE_H_
