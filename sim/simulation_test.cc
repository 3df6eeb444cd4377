#include "sim/simulation.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "report/analytic.h"
#include "report/report.h"
#include "sim/scenario.h"

namespace etchsim::sim {
namespace {

v1::Scenario Base(const std::string& model, const std::string& chip, int chips) {
  v1::Scenario s = DefaultScenario();
  s.set_model(model);
  s.set_chip(chip);
  s.set_chips(chips);
  s.set_max_requests(2);
  return s;
}

struct Outcome {
  SimulationResult r;
  report::AnalyticEstimate a;
  nlohmann::ordered_json j;
};

Outcome Simulate(const v1::Scenario& s) {
  auto sim = Simulation::Build(s);
  EXPECT_TRUE(sim.ok()) << sim.status();
  auto r = (*sim)->RunInProcess();
  EXPECT_TRUE(r.ok()) << r.status();
  Outcome out{*r, report::Analyze(**sim), {}};
  out.j = report::ReportJson(*report::BuildReport(out.r, out.a));
  return out;
}

// At low load (one user) the event engine must agree with the analytic
// fast path within 1%.
TEST(SimulationTest, EngineAgreesWithAnalyticAtLowLoad) {
  for (const auto& [model, chip, chips] :
       std::vector<std::tuple<std::string, std::string, int>>{{"deepseek-r1", "hc2", 30},
                                                              {"llama-3.1-8b", "hc1", 1},
                                                              {"llama-3.1-70b", "hc2", 0},
                                                              {"deepseek-r1", "b200", 8},
                                                              {"mixtral-8x7b", "h100", 1},
                                                              {"llama-3.1-70b", "wse3", 0}}) {
    SCOPED_TRACE(model + " on " + chip);
    Outcome run = Simulate(Base(model, chip, chips));
    const double tpot = run.j["tpot_s"]["mean"].get<double>();
    EXPECT_NEAR(tpot / run.a.single_user_tpot_s, 1.0, 0.01);
    const double tps = run.j["tokens_per_s_per_user"]["mean"].get<double>();
    EXPECT_NEAR(tps / run.a.single_user_tokens_per_s, 1.0, 0.01);
    const double ttft = run.j["ttft_s"]["mean"].get<double>();
    EXPECT_NEAR(ttft / run.a.single_user_ttft_s, 1.0, 0.01);
  }
}

TEST(SimulationTest, ExpertSpreadAgreesWithAnalyticAtLowLoad) {
  // The analytic path uses expected remote-expert branches; the engine
  // draws each token's experts. Over 1,023 decode steps they agree.
  Outcome run = Simulate(Base("deepseek-r1", "hc2", 28));
  EXPECT_EQ(run.j["strategy"], "expert-spread");
  EXPECT_NEAR(run.j["tpot_s"]["mean"].get<double>() / run.a.single_user_tpot_s, 1.0, 0.01);
  double expert_util = 0;
  for (const auto& c : run.j["chips"]) expert_util += c["expert_utilization"].get<double>();
  EXPECT_GT(expert_util, 0.0);
}

TEST(SimulationTest, HcOneCalibrationHolds) {
  // The preset's calibrated constant reproduces Taalas' 16,960 tok/s.
  Outcome run = Simulate(Base("llama-3.1-8b", "hc1", 1));
  EXPECT_NEAR(run.j["tokens_per_s_per_user"]["mean"].get<double>(), 16960, 5);
}

TEST(SimulationTest, SameSeedSameBytesDifferentSeedDifferent) {
  v1::Scenario s = Base("deepseek-r1", "hc2", 28);
  s.mutable_workload()->mutable_poisson()->set_rate_per_s(400);
  s.mutable_workload()->mutable_input_len()->mutable_lognormal()->set_median(256);
  s.mutable_workload()->mutable_input_len()->mutable_lognormal()->set_sigma(0.8);
  s.mutable_workload()->mutable_output_len()->mutable_uniform()->set_min(16);
  s.mutable_workload()->mutable_output_len()->mutable_uniform()->set_max(128);
  s.set_max_requests(0);
  s.set_duration_s(0.05);
  const std::string a = Simulate(s).j.dump();
  const std::string b = Simulate(s).j.dump();
  EXPECT_EQ(a, b);
  s.set_seed(2);
  EXPECT_NE(Simulate(s).j.dump(), a);
}

TEST(SimulationTest, KvAdmissionBoundsConcurrency) {
  // HC1 holds two 2,048-token fp8 contexts of Llama 3.1 8B; four users queue.
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.mutable_workload()->mutable_closed_loop()->set_users(4);
  s.set_max_requests(8);
  Outcome run = Simulate(s);
  EXPECT_EQ(run.j["kv_cache"]["capacity_tokens"].get<int64_t>(), 4096);
  EXPECT_LE(run.j["kv_cache"]["peak_tokens"].get<int64_t>(), 4096);
  EXPECT_GT(run.j["queue_s"]["mean"].get<double>(), 0.0);
  EXPECT_EQ(run.j["requests_completed"].get<int64_t>(), 8);
  // Two requests share the chip's pipeline, so each is a little slower.
  EXPECT_LT(run.j["tokens_per_s_per_user"]["mean"].get<double>(), 16960);
  EXPECT_LE(run.j["chips"][0]["kv_occupancy_peak"].get<double>(), 1.0);
}

TEST(SimulationTest, WindowedLayersAdmitByTheirWindow) {
  // Gemma 3 27B on 8 HC1s: 8,448-token requests need 8,448 tokens at the
  // full rate, more than the 7,281 the tightest chip holds, but five of
  // its six layers keep only 1,024 positions: two fit at once (by hand in
  // kv_budget_test.cc), and the engine never admits a third.
  v1::Scenario s = Base("gemma-3-27b", "hc1", 8);
  s.mutable_workload()->mutable_input_len()->set_fixed(8192);
  s.mutable_workload()->mutable_output_len()->set_fixed(256);
  s.mutable_workload()->mutable_closed_loop()->set_users(4);
  s.set_max_requests(8);
  Outcome run = Simulate(s);
  EXPECT_EQ(run.j["kv_cache"]["capacity_tokens"].get<int64_t>(), 7281);
  EXPECT_TRUE(run.j["kv_cache"]["windowed_layers"].get<bool>());
  EXPECT_EQ(run.j["analytic"]["max_concurrent_requests"].get<int64_t>(), 2);
  EXPECT_GT(run.j["kv_cache"]["peak_tokens"].get<int64_t>(), 7281);
  EXPECT_LE(run.j["kv_cache"]["peak_tokens"].get<int64_t>(), 2 * 8448);
  EXPECT_GT(run.j["queue_s"]["mean"].get<double>(), 0.0);
  for (const auto& c : run.j["chips"]) {
    EXPECT_LE(c["kv_occupancy_peak"].get<double>(), 1.0);
    if (c["kv_bytes_per_token"].get<int64_t>() > 0) {
      EXPECT_GT(c["kv_occupancy_peak"].get<double>(), 0.4);
    }
  }
  EXPECT_EQ(run.j["requests_completed"].get<int64_t>(), 8);
}

// Llama 3.1 8B on one HC1 (4,096 fp8 tokens of KV), 8 users of 512 / 1,024
// tokens: reservation admits two at a time; paging admits more, preempts
// when the blocks run out, and still completes every request.
v1::Scenario PagedBase(const std::string& policy, const std::string& preemption, double gbps) {
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.mutable_workload()->mutable_input_len()->set_fixed(512);
  s.mutable_workload()->mutable_output_len()->set_fixed(1024);
  s.mutable_workload()->mutable_closed_loop()->set_users(8);
  s.set_max_requests(32);
  s.mutable_kv_policy()->set_kind(policy);
  if (!preemption.empty()) s.mutable_kv_policy()->set_preemption(preemption);
  if (gbps > 0) s.mutable_kv_policy()->set_swap_gb_per_s(gbps);
  ApplyDefaults(s);
  return s;
}

TEST(SimulationTest, PagedKvPreemptsAndCompletesEveryRequest) {
  Outcome reserve = Simulate(PagedBase("reserve", "", 0));
  Outcome paged = Simulate(PagedBase("paged", "", 0));
  EXPECT_FALSE(reserve.j["kv_cache"].contains("policy"));
  EXPECT_EQ(paged.j["kv_cache"]["policy"], "paged, 16-token blocks, recompute");
  EXPECT_GT(paged.j["kv_cache"]["preemptions"].get<int64_t>(), 0);
  EXPECT_FALSE(paged.j["kv_cache"].contains("swapped_bytes"));
  EXPECT_EQ(paged.j["requests_completed"].get<int64_t>(), 32);
  // Never more than the chip holds; more of it in use than with whole
  // reservations (which leave 3,070 of 4,096 at most).
  EXPECT_LE(paged.j["kv_cache"]["peak_tokens"].get<int64_t>(), 4096);
  EXPECT_GT(paged.j["kv_cache"]["peak_tokens"].get<int64_t>(),
            reserve.j["kv_cache"]["peak_tokens"].get<int64_t>());
  // More requests decode at once: more tokens/s, but a preempted request
  // waits and recomputes, so time per output token grows.
  EXPECT_GT(paged.j["output_tokens_per_s"]["mean"].get<double>(),
            1.2 * reserve.j["output_tokens_per_s"]["mean"].get<double>());
  EXPECT_GT(paged.j["tpot_s"]["p99"].get<double>(), reserve.j["tpot_s"]["p99"].get<double>());
}

TEST(SimulationTest, SwappedKvCostsItsTransfer) {
  Outcome fast = Simulate(PagedBase("paged", "swap", 25));
  Outcome slow = Simulate(PagedBase("paged", "swap", 1));
  for (const Outcome* o : {&fast, &slow}) {
    EXPECT_GT(o->j["kv_cache"]["preemptions"].get<int64_t>(), 0);
    EXPECT_GT(o->j["kv_cache"]["swapped_bytes"].get<int64_t>(), 0);
    EXPECT_EQ(o->j["requests_completed"].get<int64_t>(), 32);
  }
  // A resumed request waits for its KV: at 1 GB/s a 1,000-token context
  // (64 MB on the one chip) takes 64 ms each way.
  EXPECT_GT(slow.j["e2e_s"]["p99"].get<double>(), fast.j["e2e_s"]["p99"].get<double>() + 0.05);
}

TEST(SimulationTest, PrefixCacheSkipsPrefillAndSharesKv) {
  // Llama 3.1 8B on one HC1, 2,048-token prompts of which 1,536 are a
  // shared system prompt: without the cache one request fits at a time.
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.mutable_workload()->mutable_input_len()->set_fixed(2048);
  s.mutable_workload()->mutable_output_len()->set_fixed(256);
  s.mutable_workload()->mutable_closed_loop()->set_users(8);
  s.set_max_requests(64);
  Outcome cold = Simulate(s);
  s.mutable_kv_policy()->set_prefix_tokens(1536);
  s.mutable_kv_policy()->set_prefix_hit_rate(0.8);
  Outcome warm = Simulate(s);
  EXPECT_FALSE(cold.j["kv_cache"].contains("prefix_hits"));
  EXPECT_EQ(warm.j["kv_cache"]["policy"], "reserve; cached prefix of 1,536 tokens, hit rate 0.8");
  const int64_t hits = warm.j["kv_cache"]["prefix_hits"].get<int64_t>();
  // About 80% of the arrivals (64 completed + those in flight).
  EXPECT_GT(hits, 40);
  EXPECT_LT(hits, 70);
  EXPECT_EQ(warm.j["requests_completed"].get<int64_t>(), 64);
  EXPECT_LE(warm.j["kv_cache"]["peak_tokens"].get<int64_t>(), 4096);
  // A hit prefills 512 tokens, not 2,048, and reserves 768, not 2,304.
  EXPECT_LT(warm.j["ttft_s"]["p50"].get<double>(), 0.6 * cold.j["ttft_s"]["p50"].get<double>());
  EXPECT_GT(warm.j["output_tokens_per_s"]["mean"].get<double>(),
            1.5 * cold.j["output_tokens_per_s"]["mean"].get<double>());
}

TEST(SimulationTest, TokensAreConserved) {
  v1::Scenario s = Base("mixtral-8x7b", "hc2", 3);
  s.mutable_workload()->mutable_closed_loop()->set_users(3);
  s.mutable_workload()->mutable_input_len()->set_fixed(100);
  s.mutable_workload()->mutable_output_len()->set_fixed(50);
  s.set_max_requests(6);
  Outcome run = Simulate(s);
  // Every completed request emitted exactly its output; the chips saw every
  // prompt token and every decode token (the run stops at the 6th
  // completion, so others may be mid-flight).
  EXPECT_EQ(run.j["requests_completed"].get<int64_t>(), 6);
  EXPECT_GE(run.j["output_tokens"].get<int64_t>(), 6 * 50);
  for (const auto& c : run.j["chips"]) {
    EXPECT_GE(c["tokens"].get<int64_t>(), 6 * (100 + 49));
    EXPECT_LE(c["utilization"].get<double>(), 1.0);
  }
  EXPECT_GT(run.j["energy_j_per_token"].get<double>(), 0);
  EXPECT_GT(run.j["usd_per_million_tokens"].get<double>(), 0);
}

TEST(SimulationTest, SpeculativeDecodingSpeedsUpOneUser) {
  v1::Scenario s = Base("deepseek-r1", "hc2", 30);
  const double plain = Simulate(s).j["tokens_per_s_per_user"]["mean"].get<double>();
  s.mutable_speculative()->set_draft_len(3);
  s.mutable_speculative()->set_acceptance_rate(0.8);
  Outcome run = Simulate(s);
  const double spec = run.j["tokens_per_s_per_user"]["mean"].get<double>();
  EXPECT_GT(spec, 1.5 * plain);
  EXPECT_NEAR(run.j["tpot_s"]["mean"].get<double>() / run.a.single_user_tpot_s, 1.0, 0.05);
}

TEST(SimulationTest, TopologiesAllRun) {
  for (const char* kind : {"chain", "ring", "switch", "two-level"}) {
    v1::Scenario s = Base("llama-3.1-70b", "hc2", 4);
    s.mutable_topology()->set_kind(kind);
    Outcome run = Simulate(s);
    EXPECT_EQ(run.j["requests_completed"].get<int64_t>(), 2) << kind;
    EXPECT_NEAR(run.j["tpot_s"]["mean"].get<double>() / run.a.single_user_tpot_s, 1.0, 0.01)
        << kind;
  }
}

TEST(SimulationTest, TraceReplay) {
  const std::string path = ::testing::TempDir() + "/etchsim_trace.csv";
  std::ofstream(path) << "arrival_s,input_len,output_len\n0.0,100,10\n0.001,50,20\n"
                         "0.0005,10,5\n";
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.mutable_workload()->mutable_trace()->set_path(path);
  s.set_max_requests(0);
  s.set_duration_s(1);
  Outcome run = Simulate(s);
  EXPECT_EQ(run.j["requests_arrived"].get<int64_t>(), 3);
  EXPECT_EQ(run.j["requests_completed"].get<int64_t>(), 3);
  EXPECT_EQ(run.j["output_tokens"].get<int64_t>(), 35);
  std::filesystem::remove(path);
}

TEST(SimulationTest, ImpossibleRequestsAreAClearError) {
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.mutable_workload()->mutable_input_len()->set_fixed(8000);
  auto sim = Simulation::Build(s);
  ASSERT_FALSE(sim.ok());
  EXPECT_EQ(sim.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(
      std::string(sim.status().message()).find("every request needs 9,024 tokens of KV cache"),
      std::string::npos)
      << sim.status();
}

TEST(SimulationTest, RooflineNeedsWholeTensorParallelGroups) {
  auto sim = Simulation::Build(Base("deepseek-r1", "h200", 12));
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(std::string(sim.status().message()).find("multiple of the tensor-parallel"),
            std::string::npos);
}

}  // namespace
}  // namespace etchsim::sim

namespace etchsim::sim {
namespace {

// MLPerf-style offline: every request arrives at t = 0 and the run ends
// when the last completes; the first tokens come out in queue order.
TEST(SimulationTest, OfflineRunsEveryRequestFromTimeZero) {
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.set_max_requests(0);
  s.mutable_workload()->mutable_offline()->set_requests(8);
  s.mutable_workload()->mutable_input_len()->set_fixed(128);
  s.mutable_workload()->mutable_output_len()->set_fixed(16);
  Outcome run = Simulate(s);
  EXPECT_EQ(run.j["requests_completed"], 8);
  EXPECT_EQ(run.j["requests_in_flight_at_end"], 0);
  EXPECT_EQ(run.j["scenario"]["workload"]["kind"], "offline");
  EXPECT_EQ(run.j["scenario"]["workload"]["requests"], 8);
  EXPECT_EQ(run.j["scenario"]["max_requests"], 8);  // all of them by default
  // Queued behind one another: the last first token comes well after the first.
  EXPECT_GT(run.j["ttft_s"]["p99"].get<double>(), run.j["ttft_s"]["mean"].get<double>());
  // A cap below the batch stops there.
  s.set_max_requests(3);
  EXPECT_EQ(Simulate(s).j["requests_completed"], 3);
}

v1::Scenario Disaggregated(int requests) {
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 4);
  s.set_max_requests(0);
  s.mutable_workload()->mutable_offline()->set_requests(requests);
  s.mutable_workload()->mutable_input_len()->set_fixed(512);
  s.mutable_workload()->mutable_output_len()->set_fixed(32);
  s.mutable_disaggregation()->set_prefill_chip("h100");
  s.mutable_disaggregation()->set_prefill_chips(1);
  return s;
}

TEST(SimulationTest, DisaggregatedPoolsAreWiredAndPriced) {
  auto sim = Simulation::Build(Disaggregated(1));
  ASSERT_TRUE(sim.ok()) << sim.status();
  const Simulation& x = **sim;
  EXPECT_TRUE(x.disaggregated());
  EXPECT_EQ(x.decode_stages(), 4);
  EXPECT_EQ(x.num_stages(), 5);
  EXPECT_EQ(x.prefill_begin(), 4);
  EXPECT_TRUE(x.stage_model(0).is_hardwired());
  EXPECT_FALSE(x.stage_model(4).is_hardwired());
  EXPECT_EQ(x.chip_of(4).name(), "h100");
  const SimulationResult r = x.Skeleton();
  ASSERT_TRUE(r.second_pool.has_value());
  EXPECT_EQ(r.second_pool->num_devices, 1);
  // Both pools' hardware is priced: the prefill pool at the H100's prices.
  const cost::CostInputs all = report::HardwareCostInputs(r, r.scenario, 1.0);
  const v1::ChipSpec& h = x.second_chip();
  EXPECT_DOUBLE_EQ(all.other_capex_usd, h.cost().card_price_usd() + h.cost().server_price_usd());
  v1::Scenario alone = r.scenario;
  alone.clear_disaggregation();
  auto decode_only = Simulation::Build(alone);
  ASSERT_TRUE(decode_only.ok());
  const cost::CostInputs one = report::HardwareCostInputs((*decode_only)->Skeleton(), alone, 1.0);
  EXPECT_NEAR(all.it_power_watts - one.it_power_watts,
              h.power().active_watts() + h.power().server_overhead_watts(), 1e-6);
}

// One request alone: the engine agrees with the analytic path, which
// prefills on the prefill pool and gates the first decode step on the KV.
TEST(SimulationTest, DisaggregatedAgreesWithAnalyticAtLowLoad) {
  // R1: 16 H100s (two stages of 8) prefill, 30 HC2s decode; and hard-wired
  // on both sides.
  v1::Scenario r1 = Base("deepseek-r1", "hc2", 30);
  r1.mutable_disaggregation()->set_prefill_chip("h100");
  r1.mutable_disaggregation()->set_prefill_chips(16);
  v1::Scenario hw = Base("llama-3.1-70b", "hc2", 0);
  hw.mutable_disaggregation()->set_prefill_chip("hc2");
  for (const v1::Scenario& s : {Disaggregated(1), r1, hw}) {
    SCOPED_TRACE(s.model());
    Outcome run = Simulate(s);
    EXPECT_NEAR(run.j["ttft_s"]["mean"].get<double>() / run.a.single_user_ttft_s, 1.0, 0.01);
    EXPECT_NEAR(run.j["e2e_s"]["mean"].get<double>() / run.a.single_user_e2e_s, 1.0, 0.01);
    EXPECT_NEAR(run.j["tpot_s"]["mean"].get<double>() / run.a.single_user_tpot_s, 1.0, 0.01);
  }
}

// Every request's KV reaches every decode stage that holds KV, each its
// own layers' share, and the first decode step comes no sooner than the
// prefill chip's link can send it all.
TEST(SimulationTest, DisaggregatedKvMovesToEveryDecodeStage) {
  const int n = 3;
  v1::Scenario s = Disaggregated(n);
  auto sim = Simulation::Build(s);
  ASSERT_TRUE(sim.ok());
  int64_t per_request = 0;
  for (const auto& [stage, bytes] : (*sim)->kv_budget().StageShares(512)) {
    EXPECT_EQ(bytes, 512 * (*sim)->shard(stage).kv_bytes_per_token());
    per_request += bytes;
  }
  ASSERT_GT(per_request, 0);
  Outcome run = Simulate(s);
  EXPECT_EQ(run.j["requests_completed"], n);
  const auto& d = run.j["disaggregation"];
  EXPECT_EQ(d["kv_transfers"], n);
  EXPECT_EQ(d["kv_bytes"], n * per_request);
  EXPECT_EQ(d["pools"][0]["role"], "prefill");
  EXPECT_EQ(d["pools"][1]["devices"], 4);
  EXPECT_EQ(run.j["num_chips"], 5);
  // All shares leave on the prefill chip's one link, the step behind them.
  const fabric::Topology& t = (*sim)->topology();
  const fabric::Link& out = t.links()[t.NextLink((*sim)->stage_lp(4), t.host())];
  const double floor_s = static_cast<double>(per_request) / (out.bytes_per_ps * 1e12);
  EXPECT_GT(d["first_itl_s"]["mean"].get<double>(), floor_s);
  EXPECT_GT(d["first_itl_s"]["mean"].get<double>(), 5 * run.j["itl_s"]["p50"].get<double>());
  // The prefill pool holds the prompts being prefilled, no more.
  EXPECT_GT(run.j["chips"][4]["kv_occupancy_peak"].get<double>(), 0);
  EXPECT_LE(run.j["chips"][4]["kv_occupancy_peak"].get<double>(), 1.0);
  // It sits in a server of its own: 4 HC1s fill part of server 0, the
  // H100 is in server 1, and its KV crosses the spine.
  bool own_server = false;
  for (const auto& l : run.j["links"]) own_server |= l["name"] == "chip4->server1";
  EXPECT_TRUE(own_server);
}

TEST(SimulationTest, DisaggregationRefusesWhatItDoesNotModel) {
  v1::Scenario s = Disaggregated(1);
  s.mutable_kv_policy()->set_kind("paged");
  auto sim = Simulation::Build(s);
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.status().message().find("disaggregation cannot be combined with paged KV"),
            std::string::npos)
      << sim.status();
  s = Disaggregated(1);
  s.mutable_disaggregation()->set_prefill_chip("");
  sim = Simulation::Build(s);
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.status().message().find("disaggregation.prefill_chip is empty"), std::string::npos)
      << sim.status();
  s = Disaggregated(1);
  s.mutable_disaggregation()->set_prefill_chips(3);
  s.mutable_disaggregation()->set_prefill_tensor_parallel(2);
  sim = Simulation::Build(s);
  ASSERT_FALSE(sim.ok());
  EXPECT_NE(sim.status().message().find("scenario: disaggregation.prefill_chips (3) "
                                        "must be a multiple"),
            std::string::npos)
      << sim.status();
}

