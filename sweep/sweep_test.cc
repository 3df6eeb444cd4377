#include "sweep/sweep.h"

#include <filesystem>
#include <fstream>

#include "base/file_util.h"
#include "cluster/scenario.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sweep/rows.h"

namespace etchsim::sweep {
namespace {

using ::testing::HasSubstr;

std::string TempDir(const std::string& name) {
  auto p = std::filesystem::path(::testing::TempDir()) / ("sweep_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

std::string Read(const std::string& path) {
  auto s = base::ReadFile(path);
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? *s : "";
}

// Llama 3.1 8B on hc1: one chip holds it, so points are quick; chips=0 lets
// the partitioner pick, and 1 chip of a 70B model cannot fit.
SweepSpec Small(const std::vector<std::string>& axes, const std::string& mode = "analytic") {
  v1::Sweep file;
  *file.mutable_base() = cluster::DefaultScenario();
  file.mutable_base()->set_model("llama-3.1-8b");
  file.mutable_base()->set_chip("hc1");
  file.mutable_base()->set_chips(0);
  file.mutable_base()->set_max_requests(2);
  file.mutable_base()->mutable_workload()->mutable_input_len()->set_fixed(64);
  file.mutable_base()->mutable_workload()->mutable_output_len()->set_fixed(32);
  auto spec = MakeSpec(&file, "test.textproto", axes, mode, "", 0);
  EXPECT_TRUE(spec.ok()) << spec.status();
  return *spec;
}

TEST(SweepTest, CrossProductLastAxisFastest) {
  SweepSpec spec = Small({"users=1,2,3", "output_len=16,32"});
  ASSERT_EQ(spec.NumPoints(), 6);
  std::vector<std::string> v;
  v1::Scenario s = spec.Point(3, &v);
  EXPECT_THAT(v, ::testing::ElementsAre("2", "32"));
  EXPECT_EQ(s.workload().closed_loop().users(), 2);
  EXPECT_EQ(s.workload().output_len().fixed(), 32);
}

TEST(SweepTest, SameBytesWhateverJobsAndInfeasibleRowsHaveReasons) {
  SweepSpec spec = Small({"model=llama-3.1-8b,llama-3.1-70b", "chips=1,0", "users=1:4:1"});
  RunOptions one{.jobs = 1, .out_dir = TempDir("j1")};
  RunOptions two{.jobs = 2, .out_dir = TempDir("j2")};
  auto a = RunSweep(spec, one);
  auto b = RunSweep(spec, two);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(Read(a->csv_path), Read(b->csv_path));
  EXPECT_EQ(Read(a->jsonl_path), Read(b->jsonl_path));
  // 70B on one hc1 cannot be placed: its 4 points are rows with a reason.
  EXPECT_EQ(a->infeasible, 4);
  EXPECT_THAT(Read(a->csv_path), HasSubstr("llama-3.1-70b,1,1,false,"));
  // Load does not change the analytic build: 3 distinct builds, not 16.
  EXPECT_EQ(a->builds, 3 + 1);
}

TEST(SweepTest, ResumeAfterTruncatedJournalGivesTheSameBytes) {
  SweepSpec spec = Small({"users=1:6:1", "input_len=32,64"});
  RunOptions full{.jobs = 2, .out_dir = TempDir("full")};
  auto ref = RunSweep(spec, full);
  ASSERT_TRUE(ref.ok()) << ref.status();

  // A crash mid-record: keep half the journal, cut inside a record.
  RunOptions part{.jobs = 2, .out_dir = TempDir("part")};
  std::filesystem::create_directories(part.out_dir);
  const std::string journal = Read(ref->journal_path);
  const std::string cut = part.out_dir + "/sweep.journal";
  {
    std::ofstream f(cut, std::ios::binary);
    f << journal.substr(0, journal.size() / 2 + 3);
  }
  auto kept = ReadJournal(cut);
  ASSERT_TRUE(kept.ok()) << kept.status();
  ASSERT_GT(kept->rows.size(), 0u);
  ASSERT_LT(kept->rows.size(), 12u);
  auto resumed = RunSweep(spec, part);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resumed, static_cast<int64_t>(kept->rows.size()));
  EXPECT_EQ(resumed->resumed + resumed->evaluated, 12);
  EXPECT_EQ(Read(resumed->csv_path), Read(ref->csv_path));
  EXPECT_EQ(Read(resumed->jsonl_path), Read(ref->jsonl_path));
}

TEST(SweepTest, StopKeepsFinishedRowsAndRefusesAnotherSweepsJournal) {
  SweepSpec spec = Small({"users=1:4:1"});
  std::atomic<bool> stop{true};
  RunOptions o{.jobs = 2, .out_dir = TempDir("stop"), .stop = &stop};
  auto r = RunSweep(spec, o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/sweep.csv"));
  SweepSpec other = Small({"users=1:5:1"});
  o.stop = nullptr;
  auto bad = RunSweep(other, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("belongs to a different sweep"));
}

TEST(SweepTest, ShardsMergeToTheUnshardedBytes) {
  SweepSpec spec = Small({"users=1:5:1", "output_len=16,32"});
  auto whole = RunSweep(spec, {.jobs = 1, .out_dir = TempDir("whole")});
  ASSERT_TRUE(whole.ok()) << whole.status();
  const std::string dir = TempDir("shards");
  std::vector<std::string> journals;
  for (int i = 0; i < 3; ++i) {
    auto s = RunSweep(spec, {.jobs = 1, .shard_index = i, .shard_count = 3, .out_dir = dir});
    ASSERT_TRUE(s.ok()) << s.status();
    journals.push_back(s->journal_path);
  }
  auto missing = MergeShards({journals[0], journals[2]}, TempDir("merged_bad"));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("shard(s) 1 of 3 missing"));
  auto merged = MergeShards(journals, TempDir("merged"));
  ASSERT_TRUE(merged.ok()) << merged.status();
  EXPECT_EQ(Read(merged->csv_path), Read(whole->csv_path));
  EXPECT_EQ(Read(merged->jsonl_path), Read(whole->jsonl_path));
}

TEST(SweepTest, BothModeConfirmsTheBestWithTheEventEngine) {
  auto spec = MakeSpec(nullptr, "", {"model=llama-3.1-8b", "chip=hc1", "chips=1,2,3"}, "both",
                       "analytic.single_user_tokens_per_s:max", 1);
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->base.set_max_requests(1);
  spec->base.mutable_workload()->mutable_input_len()->set_fixed(64);
  spec->base.mutable_workload()->mutable_output_len()->set_fixed(32);
  auto r = RunSweep(*spec, {.jobs = 2, .out_dir = TempDir("both")});
  ASSERT_TRUE(r.ok()) << r.status();
  const std::string csv = Read(r->csv_path);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 1 + 3 + 1);
  EXPECT_THAT(csv, HasSubstr(",event,"));
}

TEST(SweepTest, BadPointsAndOutputFolderAreInputErrors) {
  SweepSpec spec = Small({"users=1,0"});
  auto st = CheckPoints(spec);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("sweep point 1 (users=0)"));
  SweepSpec chips = Small({"chip=hc1,nosuchchip"});
  st = CheckPoints(chips);
  ASSERT_FALSE(st.ok());
  EXPECT_THAT(std::string(st.message()), HasSubstr("chip=nosuchchip"));
  auto r = RunSweep(Small({"users=1"}), {.jobs = 1, .out_dir = "/proc/nope/out"});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--out-dir /proc/nope/out"));
}

}  // namespace
}  // namespace etchsim::sweep
