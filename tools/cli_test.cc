#include "tools/cli.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tools/cli_test_util.h"
#include "tools/commands.h"

namespace etchsim::tools {
namespace {

using Result = CliResult;

TEST(CliTest, HelpEverywhere) {
  Result top = RunCli({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("models show"), std::string::npos);
  Result sub = RunCli({"models", "show", "--help"});
  EXPECT_EQ(sub.code, 0);
  EXPECT_NE(sub.out.find("--kv-dtype=bf16"), std::string::npos);
  EXPECT_NE(sub.out.find("usage: etchsim models show NAME|PATH"), std::string::npos);
}

TEST(CliTest, VersionAndCommandGroups) {
  Result v = RunCli({"--version"});
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, "etchsim " ETCHSIM_VERSION "\n");
  // A group's word lists its commands: the answer with --help, an
  // incomplete command (exit 2) without.
  Result g = RunCli({"cost", "--help"});
  EXPECT_EQ(g.code, 0);
  EXPECT_NE(g.out.find("usage: etchsim cost COMMAND"), std::string::npos) << g.out;
  EXPECT_NE(g.out.find("cost breakeven"), std::string::npos);
  EXPECT_NE(g.out.find("cost availability"), std::string::npos);
  Result bare = RunCli({"cost"});
  EXPECT_EQ(bare.code, 2);
  EXPECT_NE(bare.err.find("cost breakeven"), std::string::npos);
  // Computed defaults print with six significant digits, not seventeen.
  Result a = RunCli({"cost", "availability", "--help"});
  EXPECT_EQ(a.out.find("8948.0553144290134"), std::string::npos);
  EXPECT_NE(a.out.find("--chip-fit=8948.06"), std::string::npos) << a.out;
  // plan's --spares shows the 0 its CSV reports when the flag is not given.
  Result p = RunCli({"plan", "--help"});
  EXPECT_NE(p.out.find("--spares=0\n"), std::string::npos) << p.out;
}

TEST(CliTest, UnknownFlagsCommandsAndValuesAreErrors) {
  Result f = RunCli({"models", "show", "llama-3.1-8b", "--rate=3"});
  EXPECT_EQ(f.code, 2);
  EXPECT_EQ(f.err,
            "etchsim models show: unknown flag --rate (see 'etchsim models "
            "show --help')\n");
  Result c = RunCli({"frobnicate"});
  EXPECT_EQ(c.code, 2);
  EXPECT_NE(c.err.find("unknown command \"frobnicate\""), std::string::npos);
  Result v = RunCli({"models", "show", "llama-3.1-8b", "--context=abc"});
  EXPECT_EQ(v.code, 2);
  EXPECT_NE(v.err.find("invalid value \"abc\" for --context"), std::string::npos);
  Result a = RunCli({"models", "show"});
  EXPECT_EQ(a.code, 2);
  EXPECT_NE(a.err.find("expected 1 argument(s) (NAME|PATH), got 0"), std::string::npos);
  Result d = RunCli({"models", "show", "llama-3.1-8b", "--kv-dtype=int3"});
  EXPECT_EQ(d.code, 2);
  EXPECT_EQ(d.err, "etchsim: unknown KV dtype \"int3\" (known: bf16, fp16, fp8)\n");
  Result fm = RunCli({"models", "--format=yaml"});
  EXPECT_EQ(fm.code, 2);
}

TEST(CliTest, FlagsResetBetweenRuns) {
  Result a = RunCli({"models", "show", "llama-3.1-8b", "--format", "json", "--kv-dtype=fp8"});
  ASSERT_EQ(a.code, 0) << a.err;
  auto ja = nlohmann::json::parse(a.out);
  EXPECT_EQ(ja["kv_cache_bytes_per_token"].get<int64_t>(), 65536);
  Result b = RunCli({"models", "show", "llama-3.1-8b", "--format=json"});
  auto jb = nlohmann::json::parse(b.out);
  EXPECT_EQ(jb["kv_cache_bytes_per_token"].get<int64_t>(), 131072);
}

TEST(CliTest, ShowJsonHasTheContractedKeys) {
  Result r = RunCli({"models", "show", "deepseek-r1", "--format=json"});
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  for (const char* key :
       {"total_params", "active_params_per_token", "kv_cache_bytes_per_token", "num_layers"}) {
    ASSERT_TRUE(j.contains(key)) << key;
    EXPECT_TRUE(j[key].is_number_integer()) << key;
  }
  EXPECT_EQ(j["total_params"].get<int64_t>(), 671026419200);
  EXPECT_TRUE(j["layers"].is_array());
  EXPECT_EQ(j["layers"].size(), 61u);
}

struct BadFile {
  std::string name;
  std::string contents;  // empty name of file = missing file
  std::string expected_err_suffix;
};

void PrintTo(const BadFile& c, std::ostream* os) { *os << c.name; }

class BadFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BadFileTest, ExitTwoWithOneLine) {
  const BadFile& c = GetParam();
  const std::string path = ::testing::TempDir() + "/etchsim_bad_" + c.name + ".json";
  std::filesystem::remove(path);
  if (c.name != "missing") std::ofstream(path) << c.contents;
  Result r = RunCli({"models", "show", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "etchsim: " + path + c.expected_err_suffix + "\n");
  std::filesystem::remove(path);
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadFileTest,
    ::testing::Values(
        BadFile{"missing", "", ": no such file"},
        BadFile{"invalid", "{\"a\":",
                ": invalid JSON at line 1, column 6: syntax "
                "error while parsing value - unexpected end "
                "of input; expected '[', '{', or a literal"},
        BadFile{"nofield", R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 8})",
                ": missing required field \"num_hidden_layers\""},
        BadFile{"negative",
                R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 8,
                    "num_hidden_layers": -3})",
                ": \"num_hidden_layers\" must be > 0, got -3"},
        BadFile{
            "arch", R"({"architectures": ["BertModel"]})",
            ": unsupported architecture \"BertModel\" in \"architectures\" "
            "(supported: LlamaForCausalLM, MistralForCausalLM, "
            "MixtralForCausalLM, Qwen2ForCausalLM, Qwen3MoeForCausalLM, "
            "DeepseekV3ForCausalLM, Qwen3ForCausalLM, DeepseekV2ForCausalLM, "
            "Phi3ForCausalLM, Gemma2ForCausalLM, Gemma3ForCausalLM, "
            "Gemma3ForConditionalGeneration, GptOssForCausalLM, "
            "Llama4ForCausalLM, Llama4ForConditionalGeneration, Qwen3_5ForConditionalGeneration, "
            "Qwen3_5ForCausalLM, Qwen3_5MoeForConditionalGeneration, Qwen3_5MoeForCausalLM)"}),
    [](const auto& info) { return info.param.name; });

TEST(CliTest, UnknownModelNameIsExitTwo) {
  Result r = RunCli({"models", "show", "gpt-5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown model \"gpt-5\""), std::string::npos);
}

}  // namespace
}  // namespace etchsim::tools