v1::Scenario AttentionFfn(const std::string& model, const std::string& chip, int chips,
                          int attention) {
  v1::Scenario s = Base(model, chip, chips);
  s.mutable_attention_ffn()->set_attention_chip("h100");
  s.mutable_attention_ffn()->set_attention_chips(attention);
  return s;
}

TEST(SimulationTest, AttentionFfnAgreesWithAnalyticAtLowLoad) {
  for (const v1::Scenario& s :
       {AttentionFfn("llama-3.1-8b", "hc1", 0, 1), AttentionFfn("deepseek-r1", "hc2", 0, 8),
        AttentionFfn("mixtral-8x7b", "hc2", 4, 2)}) {
    SCOPED_TRACE(s.model());
    Outcome run = Simulate(s);
    EXPECT_NEAR(run.j["ttft_s"]["mean"].get<double>() / run.a.single_user_ttft_s, 1.0, 0.01);
    EXPECT_NEAR(run.j["e2e_s"]["mean"].get<double>() / run.a.single_user_e2e_s, 1.0, 0.01);
    EXPECT_NEAR(run.j["tpot_s"]["mean"].get<double>() / run.a.single_user_tpot_s, 1.0, 0.01);
  }
}

// Every layer's FFN on exactly one chip, in order, every chip used and the
// largest no more than a fair share plus one layer; the attention group
// holds every layer's attention and KV.
TEST(SimulationTest, AttentionFfnPlanHoldsEachFfnOnce) {
  auto sim = Simulation::Build(AttentionFfn("deepseek-r1", "hc2", 40, 8));
  ASSERT_TRUE(sim.ok()) << sim.status();
  const Simulation& x = **sim;
  const model::ModelSpec& m = x.model();
  ASSERT_TRUE(x.attention_ffn());
  EXPECT_EQ(x.decode_stages(), 40);
  EXPECT_EQ(x.num_stages(), 41);
  int next = 0;
  int64_t total = 0, largest_layer = 0, largest_chip = 0;
  for (int c = 0; c < 40; ++c) {
    const v1::ChipShard& sh = x.shard(c);
    ASSERT_GT(sh.layers_size(), 0) << "chip " << c;
    int64_t params = 0;
    for (const v1::LayerSlice& sl : sh.layers()) {
      EXPECT_EQ(sl.layer(), next++);
      EXPECT_TRUE(sl.ffn_only());
      EXPECT_FALSE(sl.core());
      const model::LayerSpec& l = m.layers[sl.layer()];
      const int64_t ffn =
          l.DenseMlpParams() + l.RouterParams() + l.RoutedExpertParams() + l.SharedExpertParams();
      EXPECT_EQ(sl.params(), ffn);
      params += ffn;
      largest_layer = std::max(largest_layer, ffn);
    }
    EXPECT_EQ(sh.params(), params);
    EXPECT_EQ(sh.kv_bytes_per_token(), 0);
    total += params;
    largest_chip = std::max(largest_chip, params);
  }
  EXPECT_EQ(next, static_cast<int>(m.layers.size()));
  EXPECT_LE(largest_chip, total / 40 + largest_layer);
  const v1::ChipShard& att = x.shard(40);
  EXPECT_EQ(att.layers_size(), static_cast<int>(m.layers.size()));
  EXPECT_TRUE(att.layers(0).attention_only());
  EXPECT_TRUE(att.embedding());
  EXPECT_TRUE(att.lm_head());
  EXPECT_EQ(att.kv_bytes_per_token(), m.KvBytesPerToken(model::KvDtype::kFp8));
  EXPECT_EQ(x.stage_model(40).attention_group().layers.size(), m.layers.size());
  // The fewest chips (chips 0) is balanced as that count would be, so the
  // scenario written back (chips N) rebuilds the same plan (distributed
  // chip processes rebuild it from that scenario).
  auto fewest = Simulation::Build(AttentionFfn("mixtral-8x7b", "hc2", 0, 2));
  ASSERT_TRUE(fewest.ok()) << fewest.status();
  auto again = Simulation::Build((*fewest)->scenario());
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_EQ((*again)->decode_stages(), (*fewest)->decode_stages());
  for (int c = 0; c < (*fewest)->decode_stages(); ++c) {
    EXPECT_EQ((*again)->shard(c).SerializeAsString(), (*fewest)->shard(c).SerializeAsString());
  }
  // Each layer's dispatches go to the chip holding its FFN.
  for (int l = 0; l < static_cast<int>(m.layers.size()); ++l) {
    const int stage = x.topology().nodes()[x.constants().ffn_lps[l]].index;
    EXPECT_TRUE(x.hardwired_model(stage).holds_ffn(l));
  }
}

