#include "plan/planner.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <future>
#include <limits>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "cost/energy.h"
#include "cost/tco.h"
#include "report/analytic.h"
#include "report/report.h"
#include "sim/simulation.h"

namespace etchsim::plan {
namespace {

struct Probe {
  bool met = false;
  uint64_t events = 0;
  double offered_tokens_per_s = 0;  // what the drawn arrivals asked for
  // Served below kMinServedFraction of offered in steady state over a
  // window at least one unloaded request's lifetime long (also measured on
  // a probe abandoned early): the run was over capacity, and what it
  // served estimates the capacity. (Shorter windows, as GPUs' probes of
  // minute-long requests have, measure the fill rather than the capacity.)
  bool overloaded = false;
  double served_tokens_per_s = 0;
  SloCheck check;
  v1::Report report;
};

// A probe must also keep up with its load: a short run above capacity
// can end before its queues grow enough to break the SLO.
constexpr double kMinServedFraction = 0.9;
// Probe runs last at least this many single-user request latencies (of
// virtual time at the probe rate), so queues have time to build.
constexpr double kLatenciesPerProbe = 4;
// The first probe's rate as a fraction of the analytic ceiling (a little
// above it, so a ceiling that is met is seen), and the lowest rate tried.
constexpr double kCeilingMargin = 1.1;
constexpr double kLowestFraction = 1.0 / 256;

// What ends a probe early: the first request that can never fit the KV
// cache, or more requests over a percentile bound than the final
// percentile over all `requests` completions could absorb. An abandoned
// probe would have failed had it run to the end, so the search's outcome
// is unchanged; it only stops paying for runs whose answer is known.
struct Abandon {
  struct Term {
    LatencySamples samples;
    uint64_t limit_ps;
    uint64_t allowed;  // samples over the limit the percentile tolerates
    std::string describe;
  };
  std::vector<Term> terms;
  std::string why;  // set when it fired

