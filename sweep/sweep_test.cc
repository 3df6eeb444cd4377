#include "sweep/sweep.h"

#include <filesystem>
#include <fstream>
#include <functional>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "base/file_size_limit.h"
#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sim/scenario.h"
#include "sweep/journal.h"
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
  *file.mutable_base() = sim::DefaultScenario();
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

TEST(SweepTest, DesignAxesApplyAfterTheChipAxis) {
  // The design axis is listed first but lands on the chip the chip axis
  // chose: "@hc1" then "+kv_sram_mb=512".
  SweepSpec spec = Small({"design.kv_sram_mb=256,512", "chip=@hc1,hc1"});
  ASSERT_EQ(spec.NumPoints(), 4);
  std::vector<std::string> v;
  absl::Status applied;
  v1::Scenario s = spec.Point(2, &v, &applied);
  EXPECT_TRUE(applied.ok()) << applied;
  EXPECT_EQ(s.chip(), "@hc1+kv_sram_mb=512");
  // A design axis on a preset chip is refused before anything runs.
  applied = absl::OkStatus();
  spec.Point(3, &v, &applied);
  EXPECT_THAT(applied.message(), HasSubstr("design axes need a design chip"));
  // A design past the reticle is an infeasible point, not a typo.
  EXPECT_TRUE(CheckPoints(Small({"chip=@hc1", "design.kv_sram_mb=256,1024"})).ok());
  // Ranges expand for design fields as for scenario fields.
  EXPECT_EQ(Small({"design.kv_sram_mb=64:192:64", "chip=@hc1"}).NumPoints(), 3);
  absl::Status checked = CheckPoints(spec);
  EXPECT_THAT(std::string(checked.message()),
              HasSubstr("sweep point 1 (design.kv_sram_mb=256 chip=hc1)"));
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

struct CountCase {
  std::vector<std::string> axes;
  std::string error;  // "" when the sweep is allowed
};

class PointCount : public ::testing::TestWithParam<CountCase> {};

// The product of the axes is checked first: a sweep past the limit is one
// line naming the product, however large (or overflowing) it is.
TEST_P(PointCount, CheckedBeforeAnythingWalksThePoints) {
  auto spec = MakeSpec(nullptr, "", GetParam().axes, "", "", 0);
  if (GetParam().error.empty()) {
    ASSERT_TRUE(spec.ok()) << spec.status();
    EXPECT_LE(spec->NumPoints(), kMaxSweepPoints);
    return;
  }
  ASSERT_FALSE(spec.ok());
  EXPECT_EQ(spec.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(spec.status().message(), GetParam().error);
}

INSTANTIATE_TEST_SUITE_P(
    Table, PointCount,
    ::testing::Values(
        CountCase{{"users=1:1000:1", "input_len=1:1000:1", "output_len=1:1000:1"},
                  "sweep: 1,000 x 1,000 x 1,000 = 1,000,000,000 points, more than the limit of "
                  "1,000,000"},
        CountCase{
            {"users=1:65536:1", "input_len=1:65536:1", "output_len=1:65536:1", "seed=1:65536:1"},
            "sweep: 65,536 x 65,536 x 65,536 x 65,536 = 1.84e+19 points, more than the "
            "limit of 1,000,000"},
        CountCase{{"users=1:1000:1", "seed=1:1001:1"},
                  "sweep: 1,000 x 1,001 = 1,001,000 points, more than the limit of 1,000,000"},
        CountCase{{"users=1:1000:1", "seed=1:1000:1"}, ""}));

// Rewrites the journal at `path` with each row passed through `edit`, with
// valid checksums: what only a forger (or a bug) could write.
void Forge(const std::string& path, const std::function<void(v1::SweepRow&)>& edit) {
  auto j = ReadJournal(path);
  ASSERT_TRUE(j.ok()) << j.status();
  std::string out = absl::StrCat(kJournalMagic, "\n", JournalLine(j->header));
  for (v1::SweepRow& r : j->rows) {
    edit(r);
    out += JournalLine(r);
  }
  std::ofstream(path, std::ios::binary | std::ios::trunc) << out;
}

TEST(SweepTest, ResumeRefusesRowsThisSweepWouldNotWrite) {
  SweepSpec spec = Small({"users=1:4:1"});
  RunOptions o{.jobs = 1, .out_dir = TempDir("forged")};
  auto r = RunSweep(spec, o);
  ASSERT_TRUE(r.ok()) << r.status();
  Forge(r->journal_path, [](v1::SweepRow& row) {
    if (row.point() == 2) row.set_mode("event");
  });
  auto bad = RunSweep(spec, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr(": point 2: a row of mode event, which this sweep does not run"));
  Forge(r->journal_path, [](v1::SweepRow& row) {
    row.set_mode("analytic");
    if (row.point() == 1) row.set_axis_values(0, "99");
  });
  bad = RunSweep(spec, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr(": point 1: axis values (99) are not this sweep's (2)"));
}

TEST(SweepTest, BothModeJournalWithAPointOutsideTheSweepIsRefused) {
  auto spec = MakeSpec(nullptr, "", {"model=llama-3.1-8b", "chip=hc1", "chips=1,2,3"}, "both",
                       "analytic.single_user_tokens_per_s:max", 1);
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->base.set_max_requests(1);
  RunOptions o{.jobs = 1, .out_dir = TempDir("both_forged")};
  auto r = RunSweep(*spec, o);
  ASSERT_TRUE(r.ok()) << r.status();
  Forge(r->journal_path, [](v1::SweepRow& row) { row.set_point(row.point() - 1); });
  auto bad = RunSweep(*spec, o);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("point -1 is outside the sweep's"));
}

TEST(SweepTest, AFullDiskKeepsWholeRowsAndTheRerunResumes) {
  SweepSpec spec = Small({"users=1:6:1", "input_len=32,64"});
  auto ref = RunSweep(spec, {.jobs = 1, .out_dir = TempDir("disk_ref")});
  ASSERT_TRUE(ref.ok()) << ref.status();
  const auto journal_bytes = std::filesystem::file_size(ref->journal_path);

  // The journal fills the disk halfway through.
  RunOptions o{.jobs = 1, .out_dir = TempDir("disk_full")};
  std::filesystem::create_directories(o.out_dir);
  absl::StatusOr<RunSummary> full;
  {
    base::FileSizeLimit limit(journal_bytes / 2);
    full = RunSweep(spec, o);
  }
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(full.status().message()),
              HasSubstr("sweep.journal: cannot write: File too large; "));
  EXPECT_THAT(std::string(full.status().message()),
              HasSubstr(" row(s) kept in the journal, rerun to resume"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/sweep.csv"));
  auto kept = ReadJournal(o.out_dir + "/sweep.journal");
  ASSERT_TRUE(kept.ok()) << kept.status();
  EXPECT_EQ(kept->torn_bytes, 0);  // cut back to whole records
  EXPECT_GT(kept->rows.size(), 0u);

  // Then the outputs do not fit (the journal does): neither is written.
  {
    base::FileSizeLimit limit(journal_bytes + 64);
    full = RunSweep(spec, o);
  }
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(full.status().message()), HasSubstr("rerun to write them"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/sweep.csv"));
  EXPECT_FALSE(std::filesystem::exists(o.out_dir + "/sweep.jsonl"));
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(o.out_dir)) {
    ++files;
    EXPECT_EQ(e.path().filename(), "sweep.journal");
  }
  EXPECT_EQ(files, 1);

  auto resumed = RunSweep(spec, o);
  ASSERT_TRUE(resumed.ok()) << resumed.status();
  EXPECT_EQ(resumed->resumed, 12);
  EXPECT_EQ(Read(resumed->csv_path), Read(ref->csv_path));
  EXPECT_EQ(Read(resumed->jsonl_path), Read(ref->jsonl_path));
}

TEST(SweepTest, OutputsThatAreNotFilesAreRefusedBeforeAnyPointRuns) {
  SweepSpec spec = Small({"users=1:2:1"});
  const std::string dir = TempDir("targets");
  std::filesystem::create_directories(dir);
  ASSERT_EQ(::mkfifo((dir + "/sweep.csv").c_str(), 0600), 0);
  auto r = RunSweep(spec, {.jobs = 1, .out_dir = dir});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("sweep.csv: is a FIFO"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/sweep.journal"));
  std::filesystem::remove(dir + "/sweep.csv");
  { std::ofstream(dir + "/elsewhere") << "precious"; }
  std::filesystem::create_symlink("elsewhere", dir + "/sweep.journal");
  r = RunSweep(spec, {.jobs = 1, .out_dir = dir});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("sweep.journal: is a symbolic link"));
  EXPECT_EQ(Read(dir + "/elsewhere"), "precious");
}

TEST(SweepTest, MergeNamesAShardCountMismatchAndWritesBothOrNeither) {
  SweepSpec spec = Small({"users=1:4:1"});
  const std::string dir = TempDir("counts");
  auto a = RunSweep(spec, {.jobs = 1, .shard_index = 0, .shard_count = 2, .out_dir = dir});
  auto b = RunSweep(spec, {.jobs = 1, .shard_index = 1, .shard_count = 2, .out_dir = dir});
  auto c = RunSweep(spec, {.jobs = 1, .shard_index = 1, .shard_count = 3, .out_dir = dir});
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  auto m = MergeShards({a->journal_path, c->journal_path}, TempDir("counts_out"));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()),
              HasSubstr("shard-1-of-3.journal: shard 1 of 3, but "));
  EXPECT_THAT(std::string(m.status().message()), HasSubstr(" is a shard of 2"));

  const std::string out = TempDir("merge_fifo");
  std::filesystem::create_directories(out);
  ASSERT_EQ(::mkfifo((out + "/sweep.jsonl").c_str(), 0600), 0);
  m = MergeShards({a->journal_path, b->journal_path}, out);
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("sweep.jsonl: is a FIFO"));
  EXPECT_FALSE(std::filesystem::exists(out + "/sweep.csv"));
}

}  // namespace
}  // namespace etchsim::sweep
