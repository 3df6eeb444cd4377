#include "base/proto_json.h"

#include "gtest/gtest.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/report.pb.h"

namespace etchsim::base {
namespace {

TEST(ProtoJsonTest, DeclarationOrderZerosAndPresence) {
  v1::WorkloadSummary w;
  w.set_kind("closed_loop");
  w.set_users(0);  // set to zero: present
  // think_time_s, rate_per_s, path, lengths: unset optionals are absent.
  EXPECT_EQ(ProtoToJson(w).dump(), R"({"kind":"closed_loop","users":0})");

  v1::Distribution d;  // plain scalars: always written, in order
  d.set_p99(0.25);
  d.set_count(int64_t{1} << 62);
  EXPECT_EQ(ProtoToJson(d).dump(),
            R"({"mean":0.0,"p50":0.0,"p90":0.0,"p99":0.25,"count":4611686018427387904})");
}

TEST(ProtoJsonTest, RepeatedMessagesEnumsAndUnsigned) {
  v1::Report r;
  r.add_links()->set_name("a->b");
  r.add_links()->set_bytes(7);
  r.mutable_scenario()->set_seed(~uint64_t{0});
  const nlohmann::ordered_json j = ProtoToJson(r);
  ASSERT_EQ(j["links"].size(), 2u);
  EXPECT_EQ(j["links"][0]["name"], "a->b");
  EXPECT_EQ(j["links"][1]["bytes"], 7);
  EXPECT_EQ(j["scenario"]["seed"].get<uint64_t>(), ~uint64_t{0});
  EXPECT_TRUE(j["chips"].is_array());
  EXPECT_FALSE(j.contains("cost"));  // unset message: absent
  EXPECT_EQ(j.begin().key(), "scenario");

  v1::ChipSpec c;
  c.set_kind(v1::ChipSpec::ROOFLINE);
  EXPECT_EQ(ProtoToJson(c)["kind"], "ROOFLINE");
}

}  // namespace
}  // namespace etchsim::base
