#include "cost/breakeven.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace etchsim::cost {
namespace {

// Integration steps over the lifetime distribution: the cost is piecewise
// linear in the life (kinks at the lead time and the commitment's end), so
// this resolves it to well under 0.1%.
constexpr int kSteps = 4000;

absl::Status Bad(const std::string& field, const std::string& what) {
  return absl::InvalidArgumentError(absl::StrCat("breakeven: ", field, " ", what));
}

double FleetRunning(const ReplicaCost& r, double demand) {
  return Replicas(r, demand) * r.running_usd_per_hour;
}
double FleetCommitted(const ReplicaCost& r, double demand) {
  return Replicas(r, demand) * r.committed_usd_per_hour;
}

}  // namespace

absl::Status BreakevenInputs::Validate() const {
  auto positive = [](double v) { return std::isfinite(v) && v > 0; };
  auto nonneg = [](double v) { return std::isfinite(v) && v >= 0; };
  if (!positive(demand_tokens_per_s)) {
    return Bad("demand", absl::StrCat("must be > 0 tokens/s, got ", demand_tokens_per_s));
  }
  if (!positive(hardwired.tokens_per_s)) return Bad("hard-wired replica", "serves no tokens");
  if (!positive(gpu.tokens_per_s)) return Bad("GPU replica", "serves no tokens");
  for (double v : {hardwired.committed_usd_per_hour, hardwired.running_usd_per_hour,
                   gpu.committed_usd_per_hour, gpu.running_usd_per_hour}) {
    if (!nonneg(v)) return Bad("replica cost", "must be finite and >= 0");
  }
  if (nre.masks_changed < 0 || !nonneg(nre.usd_per_mask) || !nonneg(nre.engineering_usd) ||
      nre.wafer_run_wafers < 0 || !nonneg(nre.usd_per_wafer) || nre.distinct_dies < 1) {
    return Bad(
        "NRE",
        "masks, mask price, wafers, wafer price and engineering must be >= 0, distinct dies >= 1");
  }
  if (!nonneg(lead_time_months)) return Bad("lead time", "must be >= 0 months");
  if (!nonneg(commitment_months)) return Bad("commitment", "must be >= 0 months");
  if (!(monthly_hazard >= 0 && monthly_hazard < 1)) {
    return Bad("hazard", absl::StrCat("must be in [0, 1) per month, got ", monthly_hazard));
  }
  if (!positive(horizon_months)) return Bad("horizon", "must be > 0 months");
  return absl::OkStatus();
}

int64_t Replicas(const ReplicaCost& r, double demand) {
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(demand / r.tokens_per_s - 1e-12)));
}

double GpuCostUsd(const BreakevenInputs& in, double months) {
  const double hours = months * kHoursPerMonth;
  return hours * (FleetRunning(in.gpu, in.demand_tokens_per_s) +
                  FleetCommitted(in.gpu, in.demand_tokens_per_s));
}

double HardwiredCostUsd(const BreakevenInputs& in, double months) {
  const double d = in.demand_tokens_per_s;
  // GPUs serve until the silicon arrives (or the model is gone).
  double usd = in.nre.Total() + GpuCostUsd(in, std::min(months, in.lead_time_months));
  const double serving = std::max(0.0, months - in.lead_time_months);
  // The committed silicon is built at the decision, whether or not the
  // model outlives the lead time.
  usd += FleetCommitted(in.hardwired, d) * std::max(in.commitment_months, serving) * kHoursPerMonth;
  usd += FleetRunning(in.hardwired, d) * serving * kHoursPerMonth;
  return usd;
}

Expected ExpectedCost(const BreakevenInputs& in) {
  // Lifetime L ~ Exponential(rate) capped at the horizon (an atom there).
  const double rate = -std::log1p(-in.monthly_hazard);
  const double H = in.horizon_months;
  double e_gpu = 0, e_hw = 0, e_life = 0;
  if (rate > 0) {
    // Midpoint rule on [0, H] for the density rate * exp(-rate L).
    const double dl = H / kSteps;
    for (int i = 0; i < kSteps; ++i) {
      const double l = (i + 0.5) * dl;
      const double p = std::exp(-rate * i * dl) - std::exp(-rate * (i + 1) * dl);
      e_gpu += p * GpuCostUsd(in, l);
      e_hw += p * HardwiredCostUsd(in, l);
      e_life += p * l;
    }
  }
  const double tail = std::exp(-rate * H);
  e_gpu += tail * GpuCostUsd(in, H);
  e_hw += tail * HardwiredCostUsd(in, H);
  e_life += tail * H;
  const double tokens_m = in.demand_tokens_per_s * 3600.0 * kHoursPerMonth * e_life / 1e6;
  return {e_gpu / tokens_m, e_hw / tokens_m, e_life};
}

