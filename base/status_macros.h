// RETURN_IF_ERROR / ASSIGN_OR_RETURN for absl::Status and absl::StatusOr.
//
// Debian's Abseil 20220623 ships neither absl/log nor status macros, so we
// keep these two. They evaluate their argument exactly once.
#ifndef ETCHSIM_BASE_STATUS_MACROS_H_
#define ETCHSIM_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define ETCHSIM_CONCAT_INNER_(a, b) a##b
#define ETCHSIM_CONCAT_(a, b) ETCHSIM_CONCAT_INNER_(a, b)

#define RETURN_IF_ERROR(expr)                                             \
  do {                                                                    \
    if (::absl::Status etchsim_status_ = (expr); !etchsim_status_.ok()) { \
      return etchsim_status_;                                             \
    }                                                                     \
  } while (false)

#define ASSIGN_OR_RETURN(lhs, rexpr) \
  ETCHSIM_ASSIGN_OR_RETURN_IMPL_(ETCHSIM_CONCAT_(etchsim_statusor_, __LINE__), lhs, rexpr)

#define ETCHSIM_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // ETCHSIM_BASE_STATUS_MACROS_H_
