// Chip weight formats, exactly: a matrix of master weights (BF16 values)
// is quantized to a format's codes and block scales and dequantized to the
// Q24 integers the functional datapath multiplies with. Each format follows
// the layout model/weight_format.cc counts (docs/functional.md gives the
// rounding rules): bf16; fp8 = e4m3 with an fp32 scale per 128x128 block;
// int4 = 4-bit unsigned codes with an fp16 scale and fp16 zero per group of
// 128 inputs; fp4 = OCP MXFP4 (e2m1, E8M0 scale per 32); nvfp4 = e2m1 with
// an e4m3 scale per 16; hc1-3bit = per 64 weights one E8M0 scale, the 8
// largest magnitudes as 6-bit signed outliers and the other 56 as 3-bit
// signed codes (our reading of Taalas' "3-bit base + 6-bit parameters").
#ifndef ETCHSIM_FUNCTIONAL_FORMATS_H_
#define ETCHSIM_FUNCTIONAL_FORMATS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "functional/numerics.h"

namespace etchsim::functional {

// Formats functional mode can quantize to (every model::AllWeightFormats name).
const std::vector<std::string>& QuantFormats();
absl::Status CheckQuantFormat(absl::string_view name);

// Rounds to a binary float with `mantissa_bits` stored bits, smallest
// normal exponent `min_exp` (subnormals below), saturating at +-max_value;
// round to nearest, ties to even.
double RoundToFloat(double v, int mantissa_bits, int min_exp, double max_value);
inline double RoundBf16(double v) { return RoundToFloat(v, 7, -126, 3.3895313892515355e38); }
inline double RoundFp16(double v) { return RoundToFloat(v, 10, -14, 65504.0); }
inline double RoundE4m3(double v) { return RoundToFloat(v, 3, -6, 448.0); }
inline double RoundE2m1(double v) { return RoundToFloat(v, 1, 0, 6.0); }

// Quantizes a row-major [rows][cols] matrix; blocks run along a row (the
// input dimension), fp8's blocks are 128x128 tiles.
// REQUIRES: CheckQuantFormat(format) is OK, values.size() == rows * cols.
Matrix Quantize(absl::string_view format, const std::vector<float>& values, int64_t rows,
                int64_t cols);

// A 1-D tensor (norm gains, biases) kept at its master precision, as Q24.
std::vector<int32_t> ToQ24(const std::vector<float>& values);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_FORMATS_H_