  Abandon(const Slo& slo, int64_t requests) {
    for (const SloTerm& t : slo.terms) {
      // Per request, so a count over the limit is final; means and the
      // per-token ITL are decided at the end.
      const LatencySamples h = t.metric == "itl" ? nullptr : SamplesOf(t.metric);
      const double q = t.Quantile();
      if (h == nullptr || q == 0) continue;
      const auto n = static_cast<uint64_t>(requests);
      // Margin of 1e-9 so that the report's seconds are surely over too.
      terms.push_back({h, static_cast<uint64_t>(std::ceil(t.limit_s * 1e12 * (1 + 1e-9))),
                       n - static_cast<uint64_t>(std::ceil(q * static_cast<double>(n))),
                       t.Describe()});
    }
  }
  bool operator()(const serving::HostResult& r) {
    if (r.rejected > 0) {
      why = "requests rejected (KV cache)";
      return true;
    }
    for (const Term& t : terms) {
      const uint64_t over = (r.*t.samples).CountAbove(t.limit_ps);
      if (over > t.allowed) {
        why = absl::StrCat(t.describe, " lost: ", over, " of the first ", r.completed,
                           " requests over the limit (probe stopped early)");
        return true;
      }
    }
    return false;
  }
};

// Output tokens/s in the throughput windows from `from_s` (the first
// requests have had time to finish, so the pipeline is full) to the end
// of the run, measured from the window start. A probe ends at its N-th
// completion while arrivals go on, so this span has no drain; the whole
// run's mean includes the fill, which in a short probe alone would read
// as a shortfall. Falls back to the whole run when the span holds no
// window.
double SteadyOutputTokensPerS(const sim::SimulationResult& r, double from_s, double to_s) {
  const double w = r.scenario.throughput_window_s();
  const auto first = static_cast<int64_t>(std::ceil(from_s / w));
  const auto last = std::min(r.host.WindowsSpanned(), static_cast<int64_t>(std::floor(to_s / w)));
  if (first >= last) {
    const double measured = (r.end - r.window_start).ToSeconds();
    return measured > 0 ? static_cast<double>(r.host.output_tokens) / measured : 0;
  }
  const int64_t sum = r.host.WindowTokenSum(first, last);
  return static_cast<double>(sum) / (static_cast<double>(last - first) * w);
}

// `a` is the candidate's analytic estimate from its screen: it does not
// depend on the rate or the run length a probe varies.
// `cancel` (may be null) stops a speculative probe that is no longer
// wanted; its result is then discarded.
absl::StatusOr<Probe> Run(const v1::Scenario& s, const Slo& slo, const report::AnalyticEstimate& a,
                          const std::atomic<bool>* cancel = nullptr) {
  ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(s));
  Abandon abandon(slo, s.max_requests());
  ASSIGN_OR_RETURN(
      sim::SimulationResult r,
      sim->RunInProcess([&abandon](const serving::HostResult& h) { return abandon(h); }, cancel));
  Probe p;
  p.events = r.events;
  // Offered: the arrivals this seed actually drew over the run, not the
  // nominal rate (with one seed every probe sees the same gaps scaled by
  // 1/rate, so a draw that runs 10% slow would read as 10% short at every
  // rate).
  const double run_s = r.end.ToSeconds();
  const double offered =
      run_s > 0 ? static_cast<double>(r.host.arrivals) / run_s * static_cast<double>(a.output_len)
                : 0;
  const double served =
      SteadyOutputTokensPerS(r, a.single_user_e2e_s, (r.end - r.window_start).ToSeconds());
  p.offered_tokens_per_s = offered;
  p.served_tokens_per_s = served;
  const bool kept_up = served >= kMinServedFraction * offered;
  const double steady_s = (r.end - r.window_start).ToSeconds() - a.single_user_e2e_s;
  p.overloaded = !kept_up && served > 0 && steady_s >= a.single_user_e2e_s;
  if (r.host.gave_up) {
    p.check = Check(slo, r.host);                  // the ratio so far: how far the probe missed
    p.check.ratio = std::max(p.check.ratio, 1.0);  // certainly lost: at least at the limit
    p.check.met = false;
    p.check.binding = abandon.why;
    return p;
  }
  ASSIGN_OR_RETURN(v1::Report rep, report::BuildReport(r, a));
  p.check = Check(slo, r.host);  // any percentile; the report's figures where it has them
  p.met = p.check.met && kept_up && rep.requests_completed() > 0 && rep.requests_rejected() == 0;
  if (p.check.met && !kept_up) {
    p.check.binding = absl::StrFormat(
        "overloaded: served %.4g of %.4g output tok/s offered (steady state)", served, offered);
  }
  p.report = std::move(rep);
  return p;
}

// The analytic screen of one candidate: built, its single user within
// the SLO, its rate ceiling and a lower bound on the fleet's cost.
struct Screened {
  bool ok = false;  // passed; else c.reason says why not
  report::AnalyticEstimate a;
  double ceiling = 0;                 // req/s
  double fleet_usd_per_hour_min = 0;  // no fleet of it can cost less
  int devices = 0;
};

Screened Screen(const PlanOptions& o, const std::string& variant, CandidateResult& c) {
  Screened r;
  auto sim = sim::Simulation::Build(c.scenario);
  if (!sim.ok()) {
    c.reason = std::string(sim.status().message());
    c.invalid = sim.status().code() == absl::StatusCode::kInvalidArgument ||
                sim.status().code() == absl::StatusCode::kNotFound;
    return r;
  }
  r.a = report::Analyze(**sim);
  const report::AnalyticEstimate& a = r.a;
  const sim::SimulationResult skeleton = (*sim)->Skeleton();
  r.devices = skeleton.all_devices();
  c.label = skeleton.Hardware() + variant;
  // Analytic pruning: one user's TTFT and TPOT bound every statistic of
  // those distributions from below.
  for (const SloTerm& t : o.slo.terms) {
    // One user's speed bounds every user's from above.
    if (t.at_least() && a.single_user_tokens_per_s < t.limit_s) {
      c.reason = absl::StrFormat("%s: even one user gets %.4g tok/s (analytic)", t.Describe(),
                                 a.single_user_tokens_per_s);
      c.miss_ratio = t.limit_s / std::max(a.single_user_tokens_per_s, 1e-9);
      return r;
    }
    if (t.at_least()) continue;
    const double lone = t.metric == "ttft"   ? a.single_user_ttft_s
                        : t.metric == "tpot" ? a.single_user_tpot_s
                                             : 0;
    if (lone > t.limit_s) {
      c.reason =
          absl::StrFormat("%s: even one user takes %.4g ms (analytic)", t.Describe(), lone * 1e3);
      c.miss_ratio = lone / t.limit_s;
      return r;
    }
  }
  const double out_len = static_cast<double>(std::max<int64_t>(1, a.output_len));
  // The analytic ceiling on a sustainable rate: the pipeline's peak, and
  // the KV cache's concurrency over one unloaded request's lifetime
  // (Little's law; loaded requests live longer, so this is an upper bound).
  r.ceiling = a.peak_output_tokens_per_s / out_len;
  if (a.max_concurrent_requests > 0 && a.single_user_e2e_s > 0) {
    r.ceiling =
        std::min(r.ceiling, static_cast<double>(a.max_concurrent_requests) / a.single_user_e2e_s);
  }
  if (!(r.ceiling > 0)) {
    c.reason = "no analytic capacity";
    return r;
  }
  // Cheapest conceivable fleet: replicas at the highest rate the search
  // can report, each costing its hardware and its idle power.
  cost::CostInputs ci = report::HardwareCostInputs(skeleton, c.scenario, 0.0);
  ci.output_tokens_per_s = 0;
  auto cb = cost::ComputeCost(ci);
  const double replicas =
      std::ceil(o.demand_tokens_per_s / (r.ceiling * kCeilingMargin * out_len) - 1e-12);
  r.fleet_usd_per_hour_min = cb.ok() ? std::max(1.0, replicas) * cb->total_usd_per_hour : 0;
  r.ok = true;
  return r;
}

// Threads running probes, against --jobs: a search whose neighbours have
// finished runs its next probe speculatively on the idle core.
class Cores {
 public:
  explicit Cores(int jobs) : jobs_(jobs) {}
  bool TryReserve() {
    int b = busy_.load();
    while (b < jobs_) {
      if (busy_.compare_exchange_weak(b, b + 1)) return true;
    }
    return false;
  }
  void Reserve() { ++busy_; }
  void Release() { --busy_; }

