#include "model/zoo.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/embedded.h"
#include "base/file_util.h"
#include "base/status_macros.h"

namespace etchsim::model {

// Generated from model/configs/*.json (see CMakeLists.txt).
const std::vector<base::EmbeddedFile>& EmbeddedModelConfigs();

std::vector<std::string> BundledModelNames() {
  std::vector<std::string> names;
  for (const auto& f : EmbeddedModelConfigs()) {
    std::string n(f.name);
    names.push_back(n.substr(0, n.size() - 5));  // strip ".json"
  }
  return names;
}

absl::StatusOr<std::string> BundledModelJson(const std::string& name) {
  const std::string file = name + ".json";
  for (const auto& f : EmbeddedModelConfigs()) {
    if (f.name == file) return std::string(f.contents);
  }
  return absl::NotFoundError(absl::StrCat(
      "unknown model \"", name, "\": not a bundled model (bundled: ",
      absl::StrJoin(BundledModelNames(), ", "),
      ") and not a path to a config.json"));
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& name_or_path) {
  const bool looks_like_path = absl::StrContains(name_or_path, "/") ||
                               absl::EndsWith(name_or_path, ".json");
  if (!looks_like_path) {
    auto bundled = BundledModelJson(name_or_path);
    if (bundled.ok()) {
      ASSIGN_OR_RETURN(ModelConfig c,
                       ParseModelConfig(*bundled, name_or_path + ".json"));
      c.name = name_or_path;
      c.source = "bundled:" + name_or_path;
      return c;
    }
    std::error_code ec;
    if (!std::filesystem::is_regular_file(name_or_path, ec)) {
      return bundled.status();
    }
  }
  ASSIGN_OR_RETURN(std::string text, base::ReadFile(name_or_path));
  return ParseModelConfig(text, name_or_path);
}

absl::StatusOr<ModelSpec> LoadModel(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(ModelConfig c, LoadModelConfig(name_or_path));
  return BuildModelSpec(c);
}

}  // namespace etchsim::model
