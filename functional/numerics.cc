#include "functional/numerics.h"

#include <cmath>
#include <limits>

namespace etchsim::functional {

int32_t RoundShift(__int128 v, int shift) {
  const __int128 half = shift > 0 ? (static_cast<__int128>(1) << (shift - 1)) : 0;
  __int128 r = v >= 0 ? (v + half) >> shift : -((-v + half) >> shift);
  if (r > std::numeric_limits<int32_t>::max()) r = std::numeric_limits<int32_t>::max();
  if (r < std::numeric_limits<int32_t>::min()) r = std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(r);
}

int32_t ToAct(double v) {
  const double s = std::round(v * kActOne);  // half away from zero
  if (!(s < 2147483647.0)) return std::numeric_limits<int32_t>::max();
  if (!(s > -2147483648.0)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(s);
}

__int128 Dot(const int32_t* a, const int32_t* b, int64_t n) {
  __int128 acc = 0;
  for (int64_t i = 0; i < n; ++i) acc += static_cast<int64_t>(a[i]) * b[i];
  return acc;
}

Act MatVecBias(const Matrix& w, const std::vector<int32_t>& bias_q24, const Act& x) {
  Act y(static_cast<size_t>(w.rows));
  for (int64_t r = 0; r < w.rows; ++r) {
    __int128 acc = Dot(w.q24.data() + r * w.cols, x.data(), w.cols);
    if (!bias_q24.empty()) acc += static_cast<__int128>(bias_q24[r]) << kActFrac;
    y[r] = RoundShift(acc, kWeightFrac);
  }
  return y;
}

Act MatVec(const Matrix& w, const Act& x) { return MatVecBias(w, {}, x); }

Act RmsNorm(const Act& x, const std::vector<int32_t>& gain_q24, double eps) {
  const __int128 ss = Dot(x.data(), x.data(), static_cast<int64_t>(x.size()));
  const double mean = static_cast<double>(ss) / (kActOne * kActOne) / static_cast<double>(x.size());
  const double inv = 1.0 / std::sqrt(mean + eps);
  Act y(x.size());
  for (size_t i = 0; i < x.size(); ++i) {
    y[i] = ToAct(FromAct(x[i]) * inv * (static_cast<double>(gain_q24[i]) / kWeightOne));
  }
  return y;
}

void ApplyRope(Act& x, int64_t offset, int64_t dims, int64_t position, double theta) {
  const int64_t half = dims / 2;
  for (int64_t i = 0; i < half; ++i) {
    const double freq = std::pow(theta, -2.0 * static_cast<double>(i) / static_cast<double>(dims));
    const double angle = static_cast<double>(position) * freq;
    const double c = std::cos(angle), s = std::sin(angle);
    const double a = FromAct(x[offset + i]), b = FromAct(x[offset + i + half]);
    x[offset + i] = ToAct(a * c - b * s);
    x[offset + i + half] = ToAct(b * c + a * s);
  }
}

Act SiluMul(const Act& gate, const Act& up) {
  Act y(gate.size());
  for (size_t i = 0; i < gate.size(); ++i) {
    const double g = FromAct(gate[i]);
    const int32_t act = ToAct(g / (1.0 + std::exp(-g)));
    y[i] = RoundShift(static_cast<int64_t>(act) * up[i], kActFrac);
  }
  return y;
}

int ArgMax(const std::vector<int32_t>& v) {
  int best = 0;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] > v[best]) best = static_cast<int>(i);
  }
  return best;
}

}  // namespace etchsim::functional
