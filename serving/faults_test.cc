#include "serving/faults.h"

#include "base/text_proto.h"
#include "gtest/gtest.h"
#include "report/analytic.h"
#include "report/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::serving {
namespace {

v1::Faults Parse(const std::string& text) {
  v1::Faults f;
  const absl::Status st = base::ParseTextProtoInto(text, "faults", &f);
  EXPECT_TRUE(st.ok()) << st;
  return f;
}

TEST(ValidateFaultsTest, AcceptsAWellFormedSection) {
  const v1::Faults f = Parse(R"pb(
    chip_failures { stage: 2 at_s: 1 spare: true reload_s: 3 }
    link_faults { link: "chip0->server0" start_s: 1 end_s: 2 latency_factor: 4 }
    stragglers { stage: 1 slowdown: 2 }
    detect_s: 0.5
    max_retries: 2
  )pb");
  EXPECT_TRUE(ValidateFaults(f, 10).ok());
}

TEST(ValidateFaultsTest, NamesTheBadField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"chip_failures { stage: -1 at_s: 1 spare: true }", "faults.chip_failures[0].stage"},
      {"chip_failures { stage: 0 at_s: nan spare: true }", "faults.chip_failures[0].at_s"},
      {"chip_failures { stage: 0 at_s: 1e30 spare: true }", "faults.chip_failures[0].at_s"},
      {"chip_failures { stage: 0 at_s: 1 reload_s: 2 }", "faults.chip_failures[0].reload_s"},
      {"chip_failures { stage: 0 at_s: 20 spare: true }", "faults.chip_failures[0].at_s"},
      {"link_faults { start_s: 1 drop: true }", "faults.link_faults[0].link"},
      {"link_faults { link: \"a->b\" latency_factor: 0.5 }",
       "faults.link_faults[0].latency_factor"},
      {"link_faults { link: \"a->b\" bandwidth_factor: inf }",
       "faults.link_faults[0].bandwidth_factor"},
      {"link_faults { link: \"a->b\" latency_factor: 1 }", "does nothing"},
      {"link_faults { link: \"a->b\" start_s: 2 end_s: 1 drop: true }",
       "faults.link_faults[0].end_s"},
      {"stragglers { stage: 0 }", "faults.stragglers[0].slowdown"},
      {"stragglers { stage: 0 slowdown: 2000 }", "faults.stragglers[0].slowdown"},
      {"detect_s: -1", "faults.detect_s"},
      {"max_retries: 1000", "faults.max_retries"},
  };
  for (const auto& [text, field] : cases) {
    SCOPED_TRACE(text);
    const absl::Status st = ValidateFaults(Parse(text), 10);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find(field), std::string::npos) << st;
  }
}

TEST(ValidateFaultsTest, AFaultThatNeverEndsNeedsADuration) {
  EXPECT_FALSE(ValidateFaults(Parse("chip_failures { stage: 0 at_s: 1 }"), 0).ok());
  EXPECT_TRUE(ValidateFaults(Parse("chip_failures { stage: 0 at_s: 1 }"), 5).ok());
  EXPECT_FALSE(ValidateFaults(Parse("link_faults { link: \"a->b\" drop: true }"), 0).ok());
}

// A small R1 cluster: 30 stages over servers, the vendor's configuration.
v1::Scenario R1(const std::string& faults) {
  v1::Scenario s = sim::DefaultScenario();
  s.set_max_requests(0);
  s.set_duration_s(0.6);
  s.mutable_workload()->mutable_closed_loop()->set_users(4);
  s.mutable_workload()->mutable_closed_loop()->set_ramp_up_s(0.01);
  s.mutable_workload()->mutable_input_len()->set_fixed(64);
  s.mutable_workload()->mutable_output_len()->set_fixed(32);
  *s.mutable_faults() = Parse(faults);
  return s;
}

v1::Report RunReport(const v1::Scenario& s) {
  auto sim = sim::Simulation::Build(s);
  EXPECT_TRUE(sim.ok()) << sim.status();
  auto r = (*sim)->RunInProcess();
  EXPECT_TRUE(r.ok()) << r.status();
  auto report = report::BuildReport(*r, report::Analyze(**sim));
  EXPECT_TRUE(report.ok()) << report.status();
  return *report;
}

