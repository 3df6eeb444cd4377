#include "serving/kv_budget.h"

#include <algorithm>
#include <limits>
#include <map>

#include "absl/strings/str_cat.h"
#include "base/text_table.h"

namespace etchsim::serving {

int64_t KvBudget::Pool::Need(int64_t length) const {
  int64_t bytes = full_per_token * length;
  for (const auto& [window, per] : windows) bytes += per * std::min(length, window);
  if (fixed > 0 && length > 0) bytes += fixed;
  return bytes;
}

KvBudget KvBudget::Build(const model::ModelSpec& model, const v1::Plan& plan,
                         const std::vector<int64_t>& capacity_bytes, model::KvDtype dtype) {
  KvBudget b;
  b.capacity_tokens_ = std::numeric_limits<int64_t>::max();
  for (const v1::ChipShard& shard : plan.chips()) {
    int64_t state = 0;
    for (const v1::LayerSlice& sl : shard.layers()) {
      if (sl.core()) state += model.layers[sl.layer()].state_bytes;
    }
    if (shard.kv_bytes_per_token() <= 0 && state == 0) continue;
    const int64_t cap = capacity_bytes[shard.index()];
    const int64_t tokens = shard.kv_bytes_per_token() > 0
                               ? std::max<int64_t>(0, cap - state) / shard.kv_bytes_per_token()
                               : std::numeric_limits<int64_t>::max();
    if (tokens < b.capacity_tokens_) {
      b.capacity_tokens_ = tokens;
      b.limiter_ = absl::StrCat("stage ", shard.index(), ": ",
                                base::HumanBytes(static_cast<double>(cap)), " of KV memory at ",
                                base::WithCommas(shard.kv_bytes_per_token()), " bytes per token");
    }
    Pool p;
    p.capacity = cap;
    p.stage = shard.index();
    p.fixed = state;
    std::map<int64_t, int64_t> windows;
    for (const v1::LayerSlice& sl : shard.layers()) {
      if (!sl.core()) continue;
      const model::LayerSpec& l = model.layers[sl.layer()];
      if (l.attention_span == model::AttentionSpan::kFull) {
        p.full_per_token += l.KvBytesPerToken(dtype);
      } else {
        windows[l.attention_window] += l.KvBytesPerToken(dtype);
      }
    }
    p.windows.assign(windows.begin(), windows.end());
    if (!p.windows.empty() || p.fixed > 0) b.windowed_ = true;  // per-stage byte pools
    b.stage_bytes_.push_back(p);
    b.pools_.push_back(std::move(p));
  }
  if (!b.pools_.empty() && !b.windowed_) {
    // One token pool: the tightest stage's capacity in tokens.
    b.pools_.assign(1, Pool{b.capacity_tokens_, 1, 0, {}, 0, -1});
  }
  return b;
}

std::vector<std::pair<int, int64_t>> KvBudget::StageShares(int64_t length) const {
  std::vector<std::pair<int, int64_t>> out;
  for (const Pool& p : stage_bytes_) out.emplace_back(p.stage, p.Need(length));
  return out;
}

int64_t KvBudget::MaxSequences(int64_t length) const {
  int64_t n = std::numeric_limits<int64_t>::max();
  for (const Pool& p : pools_) {
    const int64_t need = p.Need(length);
    if (need > 0) n = std::min(n, p.capacity / need);
  }
  return n;
}

bool KvBudget::Fits(int64_t length) const { return FitsGrowth(0, length); }

void KvBudget::Reserve(int64_t length, int sign, int64_t shared) {
  for (Pool& p : pools_) p.reserved += sign * p.Need(length - shared);
  reserved_count_ += sign;
}

bool KvBudget::FitsAlone(int64_t length, int64_t shared) const {
  for (const Pool& p : pools_) {
    if (p.Need(length - shared) > p.capacity - p.pinned) return false;
  }
  return true;
}

bool KvBudget::Pin(int64_t length) {
  if (!Fits(length)) return false;
  for (Pool& p : pools_) {
    p.pinned += p.Need(length);
    p.reserved += p.Need(length);
  }
  return true;
}

bool KvBudget::FitsGrowth(int64_t from, int64_t to, int64_t shared) const {
  for (const Pool& p : pools_) {
    if (p.Need(to - shared) - p.Need(from - shared) > p.capacity - p.reserved) return false;
  }
  return true;
}

void KvBudget::Grow(int64_t from, int64_t to, int64_t shared) {
  for (Pool& p : pools_) p.reserved += p.Need(to - shared) - p.Need(from - shared);
}

int64_t KvBudget::MaxStageBytes(int64_t length, int64_t shared) const {
  int64_t most = 0;
  for (const Pool& p : stage_bytes_) most = std::max(most, p.Need(length - shared));
  return most;
}

}  // namespace etchsim::serving
