#include "base/file_util.h"

#include <cstdlib>
#include <filesystem>

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

TEST(FileUtilTest, RoundTripAndErrorsNameThePath) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/etchsim_file_util_test.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello\n").ok());
  EXPECT_EQ(*ReadFile(path), "hello\n");
  ASSERT_TRUE(WriteFileAtomically(path, "again").ok());
  EXPECT_EQ(*ReadFile(path), "again");
  std::filesystem::remove(path);

  auto missing = ReadFile(dir + "/does/not/exist.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does/not/exist.json"), std::string::npos);
  EXPECT_EQ(ReadFile(dir).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(WriteFileAtomically(dir + "/no/such/dir/x", "x").ok());
}

}  // namespace
}  // namespace etchsim::base
