#include "serving/kv_budget.h"

#include "gtest/gtest.h"
#include "model/zoo.h"

namespace etchsim::serving {
namespace {

// Two stages of Gemma 3 27B (62 layers; every sixth, 5, 11, 17, ..., keeps
// every position, the rest a 1,024-token sliding window; 16 KV heads x 128
// x K and V = 4,096 fp8 bytes per layer and token), 256 MiB of KV each.
// Stage 0 holds layers 0-8 (one global: 5), stage 1 layers 9-17 (two: 11, 17).
struct TwoStages {
  model::ModelSpec m;
  v1::Plan plan;
  TwoStages() {
    auto spec = model::LoadModel("gemma-3-27b");
    EXPECT_TRUE(spec.ok()) << spec.status();
    m = *spec;
    for (int c = 0; c < 2; ++c) {
      v1::ChipShard* shard = plan.add_chips();
      shard->set_index(c);
      shard->set_kv_bytes_per_token(9 * 4096);
      for (int l = 9 * c; l < 9 * c + 9; ++l) {
        v1::LayerSlice* s = shard->add_layers();
        s->set_layer(l);
        s->set_core(true);
      }
    }
  }
};

constexpr int64_t kCap = 268435456;

// What a disaggregated prefill pool sends each stage: its windowed bytes.
TEST(KvBudgetTest, StageSharesAreEachStagesBytes) {
  TwoStages t;
  const KvBudget b = KvBudget::Build(t.m, t.plan, {kCap, kCap}, model::KvDtype::kFp8);
  const auto shares = b.StageShares(8448);
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_EQ(shares[0], std::make_pair(0, int64_t{68157440}));
  EXPECT_EQ(shares[1], std::make_pair(1, int64_t{98566144}));
  // Without windowed layers too (the budget keeps one token pool then).
  auto dense = model::LoadModel("llama-3.1-8b");
  ASSERT_TRUE(dense.ok());
  v1::Plan p;
  v1::ChipShard* c = p.add_chips();
  c->set_index(0);
  c->set_kv_bytes_per_token(1000);
  c->add_layers()->set_layer(0);
  c->mutable_layers(0)->set_core(true);
  const KvBudget d = KvBudget::Build(*dense, p, {kCap}, model::KvDtype::kFp8);
  EXPECT_FALSE(d.windowed());
  const int64_t layer0 = dense->layers[0].KvBytesPerToken(model::KvDtype::kFp8);
  EXPECT_EQ(d.StageShares(100), (std::vector<std::pair<int, int64_t>>{{0, 100 * layer0}}));
}

TEST(KvBudgetTest, WindowedLayersAreCappedPerStage) {
  TwoStages t;
  KvBudget b = KvBudget::Build(t.m, t.plan, {kCap, kCap}, model::KvDtype::kFp8);
  EXPECT_TRUE(b.windowed());
  // Full rate: 9 x 4,096 bytes a token -> floor(268,435,456 / 36,864).
  EXPECT_EQ(b.capacity_tokens(), 7281);
  // 8,448 tokens: stage 1 needs 2 x 4,096 x 8,448 + 7 x 4,096 x 1,024 =
  // 98,566,144 bytes -> 2 fit; stage 0 needs 68,157,440 -> 3 would.
  EXPECT_EQ(b.MaxSequences(8448), 2);
  EXPECT_EQ(b.PoolBytes(1, 8448), 98566144);
  EXPECT_EQ(b.PoolBytes(0, 8448), 68157440);
  // Below the window every layer costs its full rate.
  EXPECT_EQ(b.PoolBytes(1, 1000), 9 * 4096 * 1000);
  EXPECT_EQ(b.MaxSequences(1000), 7);  // 7,281 / 1,000
  EXPECT_TRUE(b.Fits(8448));
  b.Reserve(8448, +1);
  EXPECT_TRUE(b.Fits(8448));
  b.Reserve(8448, +1);
  EXPECT_FALSE(b.Fits(8448));
  EXPECT_TRUE(b.Fits(1024));  // 70 MB left on stage 1 > 37.7 MB
  b.Reserve(8448, -1);
  EXPECT_TRUE(b.Fits(8448));
  EXPECT_FALSE(b.empty());
  b.Reserve(8448, -1);
  EXPECT_TRUE(b.empty());
}

TEST(KvBudgetTest, APinnedPrefixLeavesEachSequenceItsOwnWindow) {
  // A 2,048-token prefix pinned, requests of 4,352 tokens that start with
  // it: a sliding layer keeps the request's last 1,024 positions, none of
  // them the prefix's, so the request holds what 2,304 tokens hold.
  TwoStages t;
  KvBudget b = KvBudget::Build(t.m, t.plan, {kCap, kCap}, model::KvDtype::kFp8);
  // Stage 1: 2 x 4,096 x 2,304 + 7 x 4,096 x 1,024.
  EXPECT_EQ(b.MaxStageBytes(4352, 2048), 48234496);
  ASSERT_TRUE(b.Pin(2048));  // stage 1: 46,137,344 bytes pinned
  // 222,298,112 bytes left on stage 1: four such requests, not five.
  for (int i = 0; i < 4; ++i) {
    EXPECT_TRUE(b.FitsGrowth(2048, 4352, 2048)) << i;
    b.Reserve(4352, +1, 2048);
  }
  EXPECT_FALSE(b.FitsGrowth(2048, 4352, 2048));
  EXPECT_TRUE(b.FitsAlone(4352, 2048));
  for (int i = 0; i < 4; ++i) b.Reserve(4352, -1, 2048);
  EXPECT_TRUE(b.empty());
}

TEST(KvBudgetTest, WithoutWindowsItIsTheTokenRule) {
  auto spec = model::LoadModel("llama-3.1-8b");
  ASSERT_TRUE(spec.ok()) << spec.status();
  v1::Plan plan;
  v1::ChipShard* shard = plan.add_chips();
  shard->set_index(0);
  const int64_t per = spec->KvBytesPerToken(model::KvDtype::kFp8);
  shard->set_kv_bytes_per_token(per);
  for (int l = 0; l < 32; ++l) {
    v1::LayerSlice* s = shard->add_layers();
    s->set_layer(l);
    s->set_core(true);
  }
  // HC1: 256 MiB at 32 x 2,048 fp8 bytes a token = 4,096 tokens.
  KvBudget b = KvBudget::Build(*spec, plan, {kCap}, model::KvDtype::kFp8);
  EXPECT_FALSE(b.windowed());
  EXPECT_EQ(per, 65536);
  EXPECT_EQ(b.capacity_tokens(), 4096);
  EXPECT_EQ(b.MaxSequences(2048), 2);
  EXPECT_EQ(b.MaxSequences(4097), 0);
  b.Reserve(3000, +1);
  EXPECT_TRUE(b.Fits(1096));
  EXPECT_FALSE(b.Fits(1097));
}

// A hybrid model's sequence holds its recurrent state whatever its length:
// Qwen3.5-35B-A3B on one stage holding layers 0-3 (three gated DeltaNet
// layers, 2,146,304 state bytes each; one full layer, 2 x 2 x 256 bf16 =
// 2,048 KV bytes per token).
TEST(KvBudgetTest, RecurrentStateCountsOncePerSequence) {
  auto m = model::LoadModel("qwen3.5-35b-a3b");
  ASSERT_TRUE(m.ok()) << m.status();
  v1::Plan p;
  v1::ChipShard* c = p.add_chips();
  c->set_index(0);
  c->set_kv_bytes_per_token(2048);
  for (int l = 0; l < 4; ++l) {
    v1::LayerSlice* sl = c->add_layers();
    sl->set_layer(l);
    sl->set_core(true);
  }
  const int64_t state = 3 * 2146304;
  const int64_t cap = 10 * (state + 2048 * 1000);  // ten sequences of 1,000 tokens
  KvBudget b = KvBudget::Build(*m, p, {cap}, model::KvDtype::kBf16);
  EXPECT_TRUE(b.windowed());  // per-stage byte pools
  EXPECT_EQ(b.PoolBytes(0, 1000), state + 2048 * 1000);
  EXPECT_EQ(b.PoolBytes(0, 0), 0);  // no sequence, no state
  EXPECT_EQ(b.MaxSequences(1000), 10);
  EXPECT_EQ(b.MaxSequences(1), cap / (state + 2048));  // the state binds short ones
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(b.Fits(1000)) << i;
    b.Reserve(1000, +1);
  }
  EXPECT_FALSE(b.Fits(1));  // even one token brings a whole state
  // Growing a sequence costs only its KV, not a second state.
  b.Reserve(1000, -1);
  b.Reserve(999, +1);
  EXPECT_TRUE(b.FitsGrowth(999, 1000));
  EXPECT_FALSE(b.FitsGrowth(999, 1001));
}

}  // namespace
}  // namespace etchsim::serving
