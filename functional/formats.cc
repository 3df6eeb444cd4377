#include "functional/formats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"

namespace etchsim::functional {
namespace {

int32_t WeightToQ24(double v) {
  const double s = std::round(v * kWeightOne);
  return static_cast<int32_t>(std::clamp(s, -2147483647.0, 2147483647.0));
}

double AbsMax(const std::vector<float>& v, int64_t begin, int64_t end) {
  double m = 0;
  for (int64_t i = begin; i < end; ++i) m = std::max(m, std::fabs(static_cast<double>(v[i])));
  return m;
}

// The blocks of one row: [begin, end) runs of `block` inputs.
template <typename F>
void ForBlocks(int64_t rows, int64_t cols, int64_t block, F f) {
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; c += block) f(r * cols + c, r * cols + std::min(cols, c + block));
  }
}

void Fp8(const std::vector<float>& w, int64_t rows, int64_t cols, std::vector<double>& out) {
  constexpr int64_t kTile = 128;
  for (int64_t r0 = 0; r0 < rows; r0 += kTile) {
    for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
      const int64_t r1 = std::min(rows, r0 + kTile), c1 = std::min(cols, c0 + kTile);
      double amax = 0;
      for (int64_t r = r0; r < r1; ++r)
        amax = std::max(amax, AbsMax(w, r * cols + c0, r * cols + c1));
      const double scale = static_cast<float>(amax / 448.0);  // fp32 scale
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) {
          const int64_t i = r * cols + c;
          out[i] = scale == 0 ? 0 : RoundE4m3(w[i] / scale) * scale;
        }
      }
    }
  }
}

void Int4(const std::vector<float>& w, int64_t rows, int64_t cols, std::vector<double>& out) {
  ForBlocks(rows, cols, 128, [&](int64_t b, int64_t e) {
    const double lo = *std::min_element(w.begin() + b, w.begin() + e);
    const double hi = *std::max_element(w.begin() + b, w.begin() + e);
    const double scale = RoundFp16((hi - lo) / 15.0);
    if (scale == 0) {
      for (int64_t i = b; i < e; ++i) out[i] = RoundFp16(w[i]);
      return;
    }
    const double zero = RoundFp16(-lo / scale);
    for (int64_t i = b; i < e; ++i) {
      const double q = std::clamp(std::nearbyint(w[i] / scale + zero), 0.0, 15.0);
      out[i] = (q - zero) * scale;
    }
  });
}

// e2m1 elements under a per-block scale chosen by `scale_of(amax)`.
template <typename S>
void E2m1Blocks(const std::vector<float>& w, int64_t rows, int64_t cols, int64_t block, S scale_of,
                std::vector<double>& out) {
  ForBlocks(rows, cols, block, [&](int64_t b, int64_t e) {
    const double amax = AbsMax(w, b, e);
    const double scale = amax == 0 ? 0 : scale_of(amax);
    for (int64_t i = b; i < e; ++i) out[i] = scale == 0 ? 0 : RoundE2m1(w[i] / scale) * scale;
  });
}

void Hc1(const std::vector<float>& w, int64_t rows, int64_t cols, std::vector<double>& out) {
  constexpr int kOutliers = 8;
  ForBlocks(rows, cols, 64, [&](int64_t b, int64_t e) {
    std::vector<int64_t> idx(static_cast<size_t>(e - b));
    std::iota(idx.begin(), idx.end(), b);
    // Largest magnitudes first, lower index on ties: the outliers.
    std::stable_sort(idx.begin(), idx.end(),
                     [&](int64_t x, int64_t y) { return std::fabs(w[x]) > std::fabs(w[y]); });
    const size_t n_out = idx.size() * kOutliers / 64;  // 8 of 64; fewer in a short block
    const double base_max = n_out < idx.size() ? std::fabs(w[idx[n_out]]) : 0.0;
    const double amax = std::fabs(w[idx[0]]);
    const double ref = base_max > 0 ? base_max / 3.5 : amax / 31.0;
    if (ref == 0) {
      for (int64_t i = b; i < e; ++i) out[i] = 0;
      return;
    }
    const double scale = std::exp2(std::ceil(std::log2(ref)));  // E8M0
    for (size_t k = 0; k < idx.size(); ++k) {
      const int64_t i = idx[k];
      const double q = std::nearbyint(w[i] / scale);
      out[i] = (k < n_out ? std::clamp(q, -32.0, 31.0) : std::clamp(q, -4.0, 3.0)) * scale;
    }
  });
}

}  // namespace

const std::vector<std::string>& QuantFormats() {
  static const auto* f =
      new std::vector<std::string>{"bf16", "fp8", "int4", "fp4", "nvfp4", "hc1-3bit"};
  return *f;
}

absl::Status CheckQuantFormat(absl::string_view name) {
  for (const std::string& f : QuantFormats()) {
    if (f == name) return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown weight format \"", base::Excerpt(name),
                                                 "\" (known: ", absl::StrJoin(QuantFormats(), ", "),
                                                 ")"));
}

double RoundToFloat(double v, int mantissa_bits, int min_exp, double max_value) {
  if (v == 0 || !std::isfinite(v)) return std::isfinite(v) ? 0.0 : std::copysign(max_value, v);
  int e = 0;
  std::frexp(v, &e);  // |v| in [2^(e-1), 2^e)
  const int exp = std::max(e - 1, min_exp);
  const double step = std::ldexp(1.0, exp - mantissa_bits);
  const double q = std::nearbyint(v / step) * step;  // ties to even (default mode)
  return std::clamp(q, -max_value, max_value);
}

Matrix Quantize(absl::string_view format, const std::vector<float>& w, int64_t rows, int64_t cols) {
  std::vector<double> deq(w.size());
  if (format == "bf16") {
    for (size_t i = 0; i < w.size(); ++i) deq[i] = RoundBf16(w[i]);
  } else if (format == "fp8") {
    Fp8(w, rows, cols, deq);
  } else if (format == "int4") {
    Int4(w, rows, cols, deq);
  } else if (format == "fp4") {
    // OCP MX v1.0: shared exponent floor(log2(amax)) - emax(e2m1) = - 2.
    E2m1Blocks(
        w, rows, cols, 32, [](double amax) { return std::exp2(std::floor(std::log2(amax)) - 2); },
        deq);
  } else if (format == "nvfp4") {
    E2m1Blocks(
        w, rows, cols, 16, [](double amax) { return RoundE4m3(amax / 6.0); }, deq);
  } else {
    Hc1(w, rows, cols, deq);
  }
  Matrix m{rows, cols, std::vector<int32_t>(w.size())};
  for (size_t i = 0; i < w.size(); ++i) m.q24[i] = WeightToQ24(deq[i]);
  return m;
}

std::vector<int32_t> ToQ24(const std::vector<float>& values) {
  std::vector<int32_t> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) out[i] = WeightToQ24(values[i]);
  return out;
}

}  // namespace etchsim::functional
