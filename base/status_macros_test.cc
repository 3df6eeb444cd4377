#include "base/status_macros.h"

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

int calls = 0;
absl::StatusOr<int> Half(int x) {
  ++calls;
  if (x % 2 != 0) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  ASSIGN_OR_RETURN(int h, Half(x));
  ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

absl::Status Check(int x) {
  RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

TEST(StatusMacrosTest, PropagatesAndEvaluatesOnce) {
  calls = 0;
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(calls, 2);
  calls = 0;
  absl::StatusOr<int> r = Quarter(6);  // 6 -> 3 -> odd
  EXPECT_EQ(r.status().message(), "odd");
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(Check(2).ok());
  EXPECT_EQ(Check(3).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace etchsim::base
