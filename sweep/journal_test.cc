#include "sweep/journal.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "base/file_size_limit.h"
#include "base/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::sweep {
namespace {

using ::testing::HasSubstr;

v1::SweepJournalHeader Header() {
  v1::SweepJournalHeader h;
  h.set_fingerprint("0123456789abcdef");
  h.add_axes("users");
  h.add_columns("num_chips");
  h.add_columns("at_peak.power_w");
  h.set_points(6);
  h.set_shard_index(0);
  h.set_shard_count(1);
  return h;
}

v1::SweepRow Row(int64_t point, const std::string& mode = "analytic") {
  v1::SweepRow r;
  r.set_point(point);
  r.set_mode(mode);
  r.set_feasible(true);
  r.add_axis_values(absl::StrCat(point + 1));
  r.add_cells()->set_integer(1);
  r.add_cells()->set_number(412.5 + static_cast<double>(point));
  return r;
}

std::string Bytes(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows) {
  std::string out = absl::StrCat(kJournalMagic, "\n", JournalLine(h));
  for (const v1::SweepRow& r : rows) out += JournalLine(r);
  return out;
}

std::string Good() { return Bytes(Header(), {Row(0), Row(1), Row(2)}); }

TEST(JournalTest, ReadsWhatItWrote) {
  auto j = ParseJournal(Good(), "j");
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->header.SerializeAsString(), Header().SerializeAsString());
  ASSERT_EQ(j->rows.size(), 3u);
  EXPECT_EQ(j->rows[2].SerializeAsString(), Row(2).SerializeAsString());
  EXPECT_EQ(j->valid_bytes, static_cast<int64_t>(Good().size()));
  EXPECT_EQ(j->torn_bytes, 0);
}

TEST(JournalTest, TornLastRecordIsDroppedNotRefused) {
  const std::string good = Good();
  const size_t last_line = good.rfind('\n', good.size() - 2) + 1;
  // Every cut inside the last record (a run killed mid-write) resumes with
  // the rows before it.
  for (size_t cut = last_line + 1; cut < good.size(); ++cut) {
    auto j = ParseJournal(good.substr(0, cut), "j");
    ASSERT_TRUE(j.ok()) << "cut at " << cut << ": " << j.status();
    EXPECT_EQ(j->rows.size(), 2u);
    EXPECT_EQ(j->valid_bytes, static_cast<int64_t>(last_line));
    EXPECT_EQ(j->torn_bytes, static_cast<int64_t>(cut - last_line));
  }
}

// Every single bit flip anywhere is refused, or (when it only tears the
// last record, e.g. its newline) drops that record: never a changed row.
TEST(JournalTest, NoSingleBitFlipChangesARow) {
  const std::string good = Good();
  const std::vector<v1::SweepRow> rows = {Row(0), Row(1), Row(2)};
  int refused = 0;
  for (size_t i = 0; i < good.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      auto j = ParseJournal(bad, "j");
      if (!j.ok()) {
        ++refused;
        continue;
      }
      ASSERT_EQ(j->header.SerializeAsString(), Header().SerializeAsString()) << i << ":" << bit;
      ASSERT_LE(j->rows.size(), rows.size());
      for (size_t k = 0; k < j->rows.size(); ++k) {
        ASSERT_EQ(j->rows[k].SerializeAsString(), rows[k].SerializeAsString())
            << "flip of bit " << bit << " at byte " << i << " changed row " << k;
      }
      ASSERT_LT(j->rows.size(), rows.size()) << "flip at byte " << i << " went unnoticed";
    }
  }
  EXPECT_GT(refused, static_cast<int>(good.size()) * 8 - 16);
}

std::string Reencoded(v1::SweepRow r) { return Bytes(Header(), {Row(0), r, Row(2)}); }

struct BadCase {
  std::string name;
  std::string bytes;
  std::string error;  // substring of the one line
};

