// Deterministic random streams.
//
// Every stream is seeded from (scenario seed, entity id), so adding an entity
// or reordering work never perturbs another entity's draws. Distributions are
// implemented here rather than with <random>'s, whose algorithms differ
// between standard libraries; with these, a seed gives the same numbers on
// every build of etchsim.
#ifndef ETCHSIM_BASE_RNG_H_
#define ETCHSIM_BASE_RNG_H_

#include <cstdint>
#include <initializer_list>

namespace etchsim::base {

// SplitMix64 finaliser: a bijective 64-bit mix with good avalanche.
constexpr uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// Order-sensitive hash of a few integers; used for counter-based draws such
// as "which experts does token t of request r pick in layer l", which must
// not depend on which process simulates the layer.
uint64_t HashOf(std::initializer_list<uint64_t> parts);

// Uniform double in [0, 1) from a 64-bit hash (53 random mantissa bits).
constexpr double ToUnit(uint64_t h) {
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

// xoshiro256** generator seeded through SplitMix64.
class Rng {
 public:
  Rng(uint64_t seed, uint64_t stream);

  uint64_t Next();
  double Uniform01();                          // [0, 1)
  int64_t UniformInt(int64_t lo, int64_t hi);  // [lo, hi], unbiased
  double Exponential(double mean);
  double Normal();  // standard normal, Box-Muller
  double LogNormal(double mu, double sigma);

 private:
  uint64_t s_[4];
  bool has_spare_ = false;
  double spare_ = 0.0;
};

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_RNG_H_
