#include "model/model_report.h"

#include "gtest/gtest.h"
#include "model/zoo.h"

namespace etchsim::model {
namespace {

TEST(ModelReportTest, JsonTopLevelAndLayersAgreeWithSpec) {
  const ModelSpec m = *LoadModel("deepseek-r1");
  AccountingOptions opt;
  opt.kv_dtype = KvDtype::kFp8;
  const auto j = ModelAccountingJson(m, opt);
  EXPECT_EQ(j["total_params"].get<int64_t>(), m.TotalParams());
  EXPECT_EQ(j["active_params_per_token"].get<int64_t>(), m.ActiveParamsPerToken());
  EXPECT_EQ(j["kv_cache_bytes_per_token"].get<int64_t>(), 61 * 576);
  EXPECT_EQ(j["num_layers"].get<int64_t>(), 61);
  ASSERT_EQ(j["layers"].size(), 61u);
  int64_t sum = j["components"]["embedding"].get<int64_t>() +
                j["components"]["lm_head"].get<int64_t>() +
                j["components"]["norms"].get<int64_t>() -
                static_cast<int64_t>(61) * 2 * 7168;  // layer norms re-added below
  for (const auto& l : j["layers"]) sum += l["params"].get<int64_t>();
  EXPECT_EQ(sum, m.TotalParams());
  EXPECT_EQ(j["layers"][3]["components"]["num_routed_experts"].get<int>(), 256);
  EXPECT_EQ(j["mtp"].size(), 1u);
}

TEST(ModelReportTest, TextNamesTheNumbers) {
  const ModelSpec m = *LoadModel("llama-3.1-8b");
  const std::string t = ModelAccountingText(m, AccountingOptions{});
  EXPECT_NE(t.find("8,030,261,248"), std::string::npos);
  EXPECT_NE(t.find("131,072"), std::string::npos);  // KV bytes per token
  EXPECT_NE(t.find("0-31 (x32)"), std::string::npos);
}

TEST(ModelReportTest, WindowedLayersConventionsAndNativeFormat) {
  const ModelSpec m = *LoadModel("gpt-oss-120b");
  AccountingOptions opt;
  opt.context_tokens = 4096;
  const auto j = ModelAccountingJson(m, opt);
  // 18 full layers hold 4,096 positions, 18 sliding ones 128; 2,048 B each.
  EXPECT_EQ(j["kv_cache_bytes_at_context"].get<int64_t>(), (18 * 4096 + 18 * 128) * 2048);
  EXPECT_EQ(j["layers"][0]["attention_span"], "sliding");
  EXPECT_EQ(j["layers"][0]["attention_window"].get<int64_t>(), 128);
  EXPECT_EQ(j["layers"][1]["attention_span"], "full");
  EXPECT_EQ(j["layers"][0]["kv_cache_bytes_at_context"].get<int64_t>(), 128 * 2048);
  EXPECT_EQ(j["active_params_conventions"]["etchsim"].get<int64_t>(), 5132852352);
  EXPECT_EQ(j["active_params_conventions"]["with_embedding_table"].get<int64_t>(),
            5132852352 - 2880 + 201088 * 2880);
  EXPECT_EQ(j["native_expert_format"], "mxfp4");
  EXPECT_EQ(j["native_weight_bytes"].get<int64_t>(), 65248815744);
  const std::string t = ModelAccountingText(m, opt);
  EXPECT_NE(t.find("sliding 128"), std::string::npos);
  EXPECT_NE(t.find("KV cache at L=4096 (windows capped)"), std::string::npos);
  EXPECT_NE(t.find("native checkpoint (mxfp4 experts)"), std::string::npos);
  // Dense models without windows print no capped row.
  const std::string dense = ModelAccountingText(*LoadModel("llama-3.1-8b"), opt);
  EXPECT_EQ(dense.find("windows capped"), std::string::npos);
}

TEST(ModelReportTest, MultimodalTextModelIsNamed) {
  const ModelSpec m = *LoadModel("gemma-3-27b");
  const auto j = ModelAccountingJson(m, AccountingOptions{});
  EXPECT_EQ(j["text_model_of"], "Gemma3ForConditionalGeneration");
  EXPECT_NE(ModelAccountingText(m, AccountingOptions{}).find("vision tower is not counted"),
            std::string::npos);
}

}  // namespace
}  // namespace etchsim::model
