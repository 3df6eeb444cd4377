// SimTime: virtual time as an integer count of picoseconds.
//
// Integer time (as in ns-3's Time and SST's SimTime_t) gives exact ties and
// no floating-point drift, which is what makes runs reproducible bit for bit.
// An int64 of picoseconds spans about 106 days of virtual time.
#ifndef ETCHSIM_BASE_SIM_TIME_H_
#define ETCHSIM_BASE_SIM_TIME_H_

#include <cmath>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>

namespace etchsim::base {

class SimTime {
 public:
  constexpr SimTime() = default;

  static constexpr SimTime Picos(int64_t ps) { return SimTime(ps); }
  static constexpr SimTime Nanos(int64_t ns) { return SimTime(ns * 1000); }
  static constexpr SimTime Micros(int64_t us) { return SimTime(us * 1000 * 1000); }
  static constexpr SimTime Millis(int64_t ms) { return SimTime(ms * 1000 * 1000 * 1000); }
  static constexpr SimTime Seconds(int64_t s) { return SimTime(s * 1000 * 1000 * 1000 * 1000); }
  // Rounds to the nearest picosecond. Used where a duration comes from a
  // physical law in floating point (bytes / bandwidth); the rounding happens
  // once, at the edge, so the engine itself only ever adds integers.
  static SimTime FromSeconds(double s) { return SimTime(Round(s * 1e12)); }
  static SimTime FromNanos(double ns) { return SimTime(Round(ns * 1e3)); }
  static constexpr SimTime Zero() { return SimTime(0); }
  static constexpr SimTime Max() { return SimTime(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t picos() const { return ps_; }
  constexpr double ToSeconds() const { return static_cast<double>(ps_) * 1e-12; }
  constexpr double ToNanos() const { return static_cast<double>(ps_) * 1e-3; }
  constexpr double ToMicros() const { return static_cast<double>(ps_) * 1e-6; }

  constexpr SimTime operator+(SimTime o) const { return SimTime(ps_ + o.ps_); }
  constexpr SimTime operator-(SimTime o) const { return SimTime(ps_ - o.ps_); }
  constexpr SimTime& operator+=(SimTime o) {
    ps_ += o.ps_;
    return *this;
  }
  constexpr SimTime& operator-=(SimTime o) {
    ps_ -= o.ps_;
    return *this;
  }
  constexpr SimTime operator*(int64_t k) const { return SimTime(ps_ * k); }
  constexpr auto operator<=>(const SimTime&) const = default;

  // Saturating add for "time + lookahead" promises near Max().
  constexpr SimTime SaturatingAdd(SimTime o) const {
    if (o.ps_ > 0 && ps_ > std::numeric_limits<int64_t>::max() - o.ps_) {
      return Max();
    }
    return SimTime(ps_ + o.ps_);
  }

  std::string ToString() const;  // "12.345us", for logs and errors

 private:
  constexpr explicit SimTime(int64_t ps) : ps_(ps) {}
  // Round half away from zero, as std::llround, without the libm call (it
  // is on the engine's hot path). A value beyond the clock's range (about
  // 106 days) saturates to +/-Max instead of overflowing the conversion
  // (undefined behaviour); NaN reads as Max. Callers that take a duration
  // from user numbers bound it first (Simulation refuses a step past an
  // hour); the saturation keeps a missed bound defined.
  static constexpr int64_t Round(double x) {
    constexpr double kLimit = 9223372036854775807.0;  // 2^63 as a double
    if (x >= 0) return x + 0.5 < kLimit ? static_cast<int64_t>(x + 0.5) : kMaxPs;
    if (x < 0) return -x + 0.5 < kLimit ? -static_cast<int64_t>(-x + 0.5) : -kMaxPs;
    return kMaxPs;  // NaN
  }
  static constexpr int64_t kMaxPs = std::numeric_limits<int64_t>::max();
  int64_t ps_ = 0;
};

constexpr SimTime Max(SimTime a, SimTime b) { return a < b ? b : a; }
constexpr SimTime Min(SimTime a, SimTime b) { return a < b ? a : b; }

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_SIM_TIME_H_
