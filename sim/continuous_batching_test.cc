// Roofline stages batch as a continuous-batching engine does: at small
// batch, users share each step and keep the single-user speed; throughput
// grows with concurrency until bandwidth or compute binds.
#include <map>

#include "gtest/gtest.h"
#include "report/analytic.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::sim {
namespace {

struct Point {
  double itl_s = 0;         // mean inter-token latency
  double tokens_per_s = 0;  // output tokens per second of the run
  double ttft_s = 0;
};

Point Serve(const std::string& model, const std::string& chip, int chips, int users, int requests,
            int64_t input_len, int64_t output_len, double ramp_up_s = 0, double duration_s = 0,
            double warmup_s = 0) {
  v1::Scenario s = DefaultScenario();
  s.mutable_workload()->mutable_closed_loop()->set_ramp_up_s(ramp_up_s);
  s.set_duration_s(duration_s);
  s.set_warmup_s(warmup_s);
  s.set_model(model);
  s.set_chip(chip);
  s.set_chips(chips);
  s.mutable_workload()->mutable_closed_loop()->set_users(users);
  s.mutable_workload()->mutable_input_len()->set_fixed(input_len);
  s.mutable_workload()->mutable_output_len()->set_fixed(output_len);
  s.set_max_requests(requests);
  auto sim = Simulation::Build(s);
  EXPECT_TRUE(sim.ok()) << sim.status();
  auto r = (*sim)->RunInProcess();
  EXPECT_TRUE(r.ok()) << r.status();
  const double seconds = (r->end - r->window_start).ToSeconds();
  return {r->host.itl_ps.Mean() * 1e-12, r->host.output_tokens / seconds,
          r->host.ttft_ps.Mean() * 1e-12};
}

TEST(ContinuousBatchingTest, SmallBatchKeepsSingleUserSpeedOnAMemoryBoundModel) {
  // Llama 3.1 8B on one H200 is weight-bandwidth bound at small batch: a
  // step of 8 decodes reads the same 8 GB as a step of one.
  const Point one = Serve("llama-3.1-8b", "h200", 1, 1, 4, 1024, 256);
  const Point two = Serve("llama-3.1-8b", "h200", 1, 2, 8, 1024, 256);
  const Point eight = Serve("llama-3.1-8b", "h200", 1, 8, 16, 1024, 256);
  EXPECT_NEAR(two.itl_s / one.itl_s, 1.0, 0.03);
  EXPECT_NEAR(eight.itl_s / one.itl_s, 1.0, 0.05);
  EXPECT_GT(two.tokens_per_s, 1.9 * one.tokens_per_s);
  EXPECT_GT(eight.tokens_per_s, 7.0 * one.tokens_per_s);
}

TEST(ContinuousBatchingTest, ThroughputGrowsWithConcurrencyUntilARooflineBinds) {
  std::map<int, Point> at;
  for (int users : {1, 4, 16, 64, 256}) {
    at[users] = Serve("llama-3.1-8b", "h200", 1, users, 2 * users, 256, 64);
  }
  for (auto it = std::next(at.begin()); it != at.end(); ++it) {
    SCOPED_TRACE(it->first);
    EXPECT_GT(it->second.tokens_per_s, std::prev(it)->second.tokens_per_s);
  }
  // At 256 users the batch is no longer free: each step reads 256 KV
  // caches and computes 256 tokens, so users see a slower ITL.
  EXPECT_GT(at[256].itl_s, 1.2 * at[1].itl_s);
  // ...and throughput falls short of 256 x the single-user rate.
  EXPECT_LT(at[256].tokens_per_s, 256 * at[1].tokens_per_s);
}

TEST(ContinuousBatchingTest, MoeOnEightGpusGainsFromASecondUser) {
  // Two R1 users on 8 x H200 share every step; the second user touches a
  // few more experts, so each step costs a little more, not twice as much.
  const Point one = Serve("deepseek-r1", "h200", 8, 1, 2, 1024, 128);
  const Point two = Serve("deepseek-r1", "h200", 8, 2, 4, 1024, 128);
  EXPECT_GT(two.tokens_per_s, 1.7 * one.tokens_per_s);
  EXPECT_LT(two.itl_s, 1.2 * one.itl_s);
}

TEST(ContinuousBatchingTest, PromptChunksShareStepsWithDecodes) {
  // Under load, a new request's prompt is prefilled in chunks mixed into
  // the running decode steps: its TTFT grows with the load, but decodes
  // keep flowing (ITL stays far below one whole prompt's prefill time).
  const Point one = Serve("llama-3.1-8b", "h200", 1, 1, 4, 4096, 64);
  const Point busy = Serve("llama-3.1-8b", "h200", 1, 16, 48, 4096, 64);
  EXPECT_GT(busy.ttft_s, one.ttft_s);
  EXPECT_LT(busy.itl_s, one.ttft_s);
}

TEST(ContinuousBatchingTest, RampUpReachesTheSteadyStateInsteadOfLockStep) {
  // Eight users with equal lengths that all start at 0 stay in lock step:
  // their prompts arrive together every cycle and queue behind each other.
  // Spread over one request's duration (~1.1 s here) and measured after
  // the ramp, prompts arrive one at a time and TTFT is the single user's.
  const Point one = Serve("llama-3.1-8b", "h200", 1, 1, 0, 2048, 256, 0, 6, 2);
  const Point lock = Serve("llama-3.1-8b", "h200", 1, 8, 0, 2048, 256, 0, 6, 2);
  const Point spread = Serve("llama-3.1-8b", "h200", 1, 8, 0, 2048, 256, 1.1, 6, 2);
  EXPECT_GT(lock.ttft_s, 3 * one.ttft_s);
  EXPECT_LT(spread.ttft_s, 1.2 * one.ttft_s);
  EXPECT_GT(spread.tokens_per_s, 0.95 * lock.tokens_per_s);
}

}  // namespace
}  // namespace etchsim::sim