std::vector<BadCase> BadCases() {
  const std::string good = Good();
  std::vector<BadCase> cases;
  cases.push_back({"AppendedZeros", good + std::string(2'000'000, '\0'),
                   "j:6: not a journal record (byte 0x00 at offset"});
  cases.push_back({"AppendedZerosKeepHint", good + std::string(100, '\0'),
                   absl::StrCat("the 3 row(s) before it verify (truncate the file to ", good.size(),
                                " bytes")});
  cases.push_back({"ZerosInTheMiddle",
                   Bytes(Header(), {Row(0)}) + std::string(64, '\0') + "\n" + JournalLine(Row(1)),
                   "j:4: not a journal record (expected CRC BASE64)"});
  std::string flipped = good;
  char& c = flipped[good.rfind('\n', good.size() - 2) - 6];  // inside row 1's base64
  c = c == 'A' ? 'B' : 'A';
  cases.push_back({"ChecksumMismatch", flipped, "j:4: record fails its checksum (stored "});
  v1::SweepRow r = Row(1);
  r.set_point(-1);
  cases.push_back({"NegativePoint", Reencoded(r), "j:4: point -1 is outside the sweep's [0, 6)"});
  r.set_point(1'000'000'000'000);
  cases.push_back({"HugePoint", Reencoded(r), "point 1000000000000 is outside"});
  r = Row(1, "bogus");
  cases.push_back({"BogusMode", Reencoded(r), "j:4: point 1: mode \"bogus\" is not analytic"});
  r = Row(1);
  r.mutable_cells(1)->set_number(std::nan(""));
  cases.push_back({"NanCell", Reencoded(r),
                   "j:4: point 1 (analytic): at_peak.power_w is nan, expected a finite number"});
  r.mutable_cells(1)->set_number(-std::numeric_limits<double>::infinity());
  cases.push_back({"InfCell", Reencoded(r), "at_peak.power_w is -inf"});
  r = Row(1);
  r.add_axis_values("2");
  cases.push_back({"AxisCount", Reencoded(r), "2 axis value(s) for 1 axes"});
  r = Row(1);
  r.add_cells()->set_flag(true);
  cases.push_back({"TooManyCells", Reencoded(r), "3 cells for 2 columns"});
  r = Row(1);
  r.set_feasible(false);
  cases.push_back({"InfeasibleWithCells", Reencoded(r), "an infeasible row with 2 cells"});
  r = Row(1);
  r.set_feasible(false);
  r.clear_cells();
  r.set_reason("bad \xff");  // proto3 strings are UTF-8: it does not parse
  cases.push_back({"ReasonNotUtf8", Reencoded(r), "j:4: checksum matches but not a row"});
  cases.push_back({"Duplicate", Bytes(Header(), {Row(0), Row(1), Row(0)}),
                   "j:5: point 0 (analytic) is already on line 3"});
  v1::SweepJournalHeader sharded = Header();
  sharded.set_shard_count(2);
  sharded.set_shard_index(1);
  cases.push_back({"PointOfAnotherShard", Bytes(sharded, {Row(1), Row(2)}),
                   "j:4: point 2 is not in shard 1/2"});
  v1::SweepJournalHeader h = Header();
  h.set_points(0);
  cases.push_back({"HeaderNoPoints", Bytes(h, {}), "j:2: header: points must be in [1, 1000000]"});
  h = Header();
  h.set_points(int64_t{1} << 40);
  cases.push_back({"HeaderTooManyPoints", Bytes(h, {}), "points must be in"});
  h = Header();
  h.set_shard_index(3);
  cases.push_back({"HeaderShard", Bytes(h, {}), "header: shard 3/1 is not I/N"});
  h = Header();
  h.set_fingerprint("x");
  cases.push_back({"HeaderFingerprint", Bytes(h, {}), "fingerprint is not 16 hex digits"});
  h = Header();
  h.clear_axes();
  cases.push_back({"HeaderNoAxes", Bytes(h, {}), "header: no axes"});
  cases.push_back({"Empty", "", "j:1: not a sweep journal"});
  cases.push_back({"OnlyZeros", std::string(4096, '\0'), "j:1: not a sweep journal"});
  cases.push_back({"NoHeader", absl::StrCat(kJournalMagic, "\n"), "j:2: no header record"});
  cases.push_back({"TornHeader", good.substr(0, kJournalMagic.size() + 20),
                   "j:2: the header record is incomplete"});
  cases.push_back({"LongLine", good + std::string(kMaxJournalRecordBytes * 2, 'A'),
                   "j:6: record longer than the 1048576-byte limit"});
  // The varint-framed journal of an earlier etchsim: header, no checksum.
  const std::string body = Header().SerializeAsString();
  cases.push_back({"OldFormat", absl::StrCat(std::string(1, static_cast<char>(body.size())), body),
                   "a journal of an earlier etchsim, without record checksums"});
  return cases;
}

