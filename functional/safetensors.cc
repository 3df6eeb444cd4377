#include "functional/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "nlohmann/json.hpp"

namespace etchsim::functional {
namespace {

using Json = nlohmann::json;

uint16_t FloatToBf16Bits(float f) {
  uint32_t u = 0;
  std::memcpy(&u, &f, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return 0x7fc0;  // NaN
  const uint32_t round = 0x7fffu + ((u >> 16) & 1u);   // nearest, ties to even
  return static_cast<uint16_t>((u + round) >> 16);
}

float HalfToFloat(uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  float v = exp == 0    ? std::ldexp(static_cast<float>(mant), -24)
            : exp == 31 ? std::numeric_limits<float>::infinity()
                        : std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  return (h & 0x8000) ? -v : v;
}

absl::Status Bad(absl::string_view source, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(source, ": ", what));
}

}  // namespace

int DtypeBytes(absl::string_view d) {
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "BF16" || d == "F16" || d == "I16") return 2;
  if (d == "U8" || d == "I8" || d == "BOOL" || d == "F8_E4M3") return 1;
  if (d == "F64" || d == "I64") return 8;
  return 0;
}

int64_t Tensor::elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::vector<float> Tensor::ToFloat() const {
  const int64_t n = elements();
  std::vector<float> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    if (dtype == "F32") {
      std::memcpy(&out[i], data.data() + 4 * i, 4);
    } else {
      uint16_t h = 0;
      std::memcpy(&h, data.data() + 2 * i, 2);
      if (dtype == "BF16") {
        const uint32_t u = static_cast<uint32_t>(h) << 16;
        std::memcpy(&out[i], &u, 4);
      } else {
        out[i] = HalfToFloat(h);
      }
    }
  }
  return out;
}

Tensor Bf16Tensor(const std::vector<float>& values, std::vector<int64_t> shape) {
  Tensor t{"BF16", std::move(shape), std::string(values.size() * 2, '\0')};
  for (size_t i = 0; i < values.size(); ++i) {
    const uint16_t b = FloatToBf16Bits(values[i]);
    std::memcpy(t.data.data() + 2 * i, &b, 2);
  }
  return t;
}

std::string SerializeSafetensors(const TensorFile& file) {
  Json header = Json::object();
  if (!file.metadata.empty()) header["__metadata__"] = file.metadata;
  int64_t offset = 0;
  for (const auto& [name, t] : file.tensors) {
    const int64_t end = offset + static_cast<int64_t>(t.data.size());
    header[name] = {{"dtype", t.dtype}, {"shape", t.shape}, {"data_offsets", {offset, end}}};
    offset = end;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // align the data to 8 bytes
  std::string out(8, '\0');
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += text;
  for (const auto& [name, t] : file.tensors) out += t.data;
  return out;
}

absl::StatusOr<TensorFile> ParseSafetensors(absl::string_view bytes, absl::string_view source) {
  if (bytes.size() < 8) {
    return Bad(source, absl::StrCat("safetensors file of ", bytes.size(),
                                    " bytes is shorter than its 8-byte header length"));
  }
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= static_cast<uint64_t>(static_cast<uint8_t>(bytes[i])) << (8 * i);
  const uint64_t rest = bytes.size() - 8;
  if (n > rest || n > static_cast<uint64_t>(kMaxSafetensorsHeaderBytes)) {
    return Bad(source, absl::StrCat("safetensors header length ", n, " exceeds the ", rest,
                                    " bytes that follow it (or the ", kMaxSafetensorsHeaderBytes,
                                    "-byte limit)"));
  }
  const Json header = Json::parse(bytes.substr(8, n), nullptr, /*allow_exceptions=*/false);
  if (!header.is_object()) return Bad(source, "safetensors header is not a JSON object");
  const absl::string_view data = bytes.substr(8 + n);
  TensorFile out;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, v] : header.items()) {
    if (name == "__metadata__") {
      if (!v.is_object()) return Bad(source, "safetensors \"__metadata__\" is not an object");
      for (const auto& [k, s] : v.items()) {
        if (!s.is_string())
          return Bad(source, absl::StrCat("__metadata__ \"", k, "\" not a string"));
        out.metadata[k] = s.get<std::string>();
      }
      continue;
    }
    const std::string where = absl::StrCat("tensor \"", name, "\"");
    if (!v.is_object() || !v.contains("dtype") || !v.contains("shape") ||
        !v.contains("data_offsets") || !v["dtype"].is_string() || !v["shape"].is_array() ||
        !v["data_offsets"].is_array() || v["data_offsets"].size() != 2) {
      return Bad(source,
                 absl::StrCat(where, " needs \"dtype\", \"shape\" and two \"data_offsets\""));
    }
    Tensor t;
    t.dtype = v["dtype"].get<std::string>();
    const int width = DtypeBytes(t.dtype);
    if (width == 0) return Bad(source, absl::StrCat(where, ": unknown dtype \"", t.dtype, "\""));
    uint64_t elements = 1;
    for (const Json& d : v["shape"]) {
      if (!d.is_number_unsigned() || d.get<uint64_t>() > (uint64_t{1} << 40)) {
        return Bad(source, absl::StrCat(where, ": shape entries must be integers in [0, 2^40]"));
      }
      const uint64_t dim = d.get<uint64_t>();
      if (dim != 0 && elements > (uint64_t{1} << 40) / dim) {
        return Bad(source, absl::StrCat(where, ": more than 2^40 elements"));
      }
      elements *= dim;
      t.shape.push_back(static_cast<int64_t>(d.get<uint64_t>()));
    }
    const Json& off = v["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned()) {
      return Bad(source, absl::StrCat(where, ": data_offsets must be non-negative integers"));
    }
    const uint64_t b = off[0].get<uint64_t>(), e = off[1].get<uint64_t>();
    if (b > e || e > data.size()) {
      return Bad(source, absl::StrCat(where, ": data_offsets [", b, ", ", e,
                                      "] lie outside the data section of ", data.size(), " bytes"));
    }
    if (e - b != elements * width) {
      return Bad(source, absl::StrCat(where, ": ", e - b, " bytes of data for ", elements, " ",
                                      t.dtype, " elements (", elements * width, " bytes)"));
    }
    t.data = std::string(data.substr(b, e - b));
    ranges.push_back({b, e});
    out.tensors[name] = std::move(t);
  }
  std::sort(ranges.begin(), ranges.end());
  uint64_t covered = 0;
  for (const auto& [b, e] : ranges) {
    if (b != covered) {
      return Bad(source, absl::StrCat("safetensors data ", b < covered ? "overlaps" : "has a hole",
                                      " at byte ", std::min(b, covered)));
    }
    covered = e;
  }
  if (covered != data.size()) {
    return Bad(source, absl::StrCat("safetensors data section has ", data.size() - covered,
                                    " bytes no tensor uses"));
  }
  return out;
}

absl::StatusOr<TensorFile> ReadSafetensors(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, base::ReadFile(path, kMaxSafetensorsBytes));
  return ParseSafetensors(bytes, path);
}

absl::Status WriteSafetensors(const std::string& path, const TensorFile& file) {
  return base::WriteFileAtomically(path, SerializeSafetensors(file));
}

}  // namespace etchsim::functional
