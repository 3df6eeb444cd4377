// Text-format protobuf input: the one parser every config file goes through
// (chip and link presets, scenarios, sweeps), so that every error names
// the file, line and column.
#ifndef ETCHSIM_BASE_TEXT_PROTO_H_
#define ETCHSIM_BASE_TEXT_PROTO_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "google/protobuf/message.h"

namespace etchsim::base {

// Parses `text` into `m` (cleared first). On failure: InvalidArgument
// "SOURCE: line L, column C: what protobuf said" for the first error (an
// unknown field, a bad value, a syntax error), and nothing is logged.
absl::Status ParseTextProtoInto(const std::string& text, const std::string& source,
                                google::protobuf::Message* m);

template <typename T>
absl::StatusOr<T> ParseTextProto(const std::string& text, const std::string& source) {
  T m;
  absl::Status s = ParseTextProtoInto(text, source, &m);
  if (!s.ok()) return s;
  return m;
}

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_TEXT_PROTO_H_
