#include "plan/planner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "cluster/analytic.h"
#include "cluster/report.h"
#include "cluster/simulation.h"

namespace etchsim::plan {
namespace {

struct Probe {
  bool met = false;
  SloCheck check;
  v1::Report report;
};

// A probe must also keep up with its load: a short run above capacity
// can end before its queues grow enough to break the SLO.
constexpr double kMinServedFraction = 0.8;
// Probe runs last at least this many single-user request latencies (of
// virtual time at the probe rate), so queues have time to build.
constexpr double kLatenciesPerProbe = 4;

absl::StatusOr<Probe> Run(const v1::Scenario& s, const Slo& slo) {
  ASSIGN_OR_RETURN(auto sim, cluster::Simulation::Build(s));
  ASSIGN_OR_RETURN(cluster::SimulationResult r, sim->RunInProcess());
  ASSIGN_OR_RETURN(v1::Report rep, cluster::BuildReport(r, cluster::Analyze(*sim)));
  Probe p;
  p.check = Check(slo, rep);
  const double offered =
      s.workload().poisson().rate_per_s() * static_cast<double>(rep.analytic().output_len());
  const bool kept_up = rep.output_tokens_per_s().mean() >= kMinServedFraction * offered;
  p.met = p.check.met && kept_up && rep.requests_completed() > 0 && rep.requests_rejected() == 0;
  if (p.check.met && !kept_up) {
    p.check.binding = absl::StrFormat("overloaded: served %.4g of %.4g output tok/s offered",
                                      rep.output_tokens_per_s().mean(), offered);
  }
  p.report = std::move(rep);
  return p;
}

absl::Status Search(const PlanOptions& o, CandidateResult& c) {
  auto sim = cluster::Simulation::Build(c.scenario);
  if (!sim.ok()) {
    c.reason = std::string(sim.status().message());
    return absl::OkStatus();
  }
  const cluster::AnalyticEstimate a = cluster::Analyze(**sim);
  c.label = absl::StrCat((*sim)->Skeleton().num_devices, " x ", (*sim)->chip().name());
  // Analytic pruning: one user's TTFT and TPOT bound every statistic of
  // those distributions from below.
  for (const SloTerm& t : o.slo.terms) {
    const double lone = t.metric == "ttft"   ? a.single_user_ttft_s
                        : t.metric == "tpot" ? a.single_user_tpot_s
                                             : 0;
    if (lone > t.limit_s) {
      c.reason =
          absl::StrFormat("%s: even one user takes %.4g ms (analytic)", t.Describe(), lone * 1e3);
      return absl::OkStatus();
    }
  }
  const double peak_rate = a.peak_output_tokens_per_s / std::max<int64_t>(1, a.output_len);
  auto requests = [&](double rate) {
    return std::max<int64_t>(o.requests, static_cast<int64_t>(std::ceil(rate * kLatenciesPerProbe *
                                                                        a.single_user_e2e_s)));
  };
  double lo = peak_rate * 0.01, hi = peak_rate * 1.2;
  ASSIGN_OR_RETURN(Probe low, Run(AtRate(c.scenario, lo, requests(lo)), o.slo));
  ++c.probes;
  if (!low.met) {
    c.reason = absl::StrCat(
        "at 1% of the analytic peak rate: ",
        low.report.requests_rejected() > 0 ? "requests rejected (KV cache)" : low.check.binding);
    return absl::OkStatus();
  }
  Probe best = std::move(low);
  double best_rate = lo;
  ASSIGN_OR_RETURN(Probe top, Run(AtRate(c.scenario, hi, requests(hi)), o.slo));
  ++c.probes;
  if (top.met) {
    best = std::move(top);
    best_rate = hi;
  } else {
    for (int i = 0; i < o.iterations; ++i) {
      const double mid = std::sqrt(lo * hi);
      ASSIGN_OR_RETURN(Probe p, Run(AtRate(c.scenario, mid, requests(mid)), o.slo));
      ++c.probes;
      if (p.met) {
        lo = mid;
        best = std::move(p);
        best_rate = mid;
      } else {
        hi = mid;
        c.reason = p.check.binding;  // what binds just above the answer
      }
    }
  }
  c.feasible = true;
  c.max_rate_per_s = best_rate;
  c.scenario = AtRate(c.scenario, best_rate, requests(best_rate));
  c.report = std::move(best.report);
  c.tokens_per_s = best_rate * c.report.analytic().output_len();
  c.replicas = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(o.demand_tokens_per_s / c.tokens_per_s - 1e-12)));
  c.fleet_usd_per_hour = c.replicas * c.report.cost().total_usd_per_hour();
  c.usd_per_million_tokens = c.fleet_usd_per_hour / (o.demand_tokens_per_s * 3600) * 1e6;
  c.tokens_per_s_per_user = c.report.tokens_per_s_per_user().mean();
  c.tokens_per_s_per_chip = c.tokens_per_s / std::max(1, c.report.num_chips());
  return absl::OkStatus();
}

// Marks the points not dominated in (maximise y, minimise $/M tokens).
template <typename Y, typename Mark>
void Front(std::vector<CandidateResult>& v, Y y, Mark mark) {
  for (CandidateResult& a : v) {
    if (!a.feasible) continue;
    bool dominated = false;
    for (const CandidateResult& b : v) {
      if (!b.feasible || &a == &b) continue;
      if (y(b) >= y(a) && b.usd_per_million_tokens <= a.usd_per_million_tokens &&
          (y(b) > y(a) || b.usd_per_million_tokens < a.usd_per_million_tokens)) {
        dominated = true;
      }
    }
    mark(a) = !dominated;
  }
}

}  // namespace

v1::Scenario AtRate(const v1::Scenario& base, double rate_per_s, int64_t requests) {
  v1::Scenario s = base;
  s.mutable_workload()->mutable_poisson()->set_rate_per_s(rate_per_s);
  s.set_max_requests(requests);
  s.set_duration_s(0);
  return s;
}

absl::StatusOr<std::vector<CandidateResult>> Plan(const PlanOptions& o) {
  if (!(o.demand_tokens_per_s > 0) || !std::isfinite(o.demand_tokens_per_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--demand must be > 0 output tokens/s, got ", o.demand_tokens_per_s));
  }
  if (o.candidates.empty()) return absl::InvalidArgumentError("plan: no candidates");
  std::vector<CandidateResult> out(o.candidates.size());
  std::vector<absl::Status> status(o.candidates.size());
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next.fetch_add(1)) < out.size();) {
      out[i].scenario = o.candidates[i];
      out[i].label = o.candidates[i].chip();
      status[i] = Search(o, out[i]);
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, std::min<int>(o.jobs, static_cast<int>(out.size()))); ++t) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) t.join();
  for (const absl::Status& s : status) RETURN_IF_ERROR(s);
  Front(
      out, [](const CandidateResult& c) { return c.tokens_per_s_per_user; },
      [](CandidateResult& c) -> bool& { return c.pareto_user; });
  Front(
      out, [](const CandidateResult& c) { return c.tokens_per_s_per_chip; },
      [](CandidateResult& c) -> bool& { return c.pareto_chip; });
  std::stable_sort(out.begin(), out.end(), [](const CandidateResult& a, const CandidateResult& b) {
    if (a.feasible != b.feasible) return a.feasible;
    if (a.feasible && a.fleet_usd_per_hour != b.fleet_usd_per_hour) {
      return a.fleet_usd_per_hour < b.fleet_usd_per_hour;
    }
    return a.label < b.label;
  });
  return out;
}

}  // namespace etchsim::plan
