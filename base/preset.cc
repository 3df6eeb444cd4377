#include "base/preset.h"

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"

namespace etchsim::base {

std::vector<std::string> PresetNames(const PresetSet& set) {
  std::vector<std::string> names;
  for (const EmbeddedFile& f : *set.files) {
    names.emplace_back(f.name.substr(0, f.name.size() - set.extension.size()));
  }
  return names;
}

absl::StatusOr<PresetText> ReadPreset(const PresetSet& set, const std::string& name_or_path) {
  const bool looks_like_path =
      absl::StrContains(name_or_path, "/") || absl::EndsWith(name_or_path, set.extension);
  if (!looks_like_path) {
    const std::string file = absl::StrCat(name_or_path, set.extension);
    for (const EmbeddedFile& f : *set.files) {
      if (f.name == file) return PresetText{std::string(f.contents), file, true};
    }
    std::error_code ec;
    if (name_or_path.empty() || !std::filesystem::is_regular_file(name_or_path, ec)) {
      return absl::NotFoundError(absl::StrCat("unknown ", set.what, " \"", Excerpt(name_or_path),
                                              "\": not ", set.preset_noun, " (", set.list_label,
                                              ": ", absl::StrJoin(PresetNames(set), ", "),
                                              ") and not a path to ", set.path_noun));
    }
  }
  ASSIGN_OR_RETURN(std::string text, ReadFile(name_or_path));
  return PresetText{std::move(text), name_or_path, false};
}

}  // namespace etchsim::base
