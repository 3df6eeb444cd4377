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

}  // namespace
}  // namespace etchsim::model
