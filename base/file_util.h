// File helpers with error messages that name the path.
#ifndef ETCHSIM_BASE_FILE_UTIL_H_
#define ETCHSIM_BASE_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/bounds.h"

namespace etchsim::base {

// Whole file as bytes. NotFound / PermissionDenied / Internal name the path;
// InvalidArgument if it is a directory or holds more than `max_bytes` (read
// in chunks, so /dev/zero fails at the cap rather than exhausting memory).
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     int64_t max_bytes = kMaxInputFileBytes);

// Writes to "<path>.tmp.<pid>" then renames over `path`, so a reader (or a
// crash) never sees a half-written result file.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_FILE_UTIL_H_
