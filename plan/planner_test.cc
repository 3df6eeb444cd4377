#include "plan/planner.h"

#include <atomic>
#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "report/analytic.h"
#include "report/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::plan {
namespace {

v1::Scenario Llama(const std::string& chip, int chips) {
  v1::Scenario s = sim::DefaultScenario();
  s.set_model("llama-3.1-8b");
  s.set_chip(chip);
  s.set_chips(chips);
  s.mutable_workload()->mutable_input_len()->set_fixed(128);
  s.mutable_workload()->mutable_output_len()->set_fixed(64);
  return s;
}

// A plan for llama-3.1-8b over `candidates` at `slo` and `demand` output
// tok/s, probing with `requests` requests.
PlanOptions LlamaPlan(std::vector<v1::Scenario> candidates, const std::string& slo, double demand,
                      int64_t requests) {
  PlanOptions o;
  o.candidates = std::move(candidates);
  auto parsed = ParseSlo(slo, "llama-3.1-8b");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (parsed.ok()) o.slo = *parsed;
  o.demand_tokens_per_s = demand;
  o.requests = requests;
  return o;
}

// Simulates `s` in full, independently of the planner (and its analytic
// estimate into `a`): what checks an answer.
absl::StatusOr<sim::SimulationResult> Resimulate(const v1::Scenario& s,
                                                 report::AnalyticEstimate* a) {
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) return sim.status();
  *a = report::Analyze(**sim);
  return (*sim)->RunInProcess();
}

TEST(PlannerTest, ChosenReplicaMeetsTheSloWhenSimulatedAtTheReportedLoad) {
  PlanOptions o =
      LlamaPlan({Llama("hc1", 1), Llama("hc1", 2)}, "ttft_p99<=20ms,tpot_p99<=1ms", 100000, 60);
  o.jobs = 2;
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const CandidateResult& best = plan->front();
  ASSERT_TRUE(best.feasible) << best.reason;
  EXPECT_GT(best.max_rate_per_s, 0);
  EXPECT_EQ(best.replicas,
            static_cast<int64_t>(std::ceil(o.demand_tokens_per_s / best.tokens_per_s)));
  // Simulate exactly what the plan reports, independently of the planner.
  ASSERT_TRUE(best.scenario.workload().has_poisson());
  EXPECT_DOUBLE_EQ(best.scenario.workload().poisson().rate_per_s(), best.max_rate_per_s);
  report::AnalyticEstimate a;
  auto run = Resimulate(best.scenario, &a);
  ASSERT_TRUE(run.ok()) << run.status();
  auto report = report::BuildReport(*run, a);
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->requests_completed(), 0);
  for (const SloTerm& t : o.slo.terms) {
    EXPECT_LE(Observed(*report, t), t.limit_s) << t.Describe();
  }
  EXPECT_TRUE(best.pareto_user || best.pareto_chip);
}

TEST(PlannerTest, AnyPercentileHoldsWhenTheAnswerIsSimulated) {
  // p95 and p99.9 are not in a report: the planner checks them on the
  // run's histograms, and so does this re-simulation.
  PlanOptions o = LlamaPlan({Llama("hc1", 1)}, "ttft_p95<=15ms,tpot_p99.9<=1ms", 100000, 60);
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const CandidateResult& best = plan->front();
  ASSERT_TRUE(best.feasible) << best.reason;
  report::AnalyticEstimate a;
  auto run = Resimulate(best.scenario, &a);
  ASSERT_TRUE(run.ok()) << run.status();
  for (const SloTerm& t : o.slo.terms) {
    EXPECT_LE(Observed(run->host, t), t.limit_s) << t.Describe();
  }
  // And the search did bind on a percentile just above the answer.
  EXPECT_THAT(best.reason,
              ::testing::AnyOf(::testing::HasSubstr("ttft_p95"), ::testing::HasSubstr("tpot_p99.9"),
                               ::testing::HasSubstr("overloaded"),
                               ::testing::HasSubstr("met at the analytic ceiling")));
}

TEST(PlannerTest, InfeasibleCandidatesAreSortedClosestFirst) {
  // Nothing can meet 1 us of TTFT: both are rejected, the nearer miss first.
  PlanOptions o = LlamaPlan({Llama("hc1", 2), Llama("hc1", 1)}, "ttft_p99<=1us", 100000, 60);
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_FALSE((*plan)[0].feasible);
  EXPECT_FALSE((*plan)[1].feasible);
  EXPECT_LE((*plan)[0].miss_ratio, (*plan)[1].miss_ratio);
  EXPECT_GT((*plan)[0].miss_ratio, 1);
  EXPECT_TRUE(std::isfinite((*plan)[0].miss_ratio));
}