// One request of one 64-token chunk and 8 output tokens: 8 forward steps
// of L layer-steps, each a dispatch and a combine of the step's tokens.
TEST(SimulationTest, AttentionFfnRoundTripsAreCounted) {
  v1::Scenario s = AttentionFfn("llama-3.1-8b", "hc1", 4, 1);
  s.set_max_requests(0);
  s.mutable_workload()->mutable_offline()->set_requests(1);
  s.mutable_workload()->mutable_input_len()->set_fixed(64);
  s.mutable_workload()->mutable_output_len()->set_fixed(8);
  auto sim = Simulation::Build(s);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const int64_t layers = static_cast<int64_t>((*sim)->model().layers.size());
  const serving::RunConstants& k = (*sim)->constants();
  Outcome run = Simulate(s);
  const auto& a = run.j["attention_ffn"];
  EXPECT_EQ(a["layer_steps"], 8 * layers);
  EXPECT_EQ(a["activation_bytes"],
            layers * 2 * (k.HandoffBytes(64) + 7 * int64_t{k.HandoffBytes(1)}));
  EXPECT_GT(a["ffn_round_trip_s_mean"].get<double>(), 0);
  EXPECT_EQ(a["pools"][0]["role"], "attention");
  EXPECT_EQ(a["pools"][1]["role"], "ffn");
  EXPECT_EQ(run.j["num_chips"], 5);
  EXPECT_EQ(run.j["chips"][4]["pool"], "attention");
  // The attention group's tokens are the request's, counted once.
  EXPECT_EQ(run.j["chips"][4]["tokens"], 64 + 7);
}

