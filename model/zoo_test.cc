#include "model/zoo.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace etchsim::model {
namespace {

TEST(ZooTest, BundledByNameAndByPath) {
  auto byname = LoadModelConfig("llama-3.1-8b");
  ASSERT_TRUE(byname.ok()) << byname.status();
  EXPECT_EQ(byname->source, "bundled:llama-3.1-8b");
  EXPECT_EQ(byname->name, "llama-3.1-8b");

  const std::string path = ::testing::TempDir() + "/my-model.json";
  {
    std::ofstream out(path);
    out << *ModelConfigText("mixtral-8x7b");
  }
  auto bypath = LoadModel(path);
  ASSERT_TRUE(bypath.ok()) << bypath.status();
  EXPECT_EQ(bypath->name, "my-model");
  EXPECT_EQ(bypath->source, path);
  EXPECT_EQ(bypath->TotalParams(), LoadModel("mixtral-8x7b")->TotalParams());
  std::filesystem::remove(path);
}

TEST(ZooTest, UnknownNameAndMissingFile) {
  auto unknown = LoadModelConfig("gpt-5");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("unknown model \"gpt-5\""), std::string::npos);
  EXPECT_NE(unknown.status().message().find("deepseek-r1"), std::string::npos);

  auto missing = LoadModelConfig("/nonexistent/config.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "/nonexistent/config.json: no such file");
}

}  // namespace
}  // namespace etchsim::model
