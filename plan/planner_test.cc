#include "plan/planner.h"

#include "cluster/analytic.h"
#include "cluster/report.h"
#include "cluster/scenario.h"
#include "cluster/simulation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::plan {
namespace {

v1::Scenario Llama(const std::string& chip, int chips) {
  v1::Scenario s = cluster::DefaultScenario();
  s.set_model("llama-3.1-8b");
  s.set_chip(chip);
  s.set_chips(chips);
  s.mutable_workload()->mutable_input_len()->set_fixed(128);
  s.mutable_workload()->mutable_output_len()->set_fixed(64);
  return s;
}

TEST(PlannerTest, ChosenReplicaMeetsTheSloWhenSimulatedAtTheReportedLoad) {
  PlanOptions o;
  o.candidates = {Llama("hc1", 1), Llama("hc1", 2)};
  auto slo = ParseSlo("ttft_p99<=20ms,tpot_p99<=1ms", "llama-3.1-8b");
  ASSERT_TRUE(slo.ok());
  o.slo = *slo;
  o.demand_tokens_per_s = 100000;
  o.requests = 60;
  o.iterations = 5;
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
  auto sim = cluster::Simulation::Build(best.scenario);
  ASSERT_TRUE(sim.ok()) << sim.status();
  auto run = (*sim)->RunInProcess();
  ASSERT_TRUE(run.ok());
  auto report = cluster::BuildReport(*run, cluster::Analyze(**sim));
  ASSERT_TRUE(report.ok());
  EXPECT_GT(report->requests_completed(), 0);
  for (const SloTerm& t : o.slo.terms) {
    EXPECT_LE(Observed(*report, t), t.limit_s) << t.Describe();
  }
  EXPECT_TRUE(best.pareto_user || best.pareto_chip);
}

TEST(PlannerTest, RejectsNameTheBindingConstraint) {
  PlanOptions o;
  o.candidates = {Llama("hc1", 1), Llama("h100", 8)};
  // hc1 single-user TPOT is ~59 us; 10 us cannot be met by anyone.
  auto slo = ParseSlo("tpot_p99<=10us", "llama-3.1-8b");
  ASSERT_TRUE(slo.ok());
  o.slo = *slo;
  o.demand_tokens_per_s = 1000;
  o.requests = 20;
  auto plan = Plan(o);
  ASSERT_TRUE(plan.ok());
  for (const CandidateResult& c : *plan) {
    EXPECT_FALSE(c.feasible);
    EXPECT_THAT(c.reason, ::testing::HasSubstr("tpot_p99<=0.01ms: even one user takes"));
  }
}

TEST(PlannerTest, DemandMustBePositive) {
  PlanOptions o;
  o.candidates = {Llama("hc1", 1)};
  o.demand_tokens_per_s = 0;
  auto plan = Plan(o);
  ASSERT_FALSE(plan.ok());
  EXPECT_THAT(std::string(plan.status().message()), ::testing::HasSubstr("--demand must be > 0"));
}

}  // namespace
}  // namespace etchsim::plan
