#include "serving/batch_scheduler.h"

#include "gtest/gtest.h"

namespace etchsim::serving {
namespace {

Message Decode(int32_t request, int32_t context) {
  Message m;
  m.type = MsgType::kWork;
  m.request = request;
  m.context = context;
  m.count = 1;
  return m;
}

Message Chunk(int32_t request, int32_t context, int32_t count, bool last) {
  Message m = Decode(request, context);
  m.count = count;
  m.flags = kFlagPrefill | (last ? kFlagLastChunk : 0);
  return m;
}

TEST(BatchSchedulerTest, EveryDecodeJoinsBeforeAnyPromptChunk) {
  // A prompt chunk queued ahead of three decodes does not push them out:
  // running sequences come first, as in vLLM's scheduler.
  std::deque<Message> q = {Chunk(9, 0, 100, true), Decode(1, 10), Decode(2, 20), Decode(3, 30)};
  const std::vector<Message> step = TakeStep(q, {.max_batch = 8, .token_budget = 64});
  ASSERT_EQ(step.size(), 4u);
  EXPECT_EQ(step[0].request, 1);
  EXPECT_EQ(step[1].request, 2);
  EXPECT_EQ(step[2].request, 3);
  // The chunk gets what is left of the budget (61 tokens) and is split;
  // the rest keeps its place with the last-chunk flag.
  EXPECT_EQ(step[3].request, 9);
  EXPECT_EQ(step[3].count, 61);
  EXPECT_EQ(step[3].context, 0);
  EXPECT_FALSE(step[3].flags & kFlagLastChunk);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].context, 61);
  EXPECT_EQ(q[0].count, 39);
  EXPECT_TRUE(q[0].flags & kFlagLastChunk);
  EXPECT_EQ(TokensOf(step), 64);
}

TEST(BatchSchedulerTest, MaxBatchDefersInArrivalOrder) {
  std::deque<Message> q = {Decode(1, 0), Chunk(7, 0, 8, true), Decode(2, 0), Decode(3, 0)};
  const std::vector<Message> step = TakeStep(q, {.max_batch = 2, .token_budget = 0});
  ASSERT_EQ(step.size(), 2u);
  EXPECT_EQ(step[0].request, 1);
  EXPECT_EQ(step[1].request, 2);
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[0].request, 7);  // arrived before decode 3
  EXPECT_EQ(q[1].request, 3);
}

TEST(BatchSchedulerTest, WholeChunksWhenTheyFitAndOneItemAlways) {
  std::deque<Message> q = {Chunk(1, 0, 32, false), Chunk(1, 32, 32, true)};
  std::vector<Message> step = TakeStep(q, {.max_batch = 8, .token_budget = 64});
  EXPECT_EQ(step.size(), 2u);
  EXPECT_TRUE(q.empty());
  EXPECT_TRUE(step[1].flags & kFlagLastChunk);
  // A speculative decode item larger than the budget still runs alone.
  Message big = Decode(4, 5);
  big.count = 4;
  q = {big, Decode(5, 5)};
  step = TakeStep(q, {.max_batch = 8, .token_budget = 2});
  ASSERT_EQ(step.size(), 1u);
  EXPECT_EQ(step[0].request, 4);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].request, 5);
}

TEST(BatchSchedulerTest, BatchItemsMarkWhichNeedLogits) {
  const std::vector<chip::BatchItem> items =
      ToBatchItems({Decode(1, 7), Chunk(2, 0, 16, false), Chunk(2, 16, 4, true)});
  ASSERT_EQ(items.size(), 3u);
  EXPECT_FALSE(items[0].prefill);
  EXPECT_TRUE(items[0].needs_logits);
  EXPECT_EQ(items[0].context, 7);
  EXPECT_TRUE(items[1].prefill);
  EXPECT_FALSE(items[1].needs_logits);
  EXPECT_TRUE(items[2].needs_logits);
  EXPECT_EQ(items[2].count, 4);
}

}  // namespace
}  // namespace etchsim::serving