const v1::PhaseReport* PhaseNamed(const v1::Report& r, const std::string& name) {
  for (const v1::PhaseReport& p : r.faults().phases()) {
    if (p.name() == name) return &p;
  }
  return nullptr;
}

TEST(FaultPlanTest, RejectsUnknownStagesAndLinks) {
  for (const std::string& faults :
       {std::string("chip_failures { stage: 30 at_s: 0.1 spare: true }"),
        std::string("stragglers { stage: 99 slowdown: 2 }"),
        std::string("link_faults { link: \"chip0->nowhere\" drop: true end_s: 0.2 }")}) {
    auto sim = sim::Simulation::Build(R1(faults));
    ASSERT_FALSE(sim.ok()) << faults;
    EXPECT_NE(sim.status().message().find("faults."), std::string::npos) << sim.status();
  }
}

TEST(FaultPlanTest, DowntimeIsTheUnionOfOutages) {
  auto sim = sim::Simulation::Build(R1(R"pb(
    chip_failures { stage: 1 at_s: 0.1 spare: true reload_s: 0.2 }
    chip_failures { stage: 2 at_s: 0.2 spare: true reload_s: 0.2 }
    detect_s: 0.05
  )pb"));
  ASSERT_TRUE(sim.ok()) << sim.status();
  const FaultPlan& f = *(*sim)->faults();
  EXPECT_EQ(f.Downtime(SimTime::Zero(), SimTime::Seconds(1)), SimTime::Millis(300));
  EXPECT_EQ(f.Downtime(SimTime::Millis(150), SimTime::Millis(250)), SimTime::Millis(100));
  EXPECT_FALSE(f.Paused(SimTime::Millis(140)));
  EXPECT_TRUE(f.Paused(SimTime::Millis(160)));
  EXPECT_TRUE(f.StageDown(1, SimTime::Millis(100)));
  EXPECT_FALSE(f.StageDown(1, SimTime::Millis(300)));
  EXPECT_EQ(f.PhaseOf(SimTime::Millis(50)), 0);
  EXPECT_EQ(f.PhaseOf(SimTime::Millis(350)), 1);
  EXPECT_EQ(f.PhaseOf(SimTime::Millis(400)), 2);
}

TEST(FaultPlanTest, BothDirectionsOfALink) {
  auto sim = sim::Simulation::Build(R1(R"pb(
    link_faults { link: "chip0<->server0" latency_factor: 3 bandwidth_factor: 2 }
  )pb"));
  ASSERT_TRUE(sim.ok()) << sim.status();
  const FaultPlan& f = *(*sim)->faults();
  int affected = 0;
  for (size_t li = 0; li < (*sim)->topology().links().size(); ++li) {
    if (!f.LinkAffected(static_cast<int>(li))) continue;
    ++affected;
    EXPECT_EQ(f.Link(static_cast<int>(li), SimTime::Seconds(1)).latency_factor, 3);
  }
  EXPECT_EQ(affected, 2);
}

TEST(FaultSimulationTest, NoFaultsNoFaultReport) {
  const v1::Report r = RunReport(R1(""));
  EXPECT_FALSE(r.has_faults());
}

TEST(FaultSimulationTest, SpareTakesOverAndRetriedRequestsComplete) {
  const v1::Report r = RunReport(R1(R"pb(
    chip_failures { stage: 10 at_s: 0.2 spare: true reload_s: 0.1 }
    detect_s: 0.01
    max_retries: 1
  )pb"));
  ASSERT_TRUE(r.has_faults());
  const v1::FaultReport& f = r.faults();
  EXPECT_NEAR(f.downtime_s(), 0.1, 1e-9);
  EXPECT_NEAR(f.availability(), 1 - 0.1 / r.measured_s(), 1e-9);
  EXPECT_EQ(f.requests_failed(), 0);
  EXPECT_GT(f.requests_retried(), 0);
  EXPECT_LE(f.requests_retried(), 4);  // at most the four users' requests
  const v1::PhaseReport* before = PhaseNamed(r, "before");
  const v1::PhaseReport* during = PhaseNamed(r, "during");
  const v1::PhaseReport* after = PhaseNamed(r, "after");
  ASSERT_TRUE(before && during && after);
  EXPECT_NEAR(during->availability(), 0, 1e-12);
  EXPECT_EQ(during->requests_completed(), 0);
  EXPECT_GT(after->requests_completed(), 0);
  // Retried requests waited out the outage: their end-to-end time shows it.
  EXPECT_GT(after->e2e_s().p99(), 0.1);
  EXPECT_LT(before->e2e_s().p99(), 0.1);
}

TEST(FaultSimulationTest, WithoutRetriesRequestsInFlightFail) {
  const v1::Report r = RunReport(R1(R"pb(
    chip_failures { stage: 10 at_s: 0.2 spare: true reload_s: 0.1 }
  )pb"));
  EXPECT_GT(r.faults().requests_failed(), 0);
  EXPECT_EQ(r.faults().requests_retried(), 0);
  EXPECT_LT(r.faults().request_success(), 1);
}

TEST(FaultSimulationTest, WithoutASpareTheClusterStaysDown) {
  const v1::Report r = RunReport(R1("chip_failures { stage: 0 at_s: 0.2 }"));
  EXPECT_NEAR(r.faults().availability(), 0.2 / 0.6, 1e-9);
  EXPECT_EQ(PhaseNamed(r, "after"), nullptr);
  EXPECT_EQ(PhaseNamed(r, "during")->requests_completed(), 0);
  EXPECT_EQ(PhaseNamed(r, "during")->output_tokens_per_s(), 0);
}

TEST(FaultSimulationTest, StragglerSlowsTokens) {
  const v1::Report r = RunReport(R1("stragglers { stage: 3 slowdown: 4 start_s: 0.2 end_s: 0.4 }"));
  EXPECT_EQ(r.faults().availability(), 1);
  const double before = PhaseNamed(r, "before")->tpot_s().p50();
  const double during = PhaseNamed(r, "during")->tpot_s().p50();
  const double after = PhaseNamed(r, "after")->tpot_s().p50();
  // One of 30 stages at a quarter speed adds three of its ~9 us per token:
  // a few percent of a ~0.4 ms TPOT, not 4x.
  EXPECT_GT(during, 1.03 * before);
  EXPECT_LT(during, 1.5 * before);
  EXPECT_NEAR(after / before, 1, 0.02);
}

TEST(FaultSimulationTest, DegradedLinkAddsLatency) {
  // every token crosses chip0's card link: a slower one lengthens every step.
  const v1::Report r = RunReport(R1(R"pb(
    link_faults { link: "chip0->server0" start_s: 0.2 end_s: 0.4 latency_factor: 1000 }
  )pb"));
  const double before = PhaseNamed(r, "before")->tpot_s().p50();
  const double during = PhaseNamed(r, "during")->tpot_s().p50();
  EXPECT_GT(during, before);
}

TEST(FaultSimulationTest, DroppedLinkIsAnOutage) {
  const v1::Report r = RunReport(R1(R"pb(
    link_faults { link: "chip0->server0" start_s: 0.2 end_s: 0.3 drop: true }
    detect_s: 0.01
    max_retries: 3
  )pb"));
  EXPECT_NEAR(r.faults().downtime_s(), 0.1, 1e-9);
  EXPECT_EQ(r.faults().requests_failed(), 0);
  EXPECT_GT(PhaseNamed(r, "after")->requests_completed(), 0);
}

TEST(FaultSimulationTest, SameSeedSameReport) {
  const v1::Scenario s = R1(R"pb(
    chip_failures { stage: 5 at_s: 0.15 spare: true reload_s: 0.05 }
    stragglers { stage: 7 slowdown: 1.5 }
    max_retries: 2
  )pb");
  EXPECT_EQ(report::ReportJsonText(RunReport(s)), report::ReportJsonText(RunReport(s)));
}

TEST(FaultSimulationTest, DistributedModeRejectsFaults) {
  const absl::Status st = CheckNoFaultsForDistributed(R1("stragglers { stage: 1 slowdown: 2 }"));
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(CheckNoFaultsForDistributed(R1("")).ok());
}

}  // namespace
}  // namespace etchsim::serving
