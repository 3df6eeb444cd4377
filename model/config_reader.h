// ConfigReader: typed, range-checked reads of one JSON object of a
// config.json (the top level, or a multimodal checkpoint's "text_config").
//
// Internal to model/: every error names the source file and the field (with
// its path, e.g. "text_config.hidden_size"), and every integer is checked
// against MaxConfigValue before it is used to size anything.
#ifndef ETCHSIM_MODEL_CONFIG_READER_H_
#define ETCHSIM_MODEL_CONFIG_READER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace etchsim::model {

// "null", "a string", "an array", ... for error messages; "Infinity",
// "-Infinity" or "NaN" for a literal ReadNonFiniteLiterals kept.
const char* JsonTypeName(const nlohmann::json& j);

// Python's json module writes float('inf') and float('nan') as the bare
// tokens Infinity, -Infinity and NaN (Nemotron-H's "time_step_limit"),
// which JSON does not allow; Hugging Face reads them back with json.load.
// Returns `text` with each such token outside a string replaced by a
// marker string, so the file parses and a field that holds one is seen as
// the non-finite value it is: a number read where a size belongs is
// refused naming it, never taken as a size.
std::string ReadNonFiniteLiterals(absl::string_view text);
// The literal a marker stands for ("Infinity", "-Infinity", "NaN"), or
// null when `j` is not a marker.
const char* NonFiniteLiteral(const nlohmann::json& j);

class ConfigReader {
 public:
  // `prefix` is prepended to field names in errors ("" or "text_config.").
  // REQUIRES: `obj` and `source` outlive the reader.
  ConfigReader(const nlohmann::json& obj, const std::string& source, std::string prefix = "")
      : obj_(obj), source_(source), prefix_(std::move(prefix)) {}

  absl::Status Error(absl::string_view field, absl::string_view what) const;
  bool Has(absl::string_view field) const;

  // An integer field >= min (0 or 1) and <= MaxConfigValue(field). Absent
  // or null: `fallback` if given, else an error. JSON floats with an
  // integral value (e.g. 4096.0) are accepted.
  absl::StatusOr<int64_t> Int(absl::string_view field, int64_t min,
                              const int64_t* fallback = nullptr) const;
  absl::StatusOr<int64_t> Int(absl::string_view field, int64_t min, int64_t fallback) const {
    return Int(field, min, &fallback);
  }
  absl::StatusOr<bool> Bool(absl::string_view field, bool fallback) const;
  absl::StatusOr<std::string> String(absl::string_view field, absl::string_view fallback) const;
  // Integers in [0, MaxConfigValue(field)], at most that many entries;
  // absent or null = empty.
  absl::StatusOr<std::vector<int64_t>> IntList(absl::string_view field) const;
  // Strings, at most MaxConfigValue(field) of them; absent or null = empty.
  absl::StatusOr<std::vector<std::string>> StringList(absl::string_view field) const;
  // A nested object; nullptr when absent or null, an error when not an
  // object. Read it with Nested().
  absl::StatusOr<const nlohmann::json*> Object(absl::string_view field) const;
  ConfigReader Nested(const nlohmann::json& obj, absl::string_view field) const;

 private:
  const nlohmann::json& obj_;
  const std::string& source_;
  std::string prefix_;
};

}  // namespace etchsim::model

#endif  // ETCHSIM_MODEL_CONFIG_READER_H_