TEST(PlannerTest, SearchRecordsEveryProbeAndBracketsTheAnswer) {
  // A loose SLO, so that capacity (overload) binds: the search jumps from
  // the analytic ceiling to the measured capacity rather than halving.
  PlanOptions o = LlamaPlan({Llama("hc1", 2)}, "ttft_p99<=1s,tpot_p99<=1s", 100000, 60);
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  const CandidateResult& c = plan->front();
  ASSERT_TRUE(c.feasible) << c.reason;
  ASSERT_EQ(static_cast<int>(c.search.size()), c.probes());
  uint64_t events = 0;
  for (const ProbeRecord& p : c.search) {
    events += p.events;
    EXPECT_GT(p.rate_per_s, 0);
    EXPECT_EQ(p.met, p.why.empty()) << p.why;
  }
  EXPECT_EQ(events, c.events());
  // The answer is a probe that passed, and a failure lies within the
  // tolerance above it (unless it passed at the ceiling, the first probe).
  double lowest_failure = std::numeric_limits<double>::infinity();
  bool answer_probed = false;
  for (const ProbeRecord& p : c.search) {
    if (!p.met) lowest_failure = std::min(lowest_failure, p.rate_per_s);
    if (p.met && p.rate_per_s == c.max_rate_per_s) answer_probed = true;
  }
  EXPECT_TRUE(answer_probed);
  if (c.search.size() > 1) {
    EXPECT_GT(lowest_failure, c.max_rate_per_s);
    EXPECT_LE(lowest_failure / c.max_rate_per_s, 1 + o.tolerance);
  }
  // Capacity, not halving, placed the second probe: an overloaded first
  // probe's service sets it, above half the first rate.
  ASSERT_GE(c.search.size(), 2u);
  ASSERT_FALSE(c.search[0].met);
  EXPECT_THAT(c.search[0].why, ::testing::HasSubstr("overloaded"));
  EXPECT_GT(c.search[1].rate_per_s, c.search[0].rate_per_s / 2);
  EXPECT_LE(c.search.size(), 5u);
}

TEST(PlannerTest, RejectsNameTheBindingConstraint) {
  // hc1 single-user TPOT is ~59 us; 10 us cannot be met by anyone.
  PlanOptions o = LlamaPlan({Llama("hc1", 1), Llama("h100", 8)}, "tpot_p99<=10us", 1000, 20);
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok());
  for (const CandidateResult& c : *plan) {
    EXPECT_FALSE(c.feasible);
    EXPECT_THAT(c.reason, ::testing::HasSubstr("tpot_p99<=0.01ms: even one user takes"));
  }
}

TEST(PlannerTest, SameAnswerWhateverTheThreadCount) {
  PlanOptions o = LlamaPlan({Llama("hc1", 1), Llama("hc1", 2), Llama("h100", 1)},
                            "ttft_p99<=20ms,tpot_p99<=1ms", 50000, 40);
  o.jobs = 1;
  auto one = Plan(o);
  o.jobs = 3;
  auto three = Plan(o);
  ASSERT_TRUE(one.ok() && three.ok());
  ASSERT_EQ(one->size(), three->size());
  for (size_t i = 0; i < one->size(); ++i) {
    EXPECT_EQ((*one)[i].label, (*three)[i].label);
    EXPECT_EQ((*one)[i].max_rate_per_s, (*three)[i].max_rate_per_s);
    EXPECT_EQ((*one)[i].reason, (*three)[i].reason);
    EXPECT_EQ((*one)[i].events(), (*three)[i].events());
  }
}

TEST(PlannerTest, SpeculativeProbesOnAnIdleCoreChangeNothing) {
  // One candidate and four jobs: three cores idle, so every probe's
  // successor runs ahead; the result must be that of one job, probe for
  // probe.
  for (const char* slo : {"ttft_p99<=1s,tpot_p99<=1s", "ttft_p99<=20ms,tpot_p99<=1ms"}) {
    PlanOptions o = LlamaPlan({Llama("hc1", 2)}, slo, 100000, 60);
    o.jobs = 1;
    auto one = Plan(o);
    o.jobs = 4;
    std::atomic<int> ahead{0};
    o.on_speculate = [&ahead](double) { ++ahead; };
    auto four = Plan(o);
    EXPECT_GT(ahead.load(), 0) << slo;
    ASSERT_TRUE(one.ok() && four.ok());
    const CandidateResult &a = one->front(), &b = four->front();
    EXPECT_EQ(a.max_rate_per_s, b.max_rate_per_s) << slo;
    EXPECT_EQ(a.reason, b.reason);
    EXPECT_EQ(a.events(), b.events());
    ASSERT_EQ(a.search.size(), b.search.size());
    for (size_t i = 0; i < a.search.size(); ++i) {
      EXPECT_EQ(a.search[i].rate_per_s, b.search[i].rate_per_s);
      EXPECT_EQ(a.search[i].met, b.search[i].met);
      EXPECT_EQ(a.search[i].events, b.search[i].events);
    }
    EXPECT_EQ(a.report.SerializeAsString(), b.report.SerializeAsString());
  }
}

