// Statistics over a measurement window [window_start, end), where `end` may
// only be known after some LPs have run past it (the host stops the run
// when the last measured request completes, while in distributed mode other
// processes may already be ahead). Records are kept until Compact(horizon)
// says no earlier event can arrive, then folded; Finalize(end) folds the
// rest clipped to `end`. All arithmetic is in integer picoseconds, so the
// result is exact and independent of how often Compact ran.
#ifndef ETCHSIM_SERVING_TIME_STATS_H_
#define ETCHSIM_SERVING_TIME_STATS_H_

#include <algorithm>
#include <cstdint>
#include <utility>

#include "base/ring_buffer.h"
#include "base/sim_time.h"

namespace etchsim::serving {

using base::SimTime;

// Total length of non-overlapping intervals added in non-decreasing order
// (a server's or a link's busy periods).
class IntervalStat {
 public:
  explicit IntervalStat(SimTime window_start = SimTime::Zero()) : w0_(window_start.picos()) {}
  void Add(SimTime start, SimTime end) {
    if (end > start) pending_.push_back({start.picos(), end.picos()});
  }
  void Compact(SimTime horizon) {
    const int64_t h = horizon.picos();
    while (!pending_.empty() && pending_.front().first < h) {
      auto& [s, e] = pending_.front();
      Fold(s, std::min(e, h));
      if (e > h) {
        s = h;
        break;
      }
      pending_.pop_front();
    }
  }
  // Busy picoseconds in [window_start, end).
  int64_t Finalize(SimTime end) {
    const int64_t t = end.picos();
    for (size_t i = 0; i < pending_.size(); ++i) {
      Fold(pending_[i].first, std::min(pending_[i].second, t));
    }
    pending_.clear();
    return folded_;
  }

 private:
  void Fold(int64_t s, int64_t e) {
    s = std::max(s, w0_);
    if (e > s) folded_ += e - s;
  }
  int64_t w0_;
  int64_t folded_ = 0;
  base::RingBuffer<std::pair<int64_t, int64_t>> pending_;
};

// Sum of amounts recorded at instants in [window_start, end).
class CountStat {
 public:
  explicit CountStat(SimTime window_start = SimTime::Zero()) : w0_(window_start.picos()) {}
  void Add(SimTime at, int64_t amount) {
    if (amount != 0) pending_.push_back({at.picos(), amount});
  }
  void Compact(SimTime horizon) {
    while (!pending_.empty() && pending_.front().first < horizon.picos()) {
      if (pending_.front().first >= w0_) folded_ += pending_.front().second;
      pending_.pop_front();
    }
  }
  int64_t Finalize(SimTime end) {
    for (size_t i = 0; i < pending_.size(); ++i) {
      const auto [t, a] = pending_[i];
      if (t >= w0_ && t < end.picos()) folded_ += a;
    }
    pending_.clear();
    return folded_;
  }

 private:
  int64_t w0_;
  int64_t folded_ = 0;
  base::RingBuffer<std::pair<int64_t, int64_t>> pending_;
};

// Busy intervals that each carry an amount counted at their start (a link's
// transmissions and their bytes, a stage's work items and their tokens):
// one record per interval instead of an IntervalStat plus CountStats.
class WorkStat {
 public:
  explicit WorkStat(SimTime window_start = SimTime::Zero()) : w0_(window_start.picos()) {}
  void Add(SimTime start, SimTime end, int64_t amount) {
    pending_.push_back({start.picos(), end.picos(), amount, false});
  }
  void Compact(SimTime horizon) {
    const int64_t h = horizon.picos();
    while (!pending_.empty() && pending_.front().start < h) {
      Record& r = pending_.front();
      Count(r);
      FoldBusy(r.start, std::min(r.end, h));
      if (r.end > h) {  // keep the rest of the interval
        r.start = h;
        break;
      }
      pending_.pop_front();
    }
  }
  struct Result {
    int64_t busy_ps = 0;
    int64_t amount = 0;
    int64_t items = 0;
  };
  Result Finalize(SimTime end) {
    const int64_t t = end.picos();
    for (size_t i = 0; i < pending_.size(); ++i) {
      Record& r = pending_[i];
      if (r.start < t) Count(r);
      FoldBusy(r.start, std::min(r.end, t));
    }
    pending_.clear();
    return {busy_, amount_, items_};
  }

 private:
  struct Record {
    int64_t start, end, amount;
    bool counted;  // amount already folded (the record was split)
  };
  void Count(Record& r) {
    if (r.counted) return;
    r.counted = true;
    if (r.start >= w0_) {
      amount_ += r.amount;
      ++items_;
    }
  }
  void FoldBusy(int64_t s, int64_t e) {
    s = std::max(s, w0_);
    if (e > s) busy_ += e - s;
  }
  int64_t w0_;
  int64_t busy_ = 0, amount_ = 0, items_ = 0;
  base::RingBuffer<Record> pending_;
};

// A piecewise-constant level (KV bytes held): time-weighted integral and
// peak over the window. Changes must come in non-decreasing time order; a
// level counts toward the peak only if it holds for a positive time.
class LevelStat {
 public:
  explicit LevelStat(SimTime window_start = SimTime::Zero()) : w0_(window_start.picos()) {}
  void Set(SimTime at, int64_t level) { pending_.push_back({at.picos(), level}); }
  void Compact(SimTime horizon) {
    while (!pending_.empty() && pending_.front().first < horizon.picos()) {
      Apply(pending_.front().first, pending_.front().second);
      pending_.pop_front();
    }
  }
  struct Result {
    __int128 integral = 0;  // level x picoseconds
    int64_t peak = 0;
  };
  Result Finalize(SimTime end) {
    const int64_t t = end.picos();
    for (size_t i = 0; i < pending_.size(); ++i) {
      const auto [at, level] = pending_[i];
      if (at >= t) break;
      Apply(at, level);
    }
    pending_.clear();
    Span(t);
    return {integral_, peak_};
  }

 private:
  void Span(int64_t until) {
    const int64_t a = std::max(cur_time_, w0_);
    if (until > a) {
      integral_ += static_cast<__int128>(level_) * (until - a);
      peak_ = std::max(peak_, level_);
    }
  }
  void Apply(int64_t at, int64_t level) {
    Span(at);
    level_ = level;
    cur_time_ = std::max(cur_time_, at);
  }
  int64_t w0_;
  int64_t cur_time_ = 0;
  int64_t level_ = 0;
  __int128 integral_ = 0;
  int64_t peak_ = 0;
  base::RingBuffer<std::pair<int64_t, int64_t>> pending_;
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_TIME_STATS_H_
