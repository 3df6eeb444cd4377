// The model zoo: bundled configs by name, or any config.json by path.
#ifndef ETCHSIM_MODEL_ZOO_H_
#define ETCHSIM_MODEL_ZOO_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "model/model_config.h"
#include "model/model_spec.h"

namespace etchsim::model {

// Sorted bundled names, e.g. "deepseek-r1", "llama-3.1-8b".
std::vector<std::string> BundledModelNames();

// The config.json text of `name_or_path`, resolved by base::ReadPreset: a
// value containing '/' or ending in ".json" is a path; otherwise a bundled
// name (falling back to a file of that name in the working directory).
// Unknown names list the bundled ones.
absl::StatusOr<std::string> ModelConfigText(const std::string& name_or_path);

// ModelConfigText, parsed.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& name_or_path);
absl::StatusOr<ModelSpec> LoadModel(const std::string& name_or_path);

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_ZOO_H_