 private:
  const int jobs_;
  std::atomic<int> busy_{0};
};

// A probe run ahead on an idle core: the rate the search will try next if
// the probe under way passes (else fails). Only a rate the serial search
// then asks for is used, and it is recorded then, so the answer, the
// probes listed and the event counts do not depend on whether a core was
// free; a speculation not taken is cancelled and discarded.
class Speculation {
 public:
  Speculation(double rate, std::function<absl::StatusOr<Probe>(const std::atomic<bool>*)> run,
              Cores& cores)
      : rate_(rate) {
    result_ = std::async(std::launch::async, [this, run = std::move(run), &cores] {
      absl::StatusOr<Probe> r = run(&cancel_);
      cores.Release();
      return r;
    });
  }
  ~Speculation() {
    cancel_ = true;
    if (result_.valid()) result_.wait();
  }
  double rate() const { return rate_; }
  absl::StatusOr<Probe> Get() { return result_.get(); }

 private:
  const double rate_;
  std::atomic<bool> cancel_{false};
  std::future<absl::StatusOr<Probe>> result_;
};

// The rate search of a screened candidate.
absl::Status Search(const PlanOptions& o, const Screened& sc, CandidateResult& c, Cores& cores) {
  const report::AnalyticEstimate& a = sc.a;
  const double ceiling = sc.ceiling;
  auto requests = [&](double rate) {
    return std::max<int64_t>(o.requests, static_cast<int64_t>(std::ceil(rate * kLatenciesPerProbe *
                                                                        a.single_user_e2e_s)));
  };
  std::unique_ptr<Speculation> ahead;
  // Runs `rate` ahead when a core is idle (0: nothing to run).
  auto speculate = [&](double rate) {
    if (rate <= 0 || ahead != nullptr || !cores.TryReserve()) return;
    if (o.on_speculate) o.on_speculate(rate);
    ahead = std::make_unique<Speculation>(
        rate,
        [s = AtRate(c.scenario, rate, requests(rate)), &o, &a](const std::atomic<bool>* cancel) {
          return Run(s, o.slo, a, cancel);
        },
        cores);
  };
  auto probe = [&](double rate) -> absl::StatusOr<Probe> {
    absl::StatusOr<Probe> got;
    if (ahead != nullptr && ahead->rate() == rate) {
      got = ahead->Get();
      ahead.reset();
    } else {
      ahead.reset();  // not taken: cancelled, its core freed
      got = Run(AtRate(c.scenario, rate, requests(rate)), o.slo, a);
    }
    ASSIGN_OR_RETURN(Probe p, std::move(got));
    c.search.push_back({rate, requests(rate), p.met, p.events, p.met ? "" : p.check.binding});
    return p;
  };
  // Down from the ceiling to the first rate that passes, then geometric
  // bisection between it and the lowest failure until they are within the
  // tolerance. An overloaded failure measures the capacity (what it served
  // in steady state), so the next rate tried is the one whose offered load
  // that capacity just carries (at most twice in a row); otherwise the
  // rate halves. A pass found at such an estimate has the knee just above
  // it (kMinServedFraction lets a probe pass up to ~11% over capacity).
  // These only choose the rates tried: the answer is still a simulated
  // pass with a simulated failure within the tolerance above it.
  const double floor_rate = ceiling * kLowestFraction;
  const double step = 1 + o.tolerance;
  // The bisection's next rate between a pass `lo` and a failure `hi`, 0
  // when they are within the tolerance. After a pass at a capacity
  // estimate: just under (1 + tolerance)^2 above it, so that a failure
  // there leaves one bisection; or, when the lowest failure is nearer,
  // just over one tolerance below that, so that a pass there ends the
  // search.
  auto next_rate = [&](double lo, double hi, bool estimated) {
    if (!(hi > 0 && hi / lo > step)) return 0.0;
    const double above = std::min(lo * step * step * (1 - 1e-9), hi / step * (1 + 1e-9));
    return estimated && above > lo * step ? above : std::sqrt(lo * hi);
  };
  double hi = 0, lo = ceiling * kCeilingMargin;
  std::optional<Probe> best;
  bool estimated = false;  // lo is a capacity estimate
  int in_a_row = 0;        // estimates tried in a row
  while (true) {
    speculate(next_rate(lo, hi, estimated));  // if this one passes
    ASSIGN_OR_RETURN(Probe p, probe(lo));
    if (p.met) {
      best = std::move(p);
      break;
    }
    c.reason = p.check.binding;
    c.miss_ratio = p.check.ratio;  // the lowest rate so far
    hi = lo;
    const double capacity_rate = p.overloaded && p.offered_tokens_per_s > 0
                                     ? hi * p.served_tokens_per_s / p.offered_tokens_per_s
                                     : 0;
    // At most two estimates in a row: where service falls with the rate
    // (short GPU probes still filling) they would creep down by ~20% a
    // step, slower than halving.
    estimated = in_a_row < 2 && capacity_rate >= floor_rate && capacity_rate * step < hi;
    in_a_row = estimated ? in_a_row + 1 : 0;
    lo = estimated ? capacity_rate : hi / 2;
    if (lo < floor_rate) {
      c.reason = absl::StrFormat("at %.3g%% of the analytic ceiling of %.4g req/s: %s",
                                 100 * hi / ceiling, ceiling, p.check.binding);
      return absl::OkStatus();
    }
  }
  double best_rate = lo;
  for (double mid; (mid = next_rate(lo, hi, estimated)) > 0;) {
    estimated = false;
    // Ahead: where a pass here leads, else where a failure does.
    const double if_pass = next_rate(mid, hi, false);
    speculate(if_pass > 0 ? if_pass : next_rate(lo, mid, false));
    ASSIGN_OR_RETURN(Probe p, probe(mid));
    if (p.met) {
      lo = mid;
      best = std::move(p);
      best_rate = mid;
    } else {
      hi = mid;
      c.reason = p.check.binding;  // what binds just above the answer
    }
  }
  if (hi == 0) c.reason = "met at the analytic ceiling";
  c.feasible = true;
  c.max_rate_per_s = best_rate;
  c.scenario = AtRate(c.scenario, best_rate, requests(best_rate));
  c.report = std::move(best->report);
  // Capacity is the load the passing probe actually carried (its drawn
  // arrivals), not the nominal rate: a seed whose gaps run long would
  // otherwise overstate it.
  c.tokens_per_s = best->offered_tokens_per_s;
  if (o.availability) {
    ASSIGN_OR_RETURN(c.availability, o.availability(c.scenario));
  }
  c.replicas = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(
             o.demand_tokens_per_s / (c.tokens_per_s * c.availability.availability) - 1e-12)));
  c.fleet_usd_per_hour =
      c.replicas * (c.report.cost().total_usd_per_hour() + c.availability.extra_usd_per_hour);
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

