#include "rpc/status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace etchsim::rpc {

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

absl::Status FromGrpcStatus(const grpc::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg =
      context.empty() ? s.error_message() : absl::StrCat(context, ": ", s.error_message());
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), msg);
}

}  // namespace etchsim::rpc
