#include "serving/workload.h"

#include "gtest/gtest.h"

namespace etchsim::serving {
namespace {

TEST(TraceTest, EtchsimCsvAndJsonl) {
  auto csv = ParseTrace("output_len,arrival_s,input_len\n8,0.5,100\n4,0.25,50\n", "t.csv");
  ASSERT_TRUE(csv.ok()) << csv.status();
  ASSERT_EQ(csv->size(), 2u);
  EXPECT_EQ((*csv)[0].arrival, base::SimTime::FromSeconds(0.25));  // sorted by arrival
  EXPECT_EQ((*csv)[0].input_len, 50);
  auto jsonl = ParseTrace(R"({"arrival_s": 1.5, "input_len": 7, "output_len": 3})", "t.jsonl");
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  EXPECT_EQ((*jsonl)[0].arrival, base::SimTime::FromSeconds(1.5));
}

// The Azure LLM inference traces (github.com/Azure/AzurePublicDataset,
// AzureLLMInferenceTrace_{conv,code}.csv): absolute UTC timestamps with
// 7 fractional digits, counted from the earliest request.
TEST(TraceTest, AzureLlmInferenceCsv) {
  auto t = ParseTrace(
      "TIMESTAMP,ContextTokens,GeneratedTokens\n"
      "2023-11-16 18:15:46.6805900,374,44\n"
      "2023-11-16 18:15:50.9951690,396,109\n"
      "2023-11-16 18:16:00.0000000,879,3\n",
      "AzureLLMInferenceTrace_conv.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 3u);
  EXPECT_EQ((*t)[0].arrival, base::SimTime());
  EXPECT_EQ((*t)[0].input_len, 374);
  EXPECT_EQ((*t)[0].output_len, 44);
  EXPECT_NEAR((*t)[1].arrival.ToSeconds(), 4.314579, 1e-9);
  EXPECT_NEAR((*t)[2].arrival.ToSeconds(), 13.31941, 1e-9);
  auto bad = ParseTrace("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15,1,1\n", "a.csv");
  EXPECT_EQ(std::string(bad.status().message()),
            "a.csv:2: expected TIMESTAMP (YYYY-MM-DD HH:MM:SS[.fraction]), ContextTokens and "
            "GeneratedTokens (integers)");
}

// Mooncake's traces (github.com/kvcache-ai/Mooncake, FAST '25): JSONL with
// timestamp in milliseconds from the start and hash_ids beside the lengths.
TEST(TraceTest, MooncakeJsonl) {
  auto t = ParseTrace(
      "{\"timestamp\": 0, \"input_length\": 6955, \"output_length\": 52, \"hash_ids\": [0, 1]}\n"
      "{\"timestamp\": 27482, \"input_length\": 6472, \"output_length\": 26, \"hash_ids\": [2]}\n",
      "conversation_trace.jsonl");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 2u);
  EXPECT_EQ((*t)[1].arrival, base::SimTime::FromSeconds(27.482));
  EXPECT_EQ((*t)[1].input_len, 6472);
  EXPECT_EQ((*t)[1].output_len, 26);
  auto bad = ParseTrace(R"({"timestamp": 1, "input_length": 0, "output_length": 2})", "m.jsonl");
  EXPECT_EQ(std::string(bad.status().message()),
            "m.jsonl:1: \"input_length\" must be in [1, 1048576], got 0");
}

}  // namespace
}  // namespace etchsim::serving
