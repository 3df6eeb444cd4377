// absl::Status <-> grpc::Status, the one mapping at the RPC edge. Both
// follow google.rpc.Code, so the code carries over one to one and the
// message is kept: a peer's INVALID_ARGUMENT is the caller's bad input
// (exit 2 at the command line), an UNAVAILABLE a transport failure (1).
//
// An error detail travels in gRPC's trailing metadata, which a client
// refuses past its limit (8 KiB by default) with RESOURCE_EXHAUSTED: an
// INVALID_ARGUMENT that quoted a 10 MB input whole would reach the caller
// as a different error with no detail. So every value an error quotes from
// its input goes through Echo, and ToGrpcStatus bounds the whole message.
#ifndef ETCHSIM_RPC_STATUS_H_
#define ETCHSIM_RPC_STATUS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace etchsim::rpc {

// Longest value an error quotes whole, and longest error detail sent.
inline constexpr size_t kMaxEchoBytes = 64;
inline constexpr size_t kMaxErrorDetailBytes = 2048;

// `value` as an error may quote it: whole when at most `max_bytes`, else
// its first bytes (cut at a UTF-8 boundary), "..." and its length:
//   abcdefgh... (10485760 bytes)
std::string Echo(absl::string_view value, size_t max_bytes = kMaxEchoBytes);

// The message is bounded by Echo to kMaxErrorDetailBytes.
grpc::Status ToGrpcStatus(const absl::Status& s);

// `context` (e.g. "coordinator 127.0.0.1:50051") prefixes the message
// when non-empty.
absl::Status FromGrpcStatus(const grpc::Status& s, absl::string_view context = "");

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_STATUS_H_
