#include "base/text_proto.h"

#include "gtest/gtest.h"
#include "proto/etchsim/v1/fabric.pb.h"

namespace etchsim::base {
namespace {

TEST(TextProtoTest, Parses) {
  auto l = ParseTextProto<v1::LinkSpec>("name: \"x\"\nbandwidth_bytes_per_s: 5e9\n", "x.textproto");
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_EQ(l->name(), "x");
  EXPECT_EQ(l->bandwidth_bytes_per_s(), 5e9);
}

TEST(TextProtoTest, ErrorsNameSourceLineAndColumn) {
  struct Case {
    const char* text;
    const char* error;
  };
  for (const Case& c : {
           Case{"name: \"x\"\n  bandwith: 3\n",
                "l.textproto: line 2, column 11: Message type \"etchsim.v1.LinkSpec\" has no "
                "field named \"bandwith\"."},
           Case{"bandwidth_bytes_per_s: \"fast\"",
                "l.textproto: line 1, column 24: Expected double, got: \"fast\""},
           Case{"name: \"x", "l.textproto: line 1, column 9: Unexpected end of string."},
       }) {
    auto l = ParseTextProto<v1::LinkSpec>(c.text, "l.textproto");
    EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(std::string(l.status().message()), c.error);
  }
}

}  // namespace
}  // namespace etchsim::base
