// absl::Status <-> grpc::Status, the one mapping at the RPC edge. Both
// follow google.rpc.Code, so the code carries over one to one and the
// message is kept: a peer's INVALID_ARGUMENT is the caller's bad input
// (exit 2 at the command line), an UNAVAILABLE a transport failure (1).
#ifndef ETCHSIM_RPC_STATUS_H_
#define ETCHSIM_RPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace etchsim::rpc {

grpc::Status ToGrpcStatus(const absl::Status& s);

// `context` (e.g. "coordinator 127.0.0.1:50051") prefixes the message
// when non-empty.
absl::Status FromGrpcStatus(const grpc::Status& s, absl::string_view context = "");

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_STATUS_H_
