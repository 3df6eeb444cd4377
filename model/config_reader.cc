#include "model/config_reader.h"

#include <cctype>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "model/model_config_validate.h"

namespace etchsim::model {

using Json = nlohmann::json;

namespace {
// \u0001 cannot appear in a real config's strings unescaped-from-text by
// accident: a marker is "\u0001" then the literal.
constexpr absl::string_view kMarker = "\x01";
}  // namespace

std::string ReadNonFiniteLiterals(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    if (in_string) {
      out += ch;
      if (ch == '\\' && i + 1 < text.size()) {
        out += text[++i];
      } else if (ch == '"') {
        in_string = false;
      }
      continue;
    }
    if (ch == '"') {
      in_string = true;
      out += ch;
      continue;
    }
    // A token starts here only after a separator (not inside a word).
    const bool boundary = i == 0 || !std::isalnum(static_cast<unsigned char>(text[i - 1]));
    bool replaced = false;
    for (absl::string_view lit : {"-Infinity", "Infinity", "NaN"}) {
      if (boundary && text.substr(i, lit.size()) == lit &&
          (i + lit.size() == text.size() ||
           !std::isalnum(static_cast<unsigned char>(text[i + lit.size()])))) {
        absl::StrAppend(&out, "\"\\u0001", lit, "\"");
        i += lit.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += ch;
  }
  return out;
}

const char* NonFiniteLiteral(const Json& j) {
  if (!j.is_string()) return nullptr;
  const std::string& v = j.get_ref<const std::string&>();
  if (v.size() < 2 || v[0] != kMarker[0]) return nullptr;
  for (const char* lit : {"-Infinity", "Infinity", "NaN"}) {
    if (absl::string_view(v).substr(1) == lit) return lit;
  }
  return nullptr;
}

const char* JsonTypeName(const Json& j) {
  if (const char* lit = NonFiniteLiteral(j)) return lit;
  switch (j.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::number_float:
      return "a non-integer number";
    default:
      return "a number";
  }
}

absl::Status ConfigReader::Error(absl::string_view field, absl::string_view what) const {
  return absl::InvalidArgumentError(absl::StrCat(source_, ": \"", prefix_, field, "\" ", what));
}

bool ConfigReader::Has(absl::string_view field) const {
  auto it = obj_.find(std::string(field));
  return it != obj_.end() && !it->is_null();
}

absl::StatusOr<int64_t> ConfigReader::Int(absl::string_view field, int64_t min,
                                          const int64_t* fallback) const {
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) {
    if (fallback != nullptr) return *fallback;
    return absl::InvalidArgumentError(
        absl::StrCat(source_, ": missing required field \"", prefix_, field, "\""));
  }
  // Ceilings are checked on the JSON value, before any cast: 2^63 and
  // 1e30 are reported as written, not wrapped.
  const int64_t max = MaxConfigValue(field);
  auto out_of_range = [&] {
    return Error(field, absl::StrCat("must be ", min == 1 ? "> 0" : ">= 0", " and <= ", max,
                                     ", got ", it->dump()));
  };
  int64_t v = 0;
  if (it->is_number_unsigned()) {
    const uint64_t u = it->get<uint64_t>();
    if (u > static_cast<uint64_t>(max)) return out_of_range();
    v = static_cast<int64_t>(u);
  } else if (it->is_number_integer()) {
    v = it->get<int64_t>();
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!(d >= -1e18 && d <= static_cast<double>(max))) return out_of_range();
    if (d != std::floor(d)) {
      return Error(field, absl::StrCat("must be an integer, got ", it->dump()));
    }
    v = static_cast<int64_t>(d);
  } else {
    return Error(field, absl::StrCat("must be an integer, got ", JsonTypeName(*it)));
  }
  if (v < min) {
    return Error(field, absl::StrCat("must be ", min == 1 ? "> 0" : ">= 0", ", got ", v));
  }
  if (v > max) return out_of_range();
  return v;
}

absl::StatusOr<bool> ConfigReader::Bool(absl::string_view field, bool fallback) const {
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) {
    return Error(field, absl::StrCat("must be true or false, got ", JsonTypeName(*it)));
  }
  return it->get<bool>();
}

absl::StatusOr<std::string> ConfigReader::String(absl::string_view field,
                                                 absl::string_view fallback) const {
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) return std::string(fallback);
  if (!it->is_string() || NonFiniteLiteral(*it) != nullptr) {
    return Error(field, absl::StrCat("must be a string, got ", JsonTypeName(*it)));
  }
  return it->get<std::string>();
}

absl::StatusOr<std::vector<int64_t>> ConfigReader::IntList(absl::string_view field) const {
  std::vector<int64_t> out;
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return Error(field, absl::StrCat("must be an array of integers, got ", JsonTypeName(*it)));
  }
  const int64_t max = MaxConfigValue(field);
  if (static_cast<int64_t>(it->size()) > max) {
    return Error(field, absl::StrCat("must hold at most ", max, " entries, got ", it->size()));
  }
  for (const Json& e : *it) {
    if (!e.is_number_integer() ||
        (e.is_number_unsigned() && e.get<uint64_t>() > static_cast<uint64_t>(max)) ||
        e.get<int64_t>() < 0 || e.get<int64_t>() > max) {
      return Error(field, absl::StrCat("must hold integers in [0, ", max, "], got ", e.dump()));
    }
    out.push_back(e.get<int64_t>());
  }
  return out;
}

absl::StatusOr<std::vector<std::string>> ConfigReader::StringList(absl::string_view field) const {
  std::vector<std::string> out;
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) return out;
  if (!it->is_array()) {
    return Error(field, absl::StrCat("must be an array of strings, got ", JsonTypeName(*it)));
  }
  const int64_t max = MaxConfigValue(field);
  if (static_cast<int64_t>(it->size()) > max) {
    return Error(field, absl::StrCat("must hold at most ", max, " entries, got ", it->size()));
  }
  for (const Json& e : *it) {
    if (!e.is_string()) {
      return Error(field, absl::StrCat("must hold strings, got ", JsonTypeName(e)));
    }
    out.push_back(e.get<std::string>());
  }
  return out;
}

absl::StatusOr<const Json*> ConfigReader::Object(absl::string_view field) const {
  auto it = obj_.find(std::string(field));
  if (it == obj_.end() || it->is_null()) return nullptr;
  if (!it->is_object()) {
    return Error(field, absl::StrCat("must be an object, got ", JsonTypeName(*it)));
  }
  return &*it;
}

ConfigReader ConfigReader::Nested(const Json& obj, absl::string_view field) const {
  return ConfigReader(obj, source_, absl::StrCat(prefix_, field, "."));
}

}  // namespace etchsim::model
