// A safetensors reader and writer (https://huggingface.co/docs/safetensors):
// an 8-byte little-endian header length N, N bytes of JSON mapping each
// tensor name to {dtype, shape, data_offsets} (plus an optional
// "__metadata__" object of strings), then the raw little-endian data.
//
// The reader treats the bytes as hostile: the header length is checked
// against the file size before anything is allocated, every tensor's byte
// range must lie inside the data section and match dtype x shape, ranges
// may not overlap, and the data section must be covered exactly. Errors
// name the source and the tensor.
#ifndef ETCHSIM_FUNCTIONAL_SAFETENSORS_H_
#define ETCHSIM_FUNCTIONAL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etchsim::functional {

// Largest header and file we accept (tiny models are a few MiB).
inline constexpr int64_t kMaxSafetensorsHeaderBytes = int64_t{16} << 20;
inline constexpr int64_t kMaxSafetensorsBytes = int64_t{256} << 20;

struct Tensor {
  std::string dtype;           // "BF16", "F32", "F16", "I32", "U8"
  std::vector<int64_t> shape;  // empty = scalar
  std::string data;            // raw little-endian bytes

  int64_t elements() const;
  // Values as float (BF16, F16, F32 only).
  std::vector<float> ToFloat() const;
};

struct TensorFile {
  std::map<std::string, std::string> metadata;
  std::map<std::string, Tensor> tensors;
};

// Bytes per element of a dtype, or 0 when unknown.
int DtypeBytes(absl::string_view dtype);

// A BF16 tensor from float values (rounded to nearest even).
Tensor Bf16Tensor(const std::vector<float>& values, std::vector<int64_t> shape);

std::string SerializeSafetensors(const TensorFile& file);
absl::StatusOr<TensorFile> ParseSafetensors(absl::string_view bytes, absl::string_view source);
absl::StatusOr<TensorFile> ReadSafetensors(const std::string& path);
absl::Status WriteSafetensors(const std::string& path, const TensorFile& file);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_SAFETENSORS_H_
