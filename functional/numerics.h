// Fixed-point numerics of functional mode (docs/functional.md).
//
// Activations are Q16 integers (value x 2^16 in an int32); weights, once
// quantized to a chip format and dequantized, are Q24 integers. A matrix
// product accumulates exact int64 products in __int128 and rounds once
// (half away from zero) to Q16, so it does not depend on summation order,
// thread count or which process holds which rows. Non-linear functions
// (rsqrt, exp, SiLU, sigmoid, rope angles) are evaluated in IEEE double
// from integer inputs, in one fixed order on one chip, and rounded back to
// Q16; the library is built with -ffp-contract=off so no fused
// multiply-add changes a rounding.
#ifndef ETCHSIM_FUNCTIONAL_NUMERICS_H_
#define ETCHSIM_FUNCTIONAL_NUMERICS_H_

#include <cstdint>
#include <vector>

namespace etchsim::functional {

inline constexpr int kActFrac = 16;     // activation fraction bits
inline constexpr int kWeightFrac = 24;  // dequantized weight fraction bits
inline constexpr double kActOne = 65536.0;
inline constexpr double kWeightOne = 16777216.0;

using Act = std::vector<int32_t>;

// Rounds `v / 2^shift` half away from zero and saturates to int32.
int32_t RoundShift(__int128 v, int shift);
// Rounds a double to the nearest Q16 (half away from zero), saturating.
int32_t ToAct(double v);
inline double FromAct(int32_t v) { return static_cast<double>(v) / kActOne; }

// A dense matrix of dequantized weights, row-major [rows = out][cols = in],
// as Hugging Face stores nn.Linear weights.
struct Matrix {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<int32_t> q24;  // rows * cols
};

// y = W x, one exact dot product per row, rounded to Q16.
Act MatVec(const Matrix& w, const Act& x);
// The same with a Q24 bias vector added before rounding.
Act MatVecBias(const Matrix& w, const std::vector<int32_t>& bias_q24, const Act& x);
// RMSNorm with Q24 gains: sum of squares exact, one rsqrt in double.
Act RmsNorm(const Act& x, const std::vector<int32_t>& gain_q24, double eps);
// In-place rotary embedding (GPT-NeoX / HF "rotate_half" layout) on
// `dims` values starting at `offset`.
void ApplyRope(Act& x, int64_t offset, int64_t dims, int64_t position, double theta);
// silu(gate) * up, elementwise.
Act SiluMul(const Act& gate, const Act& up);
// Exact int64 dot product of two Q16 vectors (a Q32 value).
__int128 Dot(const int32_t* a, const int32_t* b, int64_t n);
// Index of the largest value, lowest index on ties.
int ArgMax(const std::vector<int32_t>& v);

}  // namespace etchsim::functional

#endif  // ETCHSIM_FUNCTIONAL_NUMERICS_H_
