// Bad input to `etchsim sweep`, `sweep merge` and `cost breakeven`: one
// line naming the input and field, exit code 2, no output files.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tools/cli_test_util.h"
#include "tools/commands.h"

namespace etchsim::tools {
namespace {

using Result = CliResult;

std::string Dir(const std::string& name) {
  auto p = std::filesystem::path(::testing::TempDir()) / ("sweep_cli_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

struct Case {
  std::vector<std::string> args;
  std::string err;  // substring of the one error line
};

class SweepBadInput : public ::testing::TestWithParam<Case> {};

TEST_P(SweepBadInput, OneLineExitTwoNothingWritten) {
  const std::string out = Dir("bad");
  std::vector<std::string> args = GetParam().args;
  if (args[0] == "sweep" && args.size() > 1 && args[1] != "merge") {
    args.push_back("--out-dir=" + out);
  }
  const Result r = RunCli(args);
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_THAT(r.err, ::testing::HasSubstr(GetParam().err));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out + "/sweep.csv"));
  EXPECT_FALSE(std::filesystem::exists(out + "/sweep.journal"));
}

INSTANTIATE_TEST_SUITE_P(
    Table, SweepBadInput,
    ::testing::Values(
        Case{{"sweep", "--axis=nosuch=1,2"}, "--axis nosuch: unknown scenario field \"nosuch\""},
        Case{{"sweep", "--axis=users=1,x"}, "--axis users: \"x\" is not an integer"},
        Case{{"sweep", "--axis=users="}, "--axis users: axis has no values"},
        Case{{"sweep", "--axis=users=0,1"}, "sweep point 0 (users=0)"},
        Case{{"sweep", "--axis=chip=hc1,nochip"}, "chip=nochip"},
        Case{{"sweep", "--axis=model=nomodel"}, "model=nomodel"},
        // A name that does not exist is a typo, not an infeasible point.
        Case{{"sweep", "--axis=kv_dtype=fp8,int3"}, "(kv_dtype=int3): unknown KV dtype \"int3\""},
        Case{{"sweep", "--axis=topology=blah"}, "(topology=blah): unknown topology \"blah\""},
        Case{{"sweep", "--axis=strategy=foo"}, "(strategy=foo): unknown strategy \"foo\""},
        Case{{"sweep", "--axis=card_link=nolink"}, "(card_link=nolink): unknown link \"nolink\""},
        Case{{"sweep", "--axis=server_link=/nonexistent/l.textproto"}, "/nonexistent/l.textproto"},
        Case{{"sweep", "--axis=prefill_chip=nochip", "--axis=prefill_chips=2"},
             "prefill_chip=nochip"},
        Case{{"sweep", "--axis=users=1", "--axis=workload.closed_loop.users=2"},
             "workload.closed_loop.users is already an axis"},
        Case{{"sweep"}, "give at least one --axis"},
        Case{{"sweep", "--axis=users=1", "--mode=fast"}, "--mode must be analytic, event or both"},
        Case{{"sweep", "--axis=users=1", "--shard=3/3"}, "--shard \"3/3\": expected I/N"},
        Case{{"sweep", "--axis=users=1", "--shard=x"}, "--shard \"x\""},
        Case{{"sweep", "--axis=users=1", "--mode=both", "--rank-by=nosuch"},
             "--rank-by: \"nosuch\" is not an analytic column"},
        Case{{"sweep", "--axis=users=1", "--jobs=-1"}, "--jobs must be >= 0"},
        Case{{"sweep", "--sweep=/nonexistent/s.textproto"}, "/nonexistent/s.textproto"},
        Case{{"sweep", "merge", "--out-dir=/tmp/x", "/nonexistent.journal"},
             "/nonexistent.journal"},
        Case{{"cost", "breakeven", "--demand=0"},
             "cost breakeven: --demand must be a finite number in (0, 1e+10], got 0"},
        Case{{"cost", "breakeven", "--hazard=1"},
             "cost breakeven: --hazard must be a finite number in [0, 0.999], got 1"},
        Case{{"cost", "breakeven", "--wafer-run-wafers=-2"},
             "--wafer-run-wafers must be in [0, 100000], got -2"},
        Case{{"cost", "breakeven", "--usd-per-wafer=inf"},
             "--usd-per-wafer must be a finite number in [0, 1e+07], got inf"},
        Case{{"cost", "breakeven", "--gpu-price=cheap"}, "--gpu-price must be hyperscaler"},
        Case{{"cost", "breakeven", "--gpu=wse3"}, "no sourced neocloud hourly price for wse3"},
        Case{{"cost", "breakeven", "--chip=h100"}, "--chip h100 is not a hard-wired chip"},
        Case{{"plan", "--model=llama-3.1-8b", "--slo=ttft_p99<500ms"},
             "expected METRIC_STAT<=VALUE"},
        Case{{"plan", "--model=llama-3.1-8b", "--slo=speed_p99<=1s"}, "unknown metric \"speed\""},
        Case{{"plan", "--model=deepseek-r1", "--slo=mlperf-interactive"},
             "no interactive latency limits for deepseek-r1"},
        Case{{"plan", "--model=llama-3.1-8b", "--candidates=hc1", "--demand=0"},
             "--demand must be > 0"},
        Case{{"plan", "--model=llama-3.1-8b", "--candidates=hc1:x"}, "--candidates \"hc1:x\""},
        Case{{"plan", "--model=llama-3.1-8b", "--candidates=hc1,nochip"},
             "--candidates \"nochip\": unknown chip \"nochip\""},
        Case{{"plan", "--model=llama-3.1-8b", "--demand-requests=-1"},
             "--demand-requests must be a finite number in (0, 1e+09]"},
        Case{{"plan", "--model=llama-3.1-8b", "--demand-requests=5", "--demand=3"},
             "give --demand or --demand-requests, not both"},
        Case{{"plan", "--model=llama-3.1-8b", "--slo=ttft_p100<=1s"}, "unknown statistic \"p100\""},
        Case{{"plan", "--model=llama-3.1-8b", "--chip-multiples=1,0.5"},
             "--chip-multiples \"0.5\": expected a number in [1, 16]"},
        Case{{"plan", "--model=llama-3.1-8b", "--chip-multiples=x"}, "--chip-multiples \"x\""},
        Case{{"plan", "--model=llama-3.1-8b", "--candidates=:3"}, "--candidates \":3\""},
        Case{{"plan", "--model=llama-3.1-8b", "--strategies=pipeline,zigzag"},
             "--strategies \"zigzag\": expected auto, pipeline or expert-spread"},
        Case{{"plan", "--model=llama-3.1-8b", "--topologies=torus"},
             "--topologies \"torus\": unknown topology"},
        Case{{"plan", "--model=llama-3.1-8b", "--draft-lens=0,-1"},
             "--draft-lens \"-1\": expected an integer in [0, 16]"},
        Case{{"plan", "--model=llama-3.1-8b", "--draft-lens=2x"},
             "--draft-lens \"2x\": expected an integer in [0, 16]"},
        Case{{"plan", "--model=llama-3.1-8b", "--pools=split"},
             "--pools \"split\": expected colocated, prefill=CHIP[:CHIPS[:TP]] or "
             "attention=CHIP[:N]"},
        Case{{"plan", "--model=llama-3.1-8b", "--pools=prefill="},
             "--pools: --prefill-pool: expected a chip name"},
        Case{{"plan", "--model=llama-3.1-8b", "--pools=attention=h100:x"},
             "--pools: --attention-pool: N is not an integer"},
        Case{{"plan", "--model=llama-3.1-8b", "--slo=mlperf-server", "--demand=100", "--spares=-1"},
             "--spares must be in [0, 4096], got -1"}));

TEST(SweepCliTest, PlanWithNoCandidateMeetingTheSloHasItsOwnExitCode) {
  const Result r =
      RunCli({"plan", "--model=llama-3.1-8b", "--candidates=hc1:1,h100:8", "--slo=tpot_p99<=10us",
              "--input-len=128", "--output-len=32", "--requests=10"});
  EXPECT_EQ(r.code, 3) << r.err;
  // Closest first: one hc1 misses 10 us by ~6x, eight H100s by ~500x.
  EXPECT_THAT(r.err, ::testing::HasSubstr("no candidate meets tpot_p99<=10us; closest: 1 x hc1 ("));
  EXPECT_THAT(r.err, ::testing::HasSubstr("; 8 x h100 ("));
  EXPECT_THAT(r.out, ::testing::HasSubstr("rejected 1 x hc1: tpot_p99<=0.01ms: even one user"));
}

TEST(SweepCliTest, PlanTakesDemandInRequestsPerSecond) {
  const Result r = RunCli({"plan", "--model=llama-3.1-8b", "--candidates=hc1:1",
                           "--slo=ttft_p95<=50ms,tpot_p99.9<=1ms", "--input-len=128",
                           "--output-len=32", "--requests=20", "--demand-requests=100"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out,
              ::testing::HasSubstr("llama-3.1-8b at 3,200 output tok/s (100.000 req/s x 32 "
                                   "mean output tokens), SLO ttft_p95<=50ms,tpot_p99.9<=1ms"));
}

// Chips per replica searched as multiples of the smallest count that
// fits; a count given explicitly is left alone, a repeated one kept once.
TEST(SweepCliTest, PlanSearchesChipsPerReplica) {
  const Result r = RunCli({"plan", "--model=llama-3.1-70b", "--candidates=hc1,hc2:9",
                           "--chip-multiples=1,1.5,2,2.01", "--slo=tpot_p99<=50ms",
                           "--input-len=128", "--output-len=16", "--requests=10"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* label : {"10 x hc1", "15 x hc1", "20 x hc1", "9 x hc2"}) {
    EXPECT_THAT(r.out, ::testing::HasSubstr(label)) << label;
  }
  EXPECT_THAT(r.out, ::testing::Not(::testing::HasSubstr("14 x hc2")));
}

TEST(SweepCliTest, OutDirHelpSaysWhatEachCommandWrites) {
  EXPECT_THAT(RunCli({"plan", "--help"}).out, ::testing::HasSubstr("plan.csv (one row per"));
  EXPECT_THAT(RunCli({"cost", "breakeven", "--help"}).out,
              ::testing::HasSubstr("lifetime.csv and demand.csv"));
  EXPECT_THAT(RunCli({"sweep", "--help"}).out, ::testing::HasSubstr("sweep.journal"));
  EXPECT_THAT(RunCli({"plan", "--help"}).out, ::testing::Not(::testing::HasSubstr("journal")));
}

// --pools crosses each candidate with serving designs; a design that does
// not apply to a candidate is a rejected row, not an abort.
TEST(SweepCliTest, PlanSearchesPoolDesigns) {
  const Result r =
      RunCli({"plan", "--model=llama-3.1-8b", "--candidates=hc1:30,h100:1",
              "--pools=colocated,prefill=h100:1,attention=h100:1", "--slo=tpot_p99<=50ms",
              "--input-len=256", "--output-len=32", "--requests=10", "--demand=10000"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("30 x hc1 [colocated]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("30 x hc1 + 1 x h100 prefill [prefill on 1 x h100]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr("30 x hc1 + 1 x h100 attention [attention on 1 x h100]"));
  EXPECT_THAT(r.out, ::testing::HasSubstr(
                         "rejected h100: scenario: attention_ffn: the FFN pool (chip) must be "
                         "hard-wired, got h100"));
}

TEST(SweepCliTest, UnwritableOutputFolder) {
  const Result r = RunCli({"sweep", "--axis=users=1", "--out-dir=/proc/no/such"});
  EXPECT_EQ(r.code, 2);
  EXPECT_THAT(r.err, ::testing::HasSubstr("--out-dir /proc/no/such: cannot create the folder"));
}

TEST(SweepCliTest, SweepFileAndResume) {
  const std::string dir = Dir("file");
  std::filesystem::create_directories(dir);
  {
    std::ofstream f(dir + "/s.textproto");
    f << "base { model: \"llama-3.1-8b\" chip: \"hc1\" max_requests: 1 "
         "workload { closed_loop { users: 1 } input_len { fixed: 64 } output_len { fixed: 16 } } "
         "}\n"
         "axes { field: \"chips\" values: \"1:3:1\" }\n"
         "axes { field: \"users\" values: \"1\" values: \"2\" }\n";
  }
  const Result a = RunCli({"sweep", "--sweep=" + dir + "/s.textproto", "--out-dir=" + dir + "/o"});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_THAT(a.out, ::testing::HasSubstr("6 point(s): 6 evaluated, 0 resumed"));
  const Result b = RunCli({"sweep", "--sweep=" + dir + "/s.textproto", "--out-dir=" + dir + "/o"});
  ASSERT_EQ(b.code, 0) << b.err;
  EXPECT_THAT(b.out, ::testing::HasSubstr("6 point(s): 0 evaluated, 6 resumed"));
  const Result c =
      RunCli({"sweep", "--sweep=" + dir + "/s.textproto", "--model=x", "--out-dir=" + dir + "/o"});
  EXPECT_EQ(c.code, 2);
  EXPECT_THAT(c.err, ::testing::HasSubstr("set --model in the file's base scenario"));
}

}  // namespace
}  // namespace etchsim::tools