TEST(PlannerTest, ConfigurationsThatCannotBeCheaperArePrunedWithTheirBound) {
  // Two counts of one preset: the smaller is searched first (lower bound);
  // 16 chips of hc1 serving llama-3.1-8b cost at least 16 cards an hour,
  // more than the one-chip fleet found, so it is pruned without a run.
  PlanOptions o =
      LlamaPlan({Llama("hc1", 1), Llama("hc1", 16)}, "ttft_p99<=20ms,tpot_p99<=1ms", 20000, 40);
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->size(), 2u);
  EXPECT_TRUE((*plan)[0].feasible);
  EXPECT_EQ((*plan)[0].label, "1 x hc1");
  EXPECT_FALSE((*plan)[1].feasible);
  EXPECT_EQ((*plan)[1].probes(), 0);
  EXPECT_THAT((*plan)[1].reason, ::testing::HasSubstr("pruned: no fleet of it can cost less"));
}

TEST(PlannerTest, AnAbandonedProbeWouldHaveFailedInFull) {
  // An overloaded probe: one hc1 far above its peak request rate. Run in full
  // it misses ttft_p99<=20ms; the planner's early exit stops it sooner and
  // the search still reports a rate that passes in full.
  v1::Scenario s = AtRate(Llama("hc1", 1), 2000, 400);
  auto sim = sim::Simulation::Build(s);
  ASSERT_TRUE(sim.ok()) << sim.status();
  auto full = (*sim)->RunInProcess();
  ASSERT_TRUE(full.ok());
  auto report = report::BuildReport(*full, report::Analyze(**sim));
  ASSERT_TRUE(report.ok());
  // The full run's median TTFT as the bound: half the requests exceed it,
  // so p99 <= it is lost long before the end.
  const auto limit_ps = static_cast<uint64_t>(report->ttft_s().p50() * 1e12);
  EXPECT_GT(report->ttft_s().p99(), report->ttft_s().p50());
  int64_t seen = 0;
  auto early = (*sim)->RunInProcess([&](const serving::HostResult& h) {
    seen = h.completed;
    return h.ttft_ps.CountAbove(limit_ps) > 4;  // p99 of 400 tolerates 4 over
  });
  ASSERT_TRUE(early.ok());
  EXPECT_TRUE(early->host.gave_up);
  EXPECT_LT(early->host.completed, 400);
  EXPECT_LT(early->events, full->events);
  EXPECT_EQ(seen, early->host.completed);
}

TEST(PlannerTest, DemandMustBePositive) {
  PlanOptions o;
  o.candidates = {Llama("hc1", 1)};
  o.demand_tokens_per_s = 0;
  auto plan = Plan(o);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()), ::testing::HasSubstr("--demand must be > 0"));
}

// With an availability model the fleet covers the demand while replicas
// are down and pays for their spares: here a replica serves half the time
// and costs $2 more an hour, so the fleet doubles (at least) and each
// replica's price rises by exactly that.
TEST(PlannerTest, AvailabilitySizesAndPricesTheFleet) {
  PlanOptions o = LlamaPlan({Llama("hc1", 1)}, "ttft_p99<=20ms,tpot_p99<=1ms", 100000, 60);
  auto all_up = Plan(o);
  ASSERT_TRUE(all_up.ok()) << all_up.status();
  o.availability = [](const v1::Scenario& s) -> absl::StatusOr<ReplicaAvailability> {
    EXPECT_TRUE(s.workload().has_poisson());  // the answer's scenario
    return ReplicaAvailability{.availability = 0.5, .spares = 1, .extra_usd_per_hour = 2};
  };
  auto failing = Plan(o);
  ASSERT_TRUE(failing.ok()) << failing.status();
  const CandidateResult& a = all_up->front();
  const CandidateResult& b = failing->front();
  ASSERT_TRUE(a.feasible && b.feasible);
  EXPECT_EQ(b.tokens_per_s, a.tokens_per_s);  // capacity while up is unchanged
  EXPECT_EQ(b.replicas,
            static_cast<int64_t>(std::ceil(o.demand_tokens_per_s / (b.tokens_per_s * 0.5))));
  EXPECT_GE(b.replicas, 2 * a.replicas - 1);
  EXPECT_DOUBLE_EQ(b.fleet_usd_per_hour, b.replicas * (b.report.cost().total_usd_per_hour() + 2.0));
  EXPECT_EQ(b.availability.spares, 1);
}

}  // namespace
}  // namespace etchsim::plan
