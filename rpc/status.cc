#include "rpc/status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "base/bounds.h"

namespace etchsim::rpc {

std::string Echo(absl::string_view value, size_t max_bytes) {
  if (value.size() <= max_bytes) return std::string(value);
  return absl::StrCat(base::Excerpt(value, max_bytes), " (", value.size(), " bytes)");
}

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()),
                      Echo(s.message(), kMaxErrorDetailBytes));
}

absl::Status FromGrpcStatus(const grpc::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  const std::string msg =
      context.empty() ? s.error_message() : absl::StrCat(context, ": ", s.error_message());
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()), msg);
}

}  // namespace etchsim::rpc