TEST(SimulationTest, AttentionFfnRefusesWhatItDoesNotModel) {
  auto expect_error = [](v1::Scenario s, const std::string& what) {
    auto sim = Simulation::Build(s);
    ASSERT_FALSE(sim.ok()) << what;
    EXPECT_NE(sim.status().message().find(what), std::string::npos) << sim.status();
  };
  v1::Scenario s = AttentionFfn("llama-3.1-8b", "hc1", 0, 1);
  s.mutable_attention_ffn()->set_attention_chip("hc2");
  expect_error(s, "attention_ffn.attention_chip must be a roofline chip");
  s = AttentionFfn("llama-3.1-8b", "h100", 0, 1);
  expect_error(s, "the FFN pool (chip) must be hard-wired, got h100");
  s = AttentionFfn("llama-3.1-8b", "hc1", 40, 1);
  expect_error(s, "scenario: chips (40) exceeds the 32 layers");
  s = AttentionFfn("llama-3.1-8b", "hc1", 0, 1);
  s.mutable_disaggregation()->set_prefill_chip("h100");
  expect_error(s, "attention_ffn cannot be combined with disaggregation");
  s = AttentionFfn("llama-3.1-8b", "hc1", 0, 1);
  s.set_strategy("expert-spread");
  expect_error(s, "does not apply with attention_ffn");
}

