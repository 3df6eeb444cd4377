// LogHistogram: bounded-memory quantiles over non-negative integers.
//
// Serving metrics (inter-token latency above all) have one sample per token;
// at a million tokens per second a stored sample list would outgrow memory
// within a minute of virtual time. This histogram keeps 2048 linear buckets
// below 2048 and then 1024 buckets per power of two above, so any reported
// quantile is within 1/1024 (~0.1%) of a true sample value, and a quantile is
// always clipped to the observed [min, max]: a run where every sample is X
// reports exactly X. Count, sum, min and max are exact. Deterministic.
#ifndef ETCHSIM_BASE_HISTOGRAM_H_
#define ETCHSIM_BASE_HISTOGRAM_H_

#include <cstdint>
#include <vector>

namespace etchsim::base {

class LogHistogram {
 public:
  void Add(uint64_t value);
  // `n` samples of `value` at once (the same as n calls of Add(value)).
  void Add(uint64_t value, uint64_t n);
  void Merge(const LogHistogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  // Exact mean (sum kept in 128 bits); 0 when empty.
  double Mean() const;
  // Nearest-rank quantile, q in [0, 1]: the smallest bucket value v such that
  // at least ceil(q * count) samples are <= v. 0 when empty.
  uint64_t Quantile(double q) const;
  // Samples certainly greater than `v`: those in buckets whose every value
  // is > v (a lower bound on the true count; exact below 2048). If more
  // than count() - ceil(q * count()) samples are counted, Quantile(q) > v.
  uint64_t CountAbove(uint64_t v) const;
  // Exact sum of the samples, as a double; 0 when empty.
  double Sum() const { return static_cast<double>(sum_); }
  // For each of the ascending `bounds`, how many samples are <= it: the
  // cumulative `le` buckets of a Prometheus histogram. A bucket of this
  // histogram counts at a bound when the value Quantile would report for it
  // (its midpoint, clipped to [min, max]) is <= the bound, so the counts are
  // exact in the linear range and within the ~0.1% resolution above it.
  // REQUIRES: `bounds` ascending.
  std::vector<uint64_t> CumulativeCounts(const std::vector<uint64_t>& bounds) const;

  // Bucket index and inclusive value range, exposed for tests.
  static int BucketOf(uint64_t value);
  static uint64_t BucketLow(int bucket);
  static uint64_t BucketHigh(int bucket);

 private:
  std::vector<uint64_t> buckets_;
  uint64_t count_ = 0;
  unsigned __int128 sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_HISTOGRAM_H_