absl::StatusOr<BreakevenResult> Breakeven(const BreakevenInputs& in) {
  if (absl::Status s = in.Validate(); !s.ok()) return s;
  BreakevenResult r;
  r.expected = ExpectedCost(in);
  // Life: the difference hw - gpu is piecewise linear; scan then bisect.
  auto diff_life = [&](double m) { return HardwiredCostUsd(in, m) - GpuCostUsd(in, m); };
  const int scan = 2000;
  double prev = 0;
  for (int i = 1; i <= scan; ++i) {
    const double m = in.horizon_months * i / scan;
    if (diff_life(m) <= 0) {
      double lo = prev, hi = m;
      for (int k = 0; k < 60; ++k) {
        const double mid = (lo + hi) / 2;
        (diff_life(mid) <= 0 ? hi : lo) = mid;
      }
      r.breakeven_life_months = hi;
      break;
    }
    prev = m;
  }
  // Hazard: expected hw cost rises with the hazard relative to GPUs.
  auto hw_wins = [&](BreakevenInputs x) {
    const Expected e = ExpectedCost(x);
    return e.hardwired_usd_per_million <= e.gpu_usd_per_million;
  };
  {
    BreakevenInputs x = in;
    x.monthly_hazard = 0;
    if (hw_wins(x)) {
      double lo = 0, hi = 0.999;
      x.monthly_hazard = hi;
      if (hw_wins(x)) {
        r.breakeven_hazard = hi;
      } else {
        for (int k = 0; k < 50; ++k) {
          x.monthly_hazard = (lo + hi) / 2;
          (hw_wins(x) ? lo : hi) = x.monthly_hazard;
        }
        r.breakeven_hazard = lo;
      }
    }
  }
  // Demand: scan a log grid for the first demand where hard-wired wins,
  // then bisect inside that step.
  {
    BreakevenInputs x = in;
    const int n = 180;  // 20 per decade over 1..1e9
    double prev_d = 1;
    for (int i = 0; i <= n; ++i) {
      const double dmd = std::pow(10.0, 9.0 * i / n);
      x.demand_tokens_per_s = dmd;
      if (hw_wins(x)) {
        double lo = i == 0 ? dmd : prev_d, hi = dmd;
        for (int k = 0; k < 50 && i > 0; ++k) {
          x.demand_tokens_per_s = std::sqrt(lo * hi);
          (hw_wins(x) ? hi : lo) = x.demand_tokens_per_s;
        }
        r.breakeven_demand_tokens_per_s = hi;
        break;
      }
      prev_d = dmd;
    }
  }
  return r;
}

std::vector<CurvePoint> LifetimeCurve(const BreakevenInputs& in, int points) {
  std::vector<CurvePoint> out;
  for (int i = 1; i <= points; ++i) {
    const double m = in.horizon_months * i / points;
    const double tokens_m = in.demand_tokens_per_s * 3600.0 * kHoursPerMonth * m / 1e6;
    out.push_back({m, GpuCostUsd(in, m) / tokens_m, HardwiredCostUsd(in, m) / tokens_m});
  }
  return out;
}

std::vector<CurvePoint> DemandCurve(const BreakevenInputs& in, double lo, double hi, int points) {
  std::vector<CurvePoint> out;
  BreakevenInputs x = in;
  for (int i = 0; i < points; ++i) {
    x.demand_tokens_per_s =
        lo * std::pow(hi / lo, points > 1 ? static_cast<double>(i) / (points - 1) : 0.0);
    const Expected e = ExpectedCost(x);
    out.push_back({x.demand_tokens_per_s, e.gpu_usd_per_million, e.hardwired_usd_per_million});
  }
  return out;
}

}  // namespace etchsim::cost
