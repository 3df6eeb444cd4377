#include "tools/output.h"

#include "absl/strings/str_cat.h"

namespace etchsim::tools {

absl::StatusOr<Format> ParseFormat(const std::string& s) {
  if (s == "text") return Format::kText;
  if (s == "json") return Format::kJson;
  return absl::InvalidArgumentError(absl::StrCat("--format must be text or json, got \"", s, "\""));
}

void PrintJson(std::ostream& out, const nlohmann::ordered_json& j) { out << j.dump(2) << "\n"; }

}  // namespace etchsim::tools
