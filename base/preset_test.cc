#include "base/preset.h"

#include <fstream>

#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

const std::vector<EmbeddedFile>& Files() {
  static const std::vector<EmbeddedFile> files = {{"a.textproto", "alpha"},
                                                  {"b.textproto", "beta"}};
  return files;
}
const PresetSet kSet{&Files(), ".textproto", "widget"};

TEST(PresetTest, NamesStripTheExtension) {
  EXPECT_EQ(PresetNames(kSet), (std::vector<std::string>{"a", "b"}));
}

TEST(PresetTest, BundledNameFirst) {
  auto p = ReadPreset(kSet, "b");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->text, "beta");
  EXPECT_EQ(p->source, "b.textproto");
  EXPECT_TRUE(p->bundled);
}

TEST(PresetTest, UnknownNameListsTheBundledOnes) {
  for (const std::string name : {"c", ""}) {
    auto p = ReadPreset(kSet, name);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(p.status().message(),
              "unknown widget \"" + name +
                  "\": not a preset (presets: a, b) and not a path to a .textproto");
  }
}

TEST(PresetTest, PathsAndBareFileNamesAreRead) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/mine.textproto";
  std::ofstream(path) << "gamma";
  auto p = ReadPreset(kSet, path);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->text, "gamma");
  EXPECT_EQ(p->source, path);
  EXPECT_FALSE(p->bundled);
  // A path that does not exist is an error about the file, not the preset.
  EXPECT_FALSE(ReadPreset(kSet, dir + "/missing.textproto").ok());
}

}  // namespace
}  // namespace etchsim::base
