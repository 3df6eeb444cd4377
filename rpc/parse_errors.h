// A request gRPC cannot parse is the caller's bad input, not an internal
// error.
//
// gRPC's sync server parses a unary (or server-streaming) request before
// the handler runs and, when the bytes are not a valid message of the
// method's type, answers INTERNAL with an empty detail: GenericDeserialize
// (grpcpp/impl/codegen/proto_utils.h) returns
// Status(INTERNAL, msg->InitializationErrorString()), and that string is
// empty for proto3 messages. No handler code runs, so no handler can
// change it; a server interceptor can: it sees the request arrive without
// a message (POST_RECV_MESSAGE, GetRecvMessage() == nullptr) and rewrites
// the status before it is sent (PRE_SEND_STATUS). StartServer installs it
// on every etchsim server.
//
// Streaming reads are not covered: there a parse failure looks exactly like
// the end of the stream (both are a failed read with no message), so a
// streaming method parses its own (ChipServer's Exchange is a raw method).
#ifndef ETCHSIM_RPC_PARSE_ERRORS_H_
#define ETCHSIM_RPC_PARSE_ERRORS_H_

#include <memory>
#include <string>

#include "grpcpp/support/server_interceptor.h"

namespace etchsim::rpc {

// Turns a unary or server-streaming request's parse failure into
// INVALID_ARGUMENT: "LoadShard: the request is not a valid
// etchsim.v1.LoadShardRequest protobuf message".
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
NewParseErrorInterceptorFactory();

// "/etchsim.v1.ChipService/LoadShard" -> "etchsim.v1.LoadShardRequest"
// (from the generated descriptors; empty when the method is unknown).
std::string RequestTypeOf(const std::string& method);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_PARSE_ERRORS_H_
