#include "base/histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace etchsim::base {
namespace {
constexpr int kLinear = 2048;  // exact buckets for [0, 2048)
constexpr int kSub = 1024;     // buckets per power of two above that
}  // namespace

int LogHistogram::BucketOf(uint64_t v) {
  if (v < static_cast<uint64_t>(kLinear)) return static_cast<int>(v);
  const int msb = 63 - std::countl_zero(v);  // >= 11
  const int shift = msb - 10;                // top 11 bits: [1024, 2048)
  const uint64_t top = v >> shift;
  return kLinear + (shift - 1) * kSub + static_cast<int>(top - kSub);
}

uint64_t LogHistogram::BucketLow(int b) {
  if (b < kLinear) return static_cast<uint64_t>(b);
  const int shift = (b - kLinear) / kSub + 1;
  const uint64_t top = static_cast<uint64_t>((b - kLinear) % kSub + kSub);
  return top << shift;
}

uint64_t LogHistogram::BucketHigh(int b) {
  if (b < kLinear) return static_cast<uint64_t>(b);
  const int shift = (b - kLinear) / kSub + 1;
  const uint64_t top = static_cast<uint64_t>((b - kLinear) % kSub + kSub);
  // For the very last bucket (top = 2047, shift = 53) this is 2^64 - 1.
  return ((top + 1) << shift) - 1;
}

void LogHistogram::Add(uint64_t v) { Add(v, 1); }

void LogHistogram::Add(uint64_t v, uint64_t n) {
  if (n == 0) return;
  const int b = BucketOf(v);
  if (static_cast<size_t>(b) >= buckets_.size()) buckets_.resize(b + 1, 0);
  buckets_[b] += n;
  count_ += n;
  sum_ += static_cast<decltype(sum_)>(v) * n;
  min_ = std::min(min_, v);
  max_ = std::max(max_, v);
}

void LogHistogram::Merge(const LogHistogram& o) {
  if (o.buckets_.size() > buckets_.size()) buckets_.resize(o.buckets_.size());
  for (size_t i = 0; i < o.buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
  count_ += o.count_;
  sum_ += o.sum_;
  min_ = std::min(min_, o.min_);
  max_ = std::max(max_, o.max_);
}

double LogHistogram::Mean() const {
  if (count_ == 0) return 0.0;
  return static_cast<double>(sum_) / static_cast<double>(count_);
}

uint64_t LogHistogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    seen += buckets_[b];
    if (seen >= rank) {
      // Midpoint of the bucket, clipped to what was observed.
      const uint64_t lo = BucketLow(static_cast<int>(b));
      const uint64_t hi = BucketHigh(static_cast<int>(b));
      const uint64_t mid = lo + (hi - lo) / 2;
      return std::clamp(mid, min_, max_);
    }
  }
  return max_;
}

uint64_t LogHistogram::CountAbove(uint64_t v) const {
  uint64_t n = 0;
  for (size_t b = buckets_.size(); b-- > 0;) {
    if (BucketLow(static_cast<int>(b)) <= v) break;
    n += buckets_[b];
  }
  return n;
}

std::vector<uint64_t> LogHistogram::CumulativeCounts(const std::vector<uint64_t>& bounds) const {
  std::vector<uint64_t> out(bounds.size(), 0);
  size_t i = 0;  // first bound not yet passed
  uint64_t seen = 0;
  for (size_t b = 0; b < buckets_.size() && i < bounds.size(); ++b) {
    if (buckets_[b] == 0) continue;
    const uint64_t lo = BucketLow(static_cast<int>(b));
    const uint64_t hi = BucketHigh(static_cast<int>(b));
    const uint64_t v = std::clamp(lo + (hi - lo) / 2, min_, max_);
    for (; i < bounds.size() && bounds[i] < v; ++i) out[i] = seen;
    seen += buckets_[b];
  }
  for (; i < bounds.size(); ++i) out[i] = seen;
  return out;
}

}  // namespace etchsim::base
