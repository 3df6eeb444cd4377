// "A bundled preset name or a path": the one rule every named input (model
// configs, chip presets, link presets) follows.
//
// A name with no '/' that does not end in the preset extension is looked
// up among the presets compiled into the binary; failing that, a regular
// file of that name is read. Anything else is a path.
#ifndef ETCHSIM_BASE_PRESET_H_
#define ETCHSIM_BASE_PRESET_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/embedded.h"

namespace etchsim::base {

struct PresetSet {
  const std::vector<EmbeddedFile>* files;  // the bundled presets
  absl::string_view extension;             // ".textproto", ".json"
  absl::string_view what;                  // "chip", "link", "model"
  // For the NotFound message: 'unknown chip "x": not a preset (presets:
  // a, b) and not a path to a .textproto'.
  absl::string_view preset_noun = "a preset";
  absl::string_view list_label = "presets";
  absl::string_view path_noun = "a .textproto";
};

// Bundled names (file names without the extension), in file order.
std::vector<std::string> PresetNames(const PresetSet& set);

struct PresetText {
  std::string text;
  std::string source;  // for error messages: the file name or the path
  bool bundled = false;
};

// The text of `name_or_path`. NotFound names the bundled presets when a
// bare name is neither a preset nor a file.
absl::StatusOr<PresetText> ReadPreset(const PresetSet& set, const std::string& name_or_path);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_PRESET_H_
