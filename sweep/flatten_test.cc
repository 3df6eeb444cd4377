#include "sweep/flatten.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/etchsim/v1/report.pb.h"
#include "sweep/rows.h"

namespace etchsim::sweep {
namespace {

TEST(FlattenTest, NamesAreJsonKeyPathsAndValuesAlign) {
  std::vector<std::string> names;
  FlattenNames(*v1::Report::descriptor(), "", {"scenario"}, &names);
  EXPECT_THAT(names, ::testing::Contains("ttft_s.p99"));
  EXPECT_THAT(names, ::testing::Contains("output_tokens_per_s.windows"));  // json_name
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("scenario.model")));
  EXPECT_THAT(names, ::testing::Not(::testing::Contains("chips.index")));  // repeated
  v1::Report r;
  r.mutable_ttft_s()->set_p99(0.25);
  r.set_model("llama");
  r.add_chips()->set_index(3);
  std::vector<v1::SweepCell> cells;
  FlattenValues(r, {"scenario"}, &cells);
  ASSERT_EQ(cells.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "ttft_s.p99") EXPECT_EQ(CellText(cells[i]), "0.25");
    if (names[i] == "model") EXPECT_EQ(CellText(cells[i]), "llama");
    if (names[i] == "requests_completed") EXPECT_EQ(CellText(cells[i]), "0");
  }
}

TEST(FlattenTest, UnsetOptionalFieldsAreEmptyCells) {
  std::vector<std::string> names;
  FlattenNames(*v1::WorkloadSummary::descriptor(), "w.", {}, &names);
  v1::WorkloadSummary w;
  w.set_kind("poisson");
  w.set_rate_per_s(2);
  std::vector<v1::SweepCell> cells;
  FlattenValues(w, {}, &cells);
  ASSERT_EQ(cells.size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == "w.users") EXPECT_EQ(cells[i].value_case(), v1::SweepCell::VALUE_NOT_SET);
    if (names[i] == "w.rate_per_s") EXPECT_EQ(CellText(cells[i]), "2");
  }
}

}  // namespace
}  // namespace etchsim::sweep
