#include "model/zoo.h"

#include "base/embedded.h"
#include "base/preset.h"
#include "base/status_macros.h"

namespace etchsim::model {

// Generated from model/configs/*.json (see CMakeLists.txt).
const std::vector<base::EmbeddedFile>& EmbeddedModelConfigs();

namespace {

const base::PresetSet& Models() {
  static const base::PresetSet set{&EmbeddedModelConfigs(), ".json",   "model",
                                   "a bundled model",       "bundled", "a config.json"};
  return set;
}

}  // namespace

std::vector<std::string> BundledModelNames() { return base::PresetNames(Models()); }

absl::StatusOr<std::string> ModelConfigText(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(base::PresetText p, base::ReadPreset(Models(), name_or_path));
  return std::move(p.text);
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(base::PresetText p, base::ReadPreset(Models(), name_or_path));
  ASSIGN_OR_RETURN(ModelConfig c, ParseModelConfig(p.text, p.source));
  if (p.bundled) {
    c.name = name_or_path;
    c.source = "bundled:" + name_or_path;
  }
  return c;
}

absl::StatusOr<ModelSpec> LoadModel(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(ModelConfig c, LoadModelConfig(name_or_path));
  return BuildModelSpec(c);
}

}  // namespace etchsim::model