// Throughput windows are kept only where tokens came out: a microsecond
// window over a 5,000 s think time is 5e9 windows, which a dense vector (the
// old storage) could not hold; the report still counts every window, the
// empty ones as zero.
TEST(SimulationTest, ThroughputWindowsDoNotGrowWithIdleVirtualTime) {
  v1::Scenario s = Base("llama-3.1-8b", "hc1", 1);
  s.set_throughput_window_s(1e-6);
  s.mutable_workload()->mutable_closed_loop()->set_users(1);
  s.mutable_workload()->mutable_closed_loop()->set_think_time_s(5000);
  s.mutable_workload()->mutable_input_len()->set_fixed(16);
  s.mutable_workload()->mutable_output_len()->set_fixed(16);
  Outcome run = Simulate(s);
  const double measured = run.j["measured_s"].get<double>();
  ASSERT_GT(measured, 5000);
  EXPECT_LT(run.r.host.window_tokens.size(), 64u);  // one per token at most
  const auto& ot = run.j["output_tokens_per_s"];
  EXPECT_NEAR(ot["windows"].get<double>(), measured / 1e-6, 2);
  EXPECT_EQ(ot["p50"].get<double>(), 0.0);  // almost every window is idle
  EXPECT_EQ(run.r.host.WindowTokenSum(0, run.r.host.WindowsSpanned()), run.r.host.output_tokens);
}

}  // namespace
}  // namespace etchsim::sim
