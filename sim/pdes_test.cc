// The conservative parallel protocol, run over an in-memory transport with
// every stage in its own executor, must reproduce the single-process
// report byte for byte.
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "report/analytic.h"
#include "report/report.h"
#include "serving/engine.h"
#include "sim/channels.h"
#include "sim/pdes_memory.h"
#include "sim/run_protocol.h"
#include "sim/scenario.h"

namespace etchsim::sim {
namespace {

std::string InProcess(const Simulation& sim) {
  auto r = sim.RunInProcess();
  EXPECT_TRUE(r.ok()) << r.status();
  return report::ReportJsonText(*report::BuildReport(*r, report::Analyze(sim)));
}

// The in-memory partitioned run (sim/pdes_memory.h): the same control
// code the gRPC processes run, over mailboxes.
std::string Partitioned(const Simulation& sim, int stages_per_rank = 1) {
  auto res = RunPartitionedInMemory(sim, stages_per_rank);
  EXPECT_TRUE(res.ok()) << res.status();
  if (!res.ok()) return "";
  return report::ReportJsonText(*report::BuildReport(*res, report::Analyze(sim)));
}

std::unique_ptr<Simulation> Build(v1::Scenario s) {
  auto sim = Simulation::Build(std::move(s));
  EXPECT_TRUE(sim.ok()) << sim.status();
  return std::move(*sim);
}

TEST(PdesTest, ChannelsFollowMessageFlows) {
  auto sim = Build(DefaultScenario());  // R1 on 30 chips, 3 servers
  const serving::ChannelPlan plan = PlanChannels(*sim);
  EXPECT_EQ(plan.num_ranks, 31);
  // Inside a server a chip talks to the next directly; across servers via
  // the coordinator's switches.
  auto has = [&](int a, int b) {
    for (const serving::Channel& c : plan.channels) {
      if (c.from == a && c.to == b) return true;
    }
    return false;
  };
  EXPECT_TRUE(has(1, 2));    // chip0 -> chip1
  EXPECT_TRUE(has(10, 0));   // chip9 -> server0 switch
  EXPECT_TRUE(has(0, 11));   // spine -> chip10 (server1 switch skipped)
  EXPECT_FALSE(has(0, 15));  // nothing reaches chip14 through a switch
  EXPECT_TRUE(has(30, 0));   // last chip -> host / chip0 via switches
  for (const serving::Channel& c : plan.channels) EXPECT_GT(c.hop_delay, SimTime::Zero());
  // A chip's reaction is at least one of its segments (two R1 layers).
  EXPECT_GT(plan.channels[0].reaction + plan.channels[0].hop_delay, SimTime::Nanos(300));
}

TEST(PdesTest, SeveralChipsPerRank) {
  auto sim = Build(DefaultScenario());  // R1 on 30 chips, 3 servers of 10
  EXPECT_EQ(NumRanks(30, 10), 4);
  EXPECT_EQ(NumRanks(30, 7), 6);  // 7, 7, 7, 7, 2
  EXPECT_EQ(NumRanks(30, 64), 2);
  const serving::ChannelPlan plan = PlanChannels(*sim, 10);
  EXPECT_EQ(plan.num_ranks, 4);
  EXPECT_EQ(plan.rank_of_lp[sim->stage_lp(0)], 1);
  EXPECT_EQ(plan.rank_of_lp[sim->stage_lp(9)], 1);
  EXPECT_EQ(plan.rank_of_lp[sim->stage_lp(10)], 2);
  EXPECT_EQ(plan.rank_of_lp[sim->stage_lp(29)], 3);
  // One server per rank: chips inside it talk in memory, so the only
  // channels are each server's to and from the coordinator's switches.
  std::set<std::pair<int, int>> edges;
  for (const serving::Channel& c : plan.channels) edges.insert({c.from, c.to});
  const std::set<std::pair<int, int>> want = {{0, 1}, {1, 0}, {0, 2}, {2, 0}, {0, 3}, {3, 0}};
  EXPECT_EQ(edges, want);

  // A token entering server 1's process leaves only after its 10 chips
  // computed: the channel back to the coordinator promises ~10 segments
  // where one chip per process promises one.
  const serving::ChannelPlan single = PlanChannels(*sim, 1);
  auto channel = [](const serving::ChannelPlan& p, int from, int to) -> const serving::Channel* {
    for (const serving::Channel& c : p.channels) {
      if (c.from == from && c.to == to) return &c;
    }
    return nullptr;
  };
  const serving::Channel* last_chip_out = channel(single, 20, 0);  // chip 19 alone
  const serving::Channel* server_out = channel(plan, 2, 0);        // chips 10-19
  ASSERT_NE(last_chip_out, nullptr);
  ASSERT_NE(server_out, nullptr);
  EXPECT_GE(server_out->reaction.picos(), 9 * last_chip_out->reaction.picos());
  // Inside the process, chip 19 (the sender) leads to the channel at once,
  // chip 10 only after 9 chips' compute; and the channel into the process
  // reaches chip 10 at once, chip 19 after 9 chips.
  EXPECT_EQ(server_out->lead[sim->stage_lp(19)], SimTime::Zero());
  EXPECT_GE(server_out->lead[sim->stage_lp(10)].picos(), 8 * last_chip_out->reaction.picos());
  EXPECT_EQ(server_out->lead[sim->stage_lp(25)], SimTime::Max());  // another process
  const serving::Channel* server_in = channel(plan, 0, 2);
  ASSERT_NE(server_in, nullptr);
  EXPECT_EQ(server_in->reach[sim->stage_lp(10)], SimTime::Zero());
  EXPECT_GE(server_in->reach[sim->stage_lp(19)].picos(), 9 * last_chip_out->reaction.picos());
}

// The batches a layout costs (what a distributed run pays per message):
// with a server's chips in one process, fewer than one process per chip.
TEST(PdesTest, ChipsPerProcessExchangeFewerBatches) {
  v1::Scenario s = DefaultScenario();
  s.set_max_requests(1);
  s.mutable_workload()->mutable_output_len()->set_fixed(32);
  auto sim = Build(s);
  InMemoryStats one, ten;
  ASSERT_TRUE(RunPartitionedInMemory(*sim, 1, &one).ok());
  ASSERT_TRUE(RunPartitionedInMemory(*sim, 10, &ten).ok());
  EXPECT_EQ(one.events, ten.events);
  EXPECT_LT(3 * ten.batches, one.batches) << one.batches << " vs " << ten.batches;
}

struct Case {
  std::string name;
  v1::Scenario scenario;
};
void RunCase(const Case& c, std::vector<int> stages_per_rank = {1}) {
  SCOPED_TRACE(c.name);
  auto sim = Build(c.scenario);
  const std::string want = InProcess(*sim);
  for (int k : stages_per_rank) {
    SCOPED_TRACE(absl::StrCat(k, " stages per rank"));
    const std::string got = Partitioned(*sim, k);
    EXPECT_EQ(got, want);
  }
  EXPECT_NE(want.find("\"requests_completed\""), std::string::npos);
}

v1::Scenario With(std::function<void(v1::Scenario&)> f) {
  v1::Scenario s = DefaultScenario();
  s.set_max_requests(3);
  f(s);
  return s;
}

TEST(PdesTest, PartitionedRunsAreByteIdenticalToInProcess) {
  const std::vector<Case> cases = {
      {"dense_4_chips", With([](v1::Scenario& s) {
         s.set_model("llama-3.1-70b");
         s.set_chips(4);
         s.mutable_workload()->mutable_closed_loop()->set_users(3);
         s.mutable_workload()->mutable_input_len()->set_fixed(200);
         s.mutable_workload()->mutable_output_len()->set_fixed(64);
       })},
      {"moe_spread_28_poisson", With([](v1::Scenario& s) {
         s.set_chips(28);
         s.mutable_workload()->mutable_poisson()->set_rate_per_s(200);
         s.mutable_workload()->mutable_input_len()->mutable_uniform()->set_min(32);
         s.mutable_workload()->mutable_input_len()->mutable_uniform()->set_max(300);
         s.mutable_workload()->mutable_output_len()->set_fixed(32);
         s.set_max_requests(0);
         s.set_duration_s(0.02);
         s.mutable_speculative()->set_draft_len(2);
         s.mutable_speculative()->set_acceptance_rate(0.7);
       })},
      {"r1_30_users", With([](v1::Scenario& s) {
         s.mutable_workload()->mutable_closed_loop()->set_users(20);
         s.mutable_workload()->mutable_input_len()->set_fixed(128);
         s.mutable_workload()->mutable_output_len()->set_fixed(64);
         s.set_max_requests(25);
       })},
      {"mixtral_chain", With([](v1::Scenario& s) {
         s.set_model("mixtral-8x7b");
         s.set_chip("hc1");
         s.set_chips(9);
         s.set_strategy("expert-spread");
         s.mutable_topology()->set_kind("chain");
         s.mutable_workload()->mutable_closed_loop()->set_users(3);
         s.mutable_workload()->mutable_input_len()->set_fixed(150);
         s.mutable_workload()->mutable_output_len()->set_fixed(40);
       })},
      {"gpus_two_stages", With([](v1::Scenario& s) {
         s.set_chip("h100");
         s.set_chips(16);
         s.mutable_workload()->mutable_closed_loop()->set_users(4);
         s.mutable_workload()->mutable_output_len()->set_fixed(16);
       })},
  };
  // One chip per rank, a server's 10 cards per rank, an uneven split, and
  // every chip in one rank.
  for (const Case& c : cases) RunCase(c, {1, 10, 7, 64});
}

// A trace that runs out before max_requests: the host ends the run at the
// last completion, so a partitioned run terminates instead of stepping idle
// time to infinity, and both runs end at the same instant.
TEST(PdesTest, DrainedTraceEndsAtLastCompletion) {
  const std::string path = ::testing::TempDir() + "/etchsim_pdes_trace.csv";
  {
    std::ofstream f(path);
    f << "arrival_s,input_len,output_len\n0,100,20\n0.0001,50,30\n0.0002,80,10\n";
  }
  RunCase({"drained_trace", With([&](v1::Scenario& s) {
             s.set_model("llama-3.1-70b");
             s.set_chips(4);
             s.mutable_workload()->mutable_trace()->set_path(path);
             s.set_max_requests(100);
           })});
}

// Think time and sparse arrivals: with every channel empty, the run jumps
// to the next queued event rather than crossing the quiet stretch one
// lookahead at a time (--think-time 5 --requests 2 took 9.6 s over chip
// processes), and still matches the in-process report byte for byte.
TEST(PdesTest, IdleTimeIsSkippedNotCrept) {
  const Case think = {"think_5s", With([](v1::Scenario& s) {
                        s.set_model("llama-3.1-8b");
                        s.set_chip("hc1");
                        s.set_chips(4);
                        s.mutable_workload()->mutable_closed_loop()->set_users(1);
                        s.mutable_workload()->mutable_closed_loop()->set_think_time_s(5);
                        s.mutable_workload()->mutable_input_len()->set_fixed(64);
                        s.mutable_workload()->mutable_output_len()->set_fixed(8);
                        s.set_max_requests(2);
                      })};
  const Case sparse = {"poisson_0.01", With([](v1::Scenario& s) {
                         s.set_model("llama-3.1-8b");
                         s.set_chip("hc1");
                         s.set_chips(4);
                         s.mutable_workload()->mutable_poisson()->set_rate_per_s(0.01);
                         s.mutable_workload()->mutable_input_len()->set_fixed(64);
                         s.mutable_workload()->mutable_output_len()->set_fixed(8);
                         s.set_max_requests(0);
                         s.set_duration_s(300);
                       })};
  for (const Case& c : {think, sparse}) {
    RunCase(c, {1, 3});
    auto sim = Build(c.scenario);
    InMemoryStats st;
    ASSERT_TRUE(RunPartitionedInMemory(*sim, 1, &st).ok());
    // A round is one pass of every rank: what a null-message round trip
    // costs over the network. Each request is a few hundred; the idle
    // stretches were millions.
    EXPECT_LT(st.rounds, 5000) << c.name;
  }
}

}  // namespace
}  // namespace etchsim::sim
