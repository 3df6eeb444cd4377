// Helpers shared by the commands: --format validation and JSON printing.
#ifndef ETCHSIM_TOOLS_OUTPUT_H_
#define ETCHSIM_TOOLS_OUTPUT_H_

#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace etchsim::tools {

enum class Format { kText, kJson };
absl::StatusOr<Format> ParseFormat(const std::string& s);

// Pretty JSON with a trailing newline; the exact bytes golden tests compare.
void PrintJson(std::ostream& out, const nlohmann::ordered_json& j);

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_OUTPUT_H_