namespace {

// Runs fn(i) for every i in `items` on up to `jobs` threads, the items
// taken in the order given (callers put the longest first).
template <typename Fn>
void ParallelFor(const std::vector<size_t>& items, int jobs, Fn fn) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t k; (k = next.fetch_add(1)) < items.size();) fn(items[k]);
  };
  std::vector<std::thread> threads;
  const int n = std::max(1, std::min<int>(jobs, static_cast<int>(items.size())));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
}

// " [pipeline, ring, draft 2]": the fields in which candidates differ.
std::vector<std::string> Variants(const std::vector<v1::Scenario>& v) {
  auto differs = [&](auto field) {
    for (const v1::Scenario& s : v) {
      if (field(s) != field(v.front())) return true;
    }
    return false;
  };
  const bool strategy = differs([](const v1::Scenario& s) { return s.strategy(); });
  const bool topology = differs([](const v1::Scenario& s) { return s.topology().kind(); });
  const bool draft = differs([](const v1::Scenario& s) { return s.speculative().draft_len(); });
  auto pool = [](const v1::Scenario& s) {
    const v1::Disaggregation& d = s.disaggregation();
    const v1::AttentionFfn& a = s.attention_ffn();
    if (!d.prefill_chip().empty()) {
      return absl::StrCat("prefill on ",
                          d.prefill_chips() > 0 ? absl::StrCat(d.prefill_chips(), " x ") : "",
                          d.prefill_chip());
    }
    if (!a.attention_chip().empty()) {
      return absl::StrCat("attention on ",
                          a.attention_chips() > 0 ? absl::StrCat(a.attention_chips(), " x ") : "",
                          a.attention_chip());
    }
    return std::string("colocated");
  };
  const bool pools = differs(pool);
  std::vector<std::string> out;
  for (const v1::Scenario& s : v) {
    std::vector<std::string> parts;
    if (strategy) parts.push_back(s.strategy().empty() ? "auto" : s.strategy());
    if (topology) parts.push_back(s.topology().kind().empty() ? "default" : s.topology().kind());
    if (draft) parts.push_back(absl::StrCat("draft ", s.speculative().draft_len()));
    if (pools) parts.push_back(pool(s));
    out.push_back(parts.empty() ? "" : absl::StrCat(" [", absl::StrJoin(parts, ", "), "]"));
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<CandidateResult>> Plan(const PlanOptions& o) {
  if (!(o.demand_tokens_per_s > 0) || !std::isfinite(o.demand_tokens_per_s)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--demand must be > 0 output tokens/s, got ", o.demand_tokens_per_s));
  }
  if (o.candidates.empty()) return absl::InvalidArgumentError("plan: no candidates");
  const size_t n = o.candidates.size();
  std::vector<CandidateResult> out(n);
  std::vector<Screened> screened(n);
  std::vector<absl::Status> status(n);
  const std::vector<std::string> variants = Variants(o.candidates);
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  // 1. The analytic screen of every candidate.
  ParallelFor(all, o.jobs, [&](size_t i) {
    out[i].scenario = o.candidates[i];
    out[i].label = o.candidates[i].chip();
    screened[i] = Screen(o, variants[i], out[i]);
  });
  // 2. Event searches: first each chip preset's candidate with the lowest
  // cost bound (so every preset gets a measured answer), then every other
  // candidate whose bound is below the cheapest fleet those found; the rest
  // cannot be cheaper and are pruned. Two fixed phases keep the set of
  // searched candidates independent of thread timing.
  std::vector<size_t> first, rest;
  for (size_t i = 0; i < n; ++i) {
    if (!screened[i].ok) continue;
    bool best_of_chip = true;
    for (size_t j = 0; j < n && best_of_chip; ++j) {
      if (j == i || !screened[j].ok || o.candidates[j].chip() != o.candidates[i].chip()) continue;
      const double bi = screened[i].fleet_usd_per_hour_min, bj = screened[j].fleet_usd_per_hour_min;
      best_of_chip = bi < bj || (bi == bj && i < j);
    }
    (best_of_chip ? first : rest).push_back(i);
  }
  // Longest searches first: probe work grows with stages x tokens.
  auto by_work = [&](std::vector<size_t>& v) {
    auto work = [&](size_t i) {
      return static_cast<double>(screened[i].devices) *
             static_cast<double>(screened[i].a.input_len + screened[i].a.output_len) /
             std::max(1e-9, screened[i].a.single_user_e2e_s);
    };
    std::stable_sort(v.begin(), v.end(), [&](size_t x, size_t y) { return work(x) > work(y); });
  };
  Cores cores(o.jobs);
  auto search = [&](size_t i) {
    cores.Reserve();
    status[i] = Search(o, screened[i], out[i], cores);
    cores.Release();
  };
  by_work(first);
  ParallelFor(first, o.jobs, search);
  double best = std::numeric_limits<double>::infinity();
  for (size_t i : first) {
    if (out[i].feasible) best = std::min(best, out[i].fleet_usd_per_hour);
  }
  std::vector<size_t> second;
  for (size_t i : rest) {
    if (screened[i].fleet_usd_per_hour_min < best) {
      second.push_back(i);
    } else {
      out[i].reason = absl::StrFormat(
          "pruned: no fleet of it can cost less than $%.2f/hour (analytic bound), the cheapest "
          "found costs $%.2f/hour",
          screened[i].fleet_usd_per_hour_min, best);
    }
  }
  by_work(second);
  ParallelFor(second, o.jobs, search);
  for (const absl::Status& st : status) RETURN_IF_ERROR(st);
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
    if (!a.feasible && a.miss_ratio != b.miss_ratio) return a.miss_ratio < b.miss_ratio;
    return a.label < b.label;
  });
  return out;
}

}  // namespace etchsim::plan
