// A protobuf message as nlohmann JSON with the keys in field declaration
// order: the renderer of typed reports (and later sweep rows), so that the
// message's schema fixes the JSON's shape and order.
//
// Why not protobuf's util/json_util: it prints 64-bit integers as strings,
// orders keys by field number and drops zero scalars; our golden reports
// pin numbers as numbers, in a readable order, with zeros present.
#ifndef ETCHSIM_BASE_PROTO_JSON_H_
#define ETCHSIM_BASE_PROTO_JSON_H_

#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"

namespace etchsim::base {

// Fields in declaration order, named by their proto names (or by an
// explicit json_name option, the escape for names protoc rejects). Scalars without
// presence are always written (zeros too); fields with presence (proto3
// `optional`, messages) only when set. Repeated fields become arrays, enums
// their value names, 64-bit integers JSON numbers.
nlohmann::ordered_json ProtoToJson(const google::protobuf::Message& m);

// The key ProtoToJson uses for `f`.
const std::string& JsonKey(const google::protobuf::FieldDescriptor& f);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_PROTO_JSON_H_
