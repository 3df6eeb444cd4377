#include "functional/formats.h"

#include <cmath>
#include <set>

#include "base/rng.h"
#include "gtest/gtest.h"

namespace etchsim::functional {
namespace {

TEST(RoundToFloat, E2m1HasExactlyItsEightMagnitudes) {
  std::set<double> seen;
  for (double v = -7; v <= 7; v += 0.01) seen.insert(std::fabs(RoundE2m1(v)));
  EXPECT_EQ(seen, (std::set<double>{0, 0.5, 1, 1.5, 2, 3, 4, 6}));
}

TEST(RoundToFloat, TiesToEvenAndSaturation) {
  EXPECT_EQ(RoundE2m1(2.5), 2.0);  // between 2 and 3: even mantissa
  EXPECT_EQ(RoundE2m1(3.5), 4.0);
  EXPECT_EQ(RoundE4m3(1000.0), 448.0);
  EXPECT_EQ(RoundE4m3(-1000.0), -448.0);
  EXPECT_EQ(RoundBf16(1.0 + 1.0 / 256), 1.0);  // halfway: ties to even
  EXPECT_EQ(RoundBf16(1.0 + 3.0 / 256), 1.0 + 2.0 / 128);
  EXPECT_EQ(RoundFp16(65536.0 * 4), 65504.0);
  EXPECT_EQ(RoundE4m3(std::ldexp(1.0, -9)), std::ldexp(1.0, -9));  // smallest subnormal
}

std::vector<float> Gaussian(int n, double sd) {
  base::Rng rng(7, 1);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(sd * rng.Normal());
  return v;
}

double RmsError(const Matrix& m, const std::vector<float>& w) {
  double se = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    const double d = m.q24[i] / kWeightOne - w[i];
    se += d * d;
  }
  return std::sqrt(se / static_cast<double>(w.size()));
}

// Error falls with bits: bf16 < fp8 < 4-bit formats < hc1 (3.5 bits), and
// every format is far better than no information (the sd itself).
TEST(Quantize, ErrorOrderFollowsBits) {
  const std::vector<float> w = Gaussian(256 * 128, 0.05);
  const double bf16 = RmsError(Quantize("bf16", w, 256, 128), w);
  const double fp8 = RmsError(Quantize("fp8", w, 256, 128), w);
  const double fp4 = RmsError(Quantize("fp4", w, 256, 128), w);
  const double nvfp4 = RmsError(Quantize("nvfp4", w, 256, 128), w);
  const double int4 = RmsError(Quantize("int4", w, 256, 128), w);
  const double hc1 = RmsError(Quantize("hc1-3bit", w, 256, 128), w);
  EXPECT_LT(bf16, fp8);
  EXPECT_LT(fp8, fp4);
  EXPECT_LT(fp8, int4);
  EXPECT_LT(nvfp4, fp4);  // finer blocks, finer scale
  EXPECT_LT(fp4, hc1 * 1.5);
  EXPECT_LT(hc1, 0.05 * 0.5);
  EXPECT_GT(hc1, fp8);
}

TEST(Quantize, Mxfp4ValuesAreE2m1TimesAPowerOfTwoPerBlock) {
  const std::vector<float> w = Gaussian(64, 0.05);
  const Matrix m = Quantize("fp4", w, 1, 64);
  for (int b = 0; b < 2; ++b) {
    double amax = 0;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(double{w[b * 32 + i]}));
    const double scale = std::exp2(std::floor(std::log2(amax)) - 2);
    for (int i = 0; i < 32; ++i) {
      const double q = m.q24[b * 32 + i] / kWeightOne / scale;
      EXPECT_EQ(RoundE2m1(q), q) << i;
    }
  }
}

TEST(Quantize, Hc1KeepsEightOutliersPerSixtyFour) {
  std::vector<float> w = Gaussian(64, 0.05);
  w[10] = 0.9f;  // a large outlier survives at 6 bits
  const Matrix m = Quantize("hc1-3bit", w, 1, 64);
  EXPECT_NEAR(m.q24[10] / kWeightOne, 0.9, 0.05);
  std::set<int32_t> levels;
  for (int32_t q : m.q24) levels.insert(q);
  EXPECT_LE(levels.size(), 8u + 8u);  // 3-bit codes + at most 8 outliers
}

TEST(Quantize, UnknownFormatIsNamed) {
  EXPECT_FALSE(CheckQuantFormat("fp3").ok());
  EXPECT_TRUE(CheckQuantFormat("hc1-3bit").ok());
}

}  // namespace
}  // namespace etchsim::functional
