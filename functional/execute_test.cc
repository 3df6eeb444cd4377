#include "functional/execute.h"

#include "functional/formats.h"
#include "functional/verify.h"
#include "gtest/gtest.h"
#include "model/model_spec.h"

namespace etchsim::functional {
namespace {

struct Model {
  std::string config;
  Arch arch;
  TensorFile weights;
};

Model Load(const std::string& name) {
  Model m;
  m.config = *TinyModelConfig(name);
  auto a = ParseArch(m.config, name);
  EXPECT_TRUE(a.ok()) << a.status();
  m.arch = *a;
  m.weights = GenerateWeights(m.arch, m.config, 11);
  return m;
}

DecodeOptions Short() { return {.prompt_tokens = 4, .new_tokens = 3, .seed = 5}; }

DecodeResult Ref(const Model& m, const std::string& format) {
  auto chain = ReferenceChain(m.arch, m.weights, format);
  EXPECT_TRUE(chain.ok()) << chain.status();
  auto r = Decode(m.arch, **chain, Short());
  EXPECT_TRUE(r.ok()) << r.status();
  return *r;
}

absl::StatusOr<DecodeResult> Sharded(const Model& m, const std::string& format, int chips,
                                     const std::string& strategy, v1::FunctionalFault fault = {}) {
  auto plan = PlanFor(m.arch, format, chips, strategy);
  if (!plan.ok()) return plan.status();
  auto chain = ShardedChain(m.arch, *plan, m.weights, format, fault);
  if (!chain.ok()) return chain.status();
  return Decode(m.arch, **chain, Short());
}

// Every family, every strategy, several chip counts: the sharded run
// reproduces every recorded tensor of the reference exactly.
class Families : public ::testing::TestWithParam<std::string> {};

TEST_P(Families, ShardedIsBitIdenticalForEveryStrategyAndChipCount) {
  const Model m = Load(GetParam());
  const DecodeResult ref = Ref(m, "fp4");
  ASSERT_EQ(ref.logits.size(), 7u);
  for (const std::string strategy : {"pipeline", "expert-spread", "auto"}) {
    for (int chips : {1, 2, 3, 5, 6}) {
      auto got = Sharded(m, "fp4", chips, strategy);
      ASSERT_TRUE(got.ok()) << strategy << " " << chips << ": " << got.status();
      EXPECT_EQ(got->tokens, ref.tokens) << strategy << " " << chips;
      EXPECT_EQ(got->logits, ref.logits) << strategy << " " << chips;
      const auto mm = FirstMismatch(ref.trace, got->trace, m.arch.num_layers());
      EXPECT_FALSE(mm.has_value()) << strategy << " " << chips << ": " << mm->what;
    }
  }
}

TEST_P(Families, EveryFormatRunsAndDiffersFromBf16) {
  const Model m = Load(GetParam());
  const DecodeResult bf16 = Ref(m, "bf16");
  for (const std::string& f : QuantFormats()) {
    if (f == "bf16") continue;
    EXPECT_NE(Ref(m, f).logits, bf16.logits) << f;
  }
}

INSTANTIATE_TEST_SUITE_P(Tiny, Families,
                         ::testing::Values("tiny-llama", "tiny-mixtral", "tiny-qwen3-moe",
                                           "tiny-r1"),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s) c = c == '-' ? '_' : c;
                           return s;
                         });

TEST(Execute, ExpertSpreadOnEightChipsSplitsExperts) {
  const Model m = Load("tiny-r1");
  auto plan = PlanFor(m.arch, "fp4", 8, "expert-spread");
  ASSERT_TRUE(plan.ok()) << plan.status();
  int partial_slices = 0;
  for (const v1::ChipShard& c : plan->chips()) {
    for (const v1::LayerSlice& s : c.layers()) {
      partial_slices += s.num_routed_experts() > 0 &&
                        (s.expert_end() - s.expert_begin()) < s.num_routed_experts();
    }
  }
  EXPECT_GT(partial_slices, 1);  // some layer's experts live on several chips
  const DecodeResult ref = Ref(m, "fp4");
  auto chain = ShardedChain(m.arch, *plan, m.weights, "fp4", {});
  ASSERT_TRUE(chain.ok());
  auto got = Decode(m.arch, **chain, Short());
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(FirstMismatch(ref.trace, got->trace, 4).has_value());
}

TEST(Execute, DeterministicAcrossRuns) {
  const Model a = Load("tiny-qwen3-moe"), b = Load("tiny-qwen3-moe");
  EXPECT_EQ(Ref(a, "hc1-3bit").logits, Ref(b, "hc1-3bit").logits);
}