class JournalBad : public ::testing::TestWithParam<BadCase> {};

TEST_P(JournalBad, RefusedInOneLineNamingTheRecord) {
  auto j = ParseJournal(GetParam().bytes, "j");
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(j.status().message()), HasSubstr(GetParam().error));
  EXPECT_EQ(std::string(j.status().message()).find('\n'), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Table, JournalBad, ::testing::ValuesIn(BadCases()),
                         [](const auto& info) { return info.param.name; });

std::string TempPath(const std::string& name) {
  const auto p = std::filesystem::path(::testing::TempDir()) / ("journal_" + name);
  std::filesystem::remove_all(p);
  return p.string();
}

TEST(JournalTest, WriterRefusesARowTheReaderWouldRefuse) {
  const std::string path = TempPath("refuse");
  auto w = JournalWriter::Open(path, Header(), 0);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(w->Append(Row(0)).ok());
  v1::SweepRow r = Row(1);
  r.mutable_cells(1)->set_number(std::nan(""));
  const absl::Status st = w->Append(r);
  EXPECT_EQ(st.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(st.message()), HasSubstr("at_peak.power_w is nan"));
  auto j = ReadJournal(path);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->rows.size(), 1u);
}

TEST(JournalTest, ResumeCutsTheTornTailAndAppendsAfterIt) {
  const std::string path = TempPath("resume");
  const std::string good = Good();
  {
    std::ofstream f(path, std::ios::binary);
    f << good.substr(0, good.size() - 5);
  }
  auto j = ReadJournal(path);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->rows.size(), 2u);
  {
    auto w = JournalWriter::Open(path, Header(), j->valid_bytes);
    ASSERT_TRUE(w.ok()) << w.status();
    ASSERT_TRUE(w->Append(Row(2)).ok());
  }
  EXPECT_EQ(*base::ReadFile(path), good);
}

TEST(JournalTest, AWriteErrorLeavesWholeRecords) {
  const std::string path = TempPath("full");
  auto w = JournalWriter::Open(path, Header(), 0);
  ASSERT_TRUE(w.ok()) << w.status();
  ASSERT_TRUE(w->Append(Row(0)).ok());
  const auto size = std::filesystem::file_size(path);
  {
    base::FileSizeLimit limit(size + 10);  // part of the next line fits
    const absl::Status st = w->Append(Row(1));
    EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
    EXPECT_THAT(std::string(st.message()), HasSubstr(path + ": cannot write: File too large"));
  }
  EXPECT_EQ(std::filesystem::file_size(path), size);
  ASSERT_TRUE(w->Append(Row(1)).ok());  // space again: the journal goes on
  auto j = ReadJournal(path);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_EQ(j->rows.size(), 2u);
}

TEST(JournalTest, ReadJournalRefusesWhatIsNotAFile) {
  const std::string fifo = TempPath("fifo");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto j = ReadJournal(fifo);  // would block if opened
  ASSERT_FALSE(j.ok());
  EXPECT_THAT(std::string(j.status().message()), HasSubstr("not a regular file"));
  EXPECT_EQ(ReadJournal(TempPath("absent")).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace etchsim::sweep
