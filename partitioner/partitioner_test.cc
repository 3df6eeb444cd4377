#include "partitioner/partitioner.h"

#include <map>
#include <set>

#include "gtest/gtest.h"
#include "model/zoo.h"
#include "partitioner/plan_builder.h"
#include "partitioner/plan_report.h"

namespace etchsim::partitioner {
namespace {

ChipCapacity Chip(const std::string& name, int64_t bytes, const std::string& fmt) {
  ChipCapacity c;
  c.name = name;
  c.weight_capacity_bytes = bytes;
  c.format = *model::FindWeightFormat(fmt);
  c.kv_dtype = model::KvDtype::kFp8;
  return c;
}

// An HC2-like chip (24B params at MXFP4) and an HC1-like one (3.6 GB at
// 3.5 bits); the real presets live in chip/, above this library.
const ChipCapacity kBig = Chip("big", 12750000000, "fp4");
const ChipCapacity kSmall = Chip("small", 3600000000, "hc1-3bit");

// Checks every structural invariant of a plan.
void CheckInvariants(const model::ModelSpec& m, const ChipCapacity& chip, const v1::Plan& plan,
                     int n) {
  SCOPED_TRACE(plan.strategy() + " " + m.name + " on " + std::to_string(n));
  ASSERT_EQ(plan.num_chips(), n);
  ASSERT_EQ(plan.chips_size(), n);
  EXPECT_TRUE(plan.chips(0).embedding());
  EXPECT_TRUE(plan.chips(n - 1).lm_head());
  std::map<int, int> cores;
  std::map<int, std::vector<int>> experts;  // layer -> count per expert
  int64_t sum = 0;
  // Stages contiguous: the sequence (layer, expert) visited chip by chip is
  // non-decreasing.
  std::pair<int, int> last = {-1, -1};
  for (const auto& c : plan.chips()) {
    EXPECT_LE(c.weight_bytes(), chip.weight_capacity_bytes) << "chip " << c.index();
    EXPECT_EQ(c.weight_bytes(), chip.format.BytesFor(c.params()));
    EXPECT_GT(c.params(), 0) << "empty chip " << c.index();
    EXPECT_EQ(c.embedding(), c.index() == 0);
    EXPECT_EQ(c.lm_head(), c.index() == n - 1);
    sum += c.params();
    for (const auto& s : c.layers()) {
      const auto& l = m.layers[s.layer()];
      if (s.core()) {
        ++cores[s.layer()];
        EXPECT_GE(std::make_pair(s.layer(), -1), last);
        last = {s.layer(), -1};
      }
      if (s.expert_end() > s.expert_begin()) {
        auto& v = experts[s.layer()];
        v.resize(l.num_routed_experts);
        for (int e = s.expert_begin(); e < s.expert_end(); ++e) ++v[e];
        EXPECT_GT(std::make_pair(s.layer(), s.expert_begin()), last);
        last = {s.layer(), s.expert_end() - 1};
      }
    }
  }
  for (const auto& l : m.layers) {
    EXPECT_EQ(cores[l.index], 1) << "core of layer " << l.index;
    if (l.ffn_kind == model::FfnKind::kMoe) {
      ASSERT_EQ(experts[l.index].size(), static_cast<size_t>(l.num_routed_experts));
      for (int c : experts[l.index]) EXPECT_EQ(c, 1) << "layer " << l.index;
    }
  }
  const int64_t duplicate = (m.tied_embeddings && n > 1) ? m.embedding_params : 0;
  EXPECT_EQ(sum, m.TotalParams() + duplicate);
  EXPECT_EQ(plan.stored_params(), sum);
  EXPECT_EQ(plan.total_params(), m.TotalParams());
  EXPECT_GE(plan.hops_per_token(), n > 1 ? n : 0);
}

TEST(PartitionerTest, InvariantsOnEveryBundledModel) {
  for (const std::string& name : model::BundledModelNames()) {
    const model::ModelSpec m = *model::LoadModel(name);
    for (const ChipCapacity* chip : {&kBig, &kSmall}) {
      for (const char* strategy : {"pipeline", "expert-spread", "auto"}) {
        auto min_plan = Partition(m, *chip, strategy, {});
        if (!min_plan.ok()) {
          // Only pipeline may fail outright (a MoE layer bigger than a chip).
          EXPECT_STREQ(strategy, "pipeline") << name << ": " << min_plan.status();
          EXPECT_NE(min_plan.status().message().find("--strategy=expert-spread"),
                    std::string::npos);
          continue;
        }
        const int min = min_plan->num_chips();
        EXPECT_EQ(min_plan->min_chips(), min);
        CheckInvariants(m, *chip, *min_plan, min);
        for (int n : {min + 1, min + 3, 2 * min + 1}) {
          auto plan = Partition(m, *chip, strategy, {.num_chips = n});
          if (!plan.ok()) {
            // Only when there are fewer whole layers than chips.
            EXPECT_NE(plan.status().message().find("placeable units"), std::string::npos)
                << plan.status();
            continue;
          }
          CheckInvariants(m, *chip, *plan, n);
        }
        if (min > 1) {
          auto too_few = Partition(m, *chip, strategy, {.num_chips = min - 1});
          ASSERT_FALSE(too_few.ok());
          EXPECT_EQ(too_few.status().code(), absl::StatusCode::kFailedPrecondition);
          EXPECT_NE(too_few.status().message().find("the smallest count that fits is " +
                                                    std::to_string(min)),
                    std::string::npos)
              << too_few.status();
        }
      }
    }
  }
}

TEST(PartitionerTest, DeepSeekR1OnThirtyBigChips) {
  const model::ModelSpec m = *model::LoadModel("deepseek-r1");
  auto plan = Partition(m, kBig, "auto", {.num_chips = 30});
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_EQ(plan->strategy(), "pipeline");         // no all-to-all needed at 30
  EXPECT_DOUBLE_EQ(plan->hops_per_token(), 30.0);  // 29 hand-offs + return
  EXPECT_EQ(plan->handoff_bytes_per_token(), 29 * 7168 * 2);
  EXPECT_EQ(plan->all_to_all_bytes_per_token(), 0.0);
  EXPECT_EQ(plan->min_chips(), 28);  // expert-spread fits in 28
  auto pipe_min = FindStrategy("pipeline")->MinChips(m, kBig);
  EXPECT_EQ(*pipe_min, 30);
  // At 28 only expert-spread fits, so auto picks it and says why.
  auto tight = Partition(m, kBig, "auto", {.num_chips = 28});
  ASSERT_TRUE(tight.ok()) << tight.status();
  EXPECT_EQ(tight->strategy(), "expert-spread");
  EXPECT_GT(tight->all_to_all_bytes_per_token(), 0.0);
  EXPECT_NE(tight->explanation().find("pipeline does not fit"), std::string::npos);
}

TEST(PartitionerTest, InfeasibleMessagesNameTheMinimum) {
  const model::ModelSpec m = *model::LoadModel("deepseek-r1");
  auto three = Partition(m, kBig, "auto", {.num_chips = 3});
  ASSERT_FALSE(three.ok());
  EXPECT_EQ(three.status().message(),
            "deepseek-r1 does not fit on 3 big chips (12.75 GB ROM each at fp4): "
            "its 671.03B parameters need 356.48 GB of weights; the smallest count "
            "that fits is 28 (30 with pipeline, 28 with expert-spread)");
  auto pipe = Partition(m, kSmall, "pipeline", {});
  ASSERT_FALSE(pipe.ok());
  EXPECT_EQ(pipe.status().message(),
            "layer 3 of deepseek-r1 (11.51B parameters, 5.03 GB at hc1-3bit) does "
            "not fit on one small chip (3.60 GB ROM); --strategy=pipeline cannot "
            "split it; use --strategy=expert-spread");
  auto unknown = Partition(m, kBig, "round-robin", {});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(unknown.status().message(),
            "unknown strategy \"round-robin\" (known: auto, expert-spread, pipeline)");
}

TEST(PartitionerTest, TooManyChipsForPipeline) {
  const model::ModelSpec m = *model::LoadModel("llama-3.1-8b");
  auto p = Partition(m, kBig, "pipeline", {.num_chips = 40});
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("only 34 placeable units"), std::string::npos);
}

TEST(PartitionerTest, ExpertTrafficProbability) {
  // Holding all experts: always touched; none: never.
  EXPECT_DOUBLE_EQ(ProbabilityTouched(256, 256, 8), 1.0);
  EXPECT_DOUBLE_EQ(ProbabilityTouched(256, 0, 8), 0.0);
  // Holding one of 8 experts with top-2: 1 - (7/8)(6/7) = 1/4.
  EXPECT_NEAR(ProbabilityTouched(8, 1, 2), 0.25, 1e-12);
  EXPECT_DOUBLE_EQ(ProbabilityTouched(8, 7, 2), 1.0);
}

TEST(PartitionerTest, TextAndJsonAgree) {
  const model::ModelSpec m = *model::LoadModel("mixtral-8x7b");
  auto plan = Partition(m, kSmall, "expert-spread", {.num_chips = 9});
  ASSERT_TRUE(plan.ok()) << plan.status();
  const auto j = PlanJson(*plan);
  EXPECT_EQ(j["chips"].size(), 9u);
  EXPECT_EQ(j["hops_per_token"].get<double>(), plan->hops_per_token());
  int64_t sum = 0;
  for (const auto& c : j["chips"]) sum += c["params"].get<int64_t>();
  EXPECT_EQ(sum, m.TotalParams());
  const std::string text = PlanText(*plan);
  EXPECT_NE(text.find("mixtral-8x7b on 9 x small"), std::string::npos);
}

}  // namespace
}  // namespace etchsim::partitioner