// Each fault switch makes the sharded run differ, and the first mismatch
// names the layer, the chip that holds the faulty piece and the tensor.
TEST(Faults, EachIsCaughtAndLocated) {
  const Model m = Load("tiny-r1");
  const DecodeResult ref = Ref(m, "fp4");
  auto plan = PlanFor(m.arch, "fp4", 4, "expert-spread");
  ASSERT_TRUE(plan.ok());
  auto home_of = [&](int layer) {
    for (const v1::ChipShard& c : plan->chips())
      for (const v1::LayerSlice& s : c.layers())
        if (s.layer() == layer && s.core()) return c.index();
    return -1;
  };
  // Expert 2's holder in layer 2: the first step that routes to it fails there.
  int holder = -1;
  for (const v1::ChipShard& c : plan->chips())
    for (const v1::LayerSlice& s : c.layers())
      if (s.layer() == 2 && s.expert_begin() <= 2 && 2 < s.expert_end()) holder = c.index();
  struct Case {
    std::string fault;
    int layer;
    int chip;
    std::string tensor;
    int min_step;
  };
  int expert = -1, step = -1;  // an expert actually selected in layer 2
  for (const v1::FunctionalTrace& t : ref.trace) {
    if (t.layer() == 2 && t.tensor() == "route" && expert < 0) {
      expert = t.values(0);
      step = t.step();
    }
  }
  ASSERT_GE(expert, 0);
  for (const v1::ChipShard& c : plan->chips())
    for (const v1::LayerSlice& s : c.layers())
      if (s.layer() == 2 && s.expert_begin() <= expert && expert < s.expert_end())
        holder = c.index();
  const std::vector<Case> cases = {
      {"drop-expert:2:" + std::to_string(expert), 2, holder, "expert." + std::to_string(expert),
       step},
      {"skip-layer:1", 1, home_of(1), "attn", 0},
      {"stale-kv:3", 3, home_of(3), "attn", 1},
  };
  for (const Case& c : cases) {
    auto fault = ParseFault(c.fault, m.arch);
    ASSERT_TRUE(fault.ok()) << fault.status();
    auto got = Sharded(m, "fp4", 4, "expert-spread", *fault);
    ASSERT_TRUE(got.ok()) << got.status();
    const auto mm = FirstMismatch(ref.trace, got->trace, m.arch.num_layers());
    ASSERT_TRUE(mm.has_value()) << c.fault;
    EXPECT_EQ(mm->layer, c.layer) << c.fault << ": " << mm->what;
    EXPECT_EQ(mm->chip, c.chip) << c.fault << ": " << mm->what;
    EXPECT_EQ(mm->tensor, c.tensor) << c.fault << ": " << mm->what;
    EXPECT_EQ(mm->step, c.min_step) << c.fault << ": " << mm->what;
  }
}

TEST(Faults, BadSpecsAreNamed) {
  const Model m = Load("tiny-r1");
  for (const char* bad : {"drop-expert:0:1", "drop-expert:2:16", "skip-layer:4", "stale-kv",
                          "melt:1", "skip-layer:x"}) {
    auto f = ParseFault(bad, m.arch);
    ASSERT_FALSE(f.ok()) << bad;
    EXPECT_NE(f.status().message().find("--fault"), std::string::npos);
  }
}

TEST(Runtime, RefusesTensorsOutsideItsShardAndHostileCarries) {
  const Model m = Load("tiny-llama");
  auto plan = PlanFor(m.arch, "fp4", 2, "pipeline");
  ASSERT_TRUE(plan.ok());
  auto rt = ChipRuntime::Create(m.arch, plan->chips(1), m.weights, "fp4", 1, {});
  ASSERT_FALSE(rt.ok());
  EXPECT_NE(rt.status().message().find("is not part of chip 1's shard"), std::string::npos);
  auto mine = SelectShard(m.arch, m.weights, plan->chips(1));
  ASSERT_TRUE(mine.ok());
  rt = ChipRuntime::Create(m.arch, plan->chips(1), *mine, "fp4", 1, {});
  ASSERT_TRUE(rt.ok()) << rt.status();
  v1::FunctionalCarry c;
  c.set_pending_layer(-1);
  c.add_hidden(1);  // wrong size
  EXPECT_FALSE((*rt)->Run(c).ok());
  c.clear_hidden();
  for (int i = 0; i < 128; ++i) c.add_hidden(0);
  c.set_position(3);  // out of order: the cache is empty
  EXPECT_EQ((*rt)->Run(c).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(TinyModels, AccountingMatchesTheTensors) {
  for (const std::string& name : TinyModelNames()) {
    const Model m = Load(name);
    int64_t n = 0;
    for (const auto& [k, t] : m.weights.tensors) n += t.elements();
    auto spec = model::BuildModelSpec(m.arch.config);
    ASSERT_TRUE(spec.ok());
    EXPECT_EQ(n, spec->TotalParams()) << name;
  }
}

}  // namespace
}  // namespace etchsim::functional
