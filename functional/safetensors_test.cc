#include "functional/safetensors.h"

#include <cstring>

#include "gtest/gtest.h"

namespace etchsim::functional {
namespace {

TensorFile Sample() {
  TensorFile f;
  f.metadata["config"] = "{}";
  f.tensors["a"] = Bf16Tensor({1.0f, -2.5f, 0.0078125f}, {3});
  f.tensors["b.weight"] = Bf16Tensor({1, 2, 3, 4, 5, 6}, {2, 3});
  return f;
}

std::string WithHeader(const std::string& json, const std::string& data) {
  std::string out(8, '\0');
  const uint64_t n = json.size();
  std::memcpy(out.data(), &n, 8);
  return out + json + data;
}

TEST(Safetensors, RoundTrip) {
  const std::string bytes = SerializeSafetensors(Sample());
  EXPECT_EQ(bytes.size() % 8, (8 + 2 * 9) % 8);  // data starts 8-aligned
  auto f = ParseSafetensors(bytes, "t");
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->metadata.at("config"), "{}");
  EXPECT_EQ(f->tensors.at("a").ToFloat(), (std::vector<float>{1.0f, -2.5f, 0.0078125f}));
  EXPECT_EQ(f->tensors.at("b.weight").shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(SerializeSafetensors(*f), bytes);
}

TEST(Safetensors, Bf16RoundsToNearestEven) {
  const Tensor t = Bf16Tensor({1.0f + 1.0f / 256, 1.0f + 3.0f / 256}, {2});
  EXPECT_EQ(t.ToFloat(), (std::vector<float>{1.0f, 1.0f + 2.0f / 128}));
}

void ExpectBad(const std::string& bytes, const std::string& needle) {
  auto f = ParseSafetensors(bytes, "x.safetensors");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(f.status().message().find(needle), std::string::npos) << f.status();
  EXPECT_EQ(f.status().message().rfind("x.safetensors: ", 0), 0u) << f.status();
}

TEST(Safetensors, HostileHeadersAreRefusedBeforeAllocating) {
  ExpectBad("abc", "shorter than its 8-byte header length");
  std::string huge(8, '\xff');  // header length 2^64 - 1
  ExpectBad(huge + "{}", "exceeds the 2 bytes that follow");
  ExpectBad(WithHeader("[1,2]", ""), "not a JSON object");
  ExpectBad(WithHeader("{not json", ""), "not a JSON object");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}})", "1234"),
            "lie outside the data section of 4 bytes");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}})", "1234"),
            "4 bytes of data for 3 BF16 elements (6 bytes)");
  ExpectBad(WithHeader(R"({"t":{"dtype":"Q7","shape":[1],"data_offsets":[0,1]}})", "1"),
            "unknown dtype \"Q7\"");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[-1],"data_offsets":[0,2]}})", "12"),
            "shape entries must be integers");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},)"
                       R"("u":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})",
                       "12"),
            "overlaps");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}})", "1234"),
            "has a hole at byte 0");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}})", "1234"),
            "2 bytes no tensor uses");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[1]}})", "12"), "needs \"dtype\"");
  ExpectBad(WithHeader(R"({"__metadata__":{"k":1}})", ""), "not a string");
  ExpectBad(WithHeader(R"({"t":{"dtype":"BF16","shape":[1099511627776,1099511627776],)"
                       R"("data_offsets":[0,2]}})",
                       "12"),
            "more than 2^40 elements");
}

}  // namespace
}  // namespace etchsim::functional
