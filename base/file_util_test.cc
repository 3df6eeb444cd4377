#include "base/file_util.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>

#include "base/file_size_limit.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace etchsim::base {
namespace {

using ::testing::HasSubstr;

std::string Dir(const std::string& name) {
  const auto p = std::filesystem::path(::testing::TempDir()) / ("file_util_" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

std::string Slurp(const std::string& path) {
  auto s = ReadFile(path);
  return s.ok() ? *s : "<" + std::string(s.status().message()) + ">";
}

// Nothing but the named files: no temporary file left behind.
std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(FileUtilTest, RoundTripAndErrorsNameThePath) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/etchsim_file_util_test.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "hello\n").ok());
  EXPECT_EQ(*ReadFile(path), "hello\n");
  ASSERT_TRUE(WriteFileAtomically(path, "again").ok());
  EXPECT_EQ(*ReadFile(path), "again");
  std::filesystem::remove(path);

  auto missing = ReadFile(dir + "/does/not/exist.json");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("does/not/exist.json"), std::string::npos);
  EXPECT_EQ(ReadFile(dir).status().code(), absl::StatusCode::kInvalidArgument);
  const absl::Status no_dir = WriteFileAtomically(dir + "/no/such/dir/x", "x");
  EXPECT_EQ(no_dir.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(no_dir.message()), HasSubstr("/no/such/dir/x: cannot write: "));
}

struct TargetCase {
  std::string name;
  // Makes the target in `dir` and returns its path.
  std::function<std::string(const std::string& dir)> make;
  std::string error;  // "" when the write must succeed
};

std::vector<TargetCase> TargetCases() {
  return {
      {"Absent", [](const std::string& d) { return d + "/out"; }, ""},
      {"RegularFile",
       [](const std::string& d) {
         std::ofstream(d + "/out") << "old";
         return d + "/out";
       },
       ""},
      {"NullDevice",
       [](const std::string& d) {
         // A null device of our own (as root), so the real one is never at
         // stake; written through, as a shell writes to /dev/null.
         const std::string p = d + "/null";
         const int fd = ::mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0
                            ? ::open(p.c_str(), O_WRONLY)
                            : -1;
         if (fd >= 0) {
           ::close(fd);
         } else {  // not root, or a nodev mount
           std::filesystem::remove(p);
           std::filesystem::create_symlink("/dev/null", p);
         }
         return p;
       },
       ""},
      {"LinkToNullDevice",
       [](const std::string& d) {
         std::filesystem::create_symlink("/dev/null", d + "/out");
         return d + "/out";
       },
       ""},
      {"Symlink",
       [](const std::string& d) {
         std::ofstream(d + "/real") << "precious";
         std::filesystem::create_symlink("real", d + "/out");
         return d + "/out";
       },
       "/out: is a symbolic link, expected a regular file to write (outputs replace only "
       "regular files)"},
      {"DanglingSymlink",
       [](const std::string& d) {
         std::filesystem::create_symlink("nowhere", d + "/out");
         return d + "/out";
       },
       "is a symbolic link"},
      {"Fifo",
       [](const std::string& d) {
         ::mkfifo((d + "/out").c_str(), 0600);
         return d + "/out";
       },
       "/out: is a FIFO, expected a regular file"},
      {"OtherCharDevice", [](const std::string&) { return std::string("/dev/zero"); },
       "/dev/zero: is a character device, expected a regular file"},
      {"Directory",
       [](const std::string& d) {
         std::filesystem::create_directory(d + "/out");
         return d + "/out";
       },
       "/out: is a directory, expected a file to write"},
  };
}

class OutputTarget : public ::testing::TestWithParam<TargetCase> {};

TEST_P(OutputTarget, ReplacesOnlyRegularFiles) {
  const std::string dir = Dir(GetParam().name);
  const std::string path = GetParam().make(dir);
  struct stat before;
  const bool existed = ::lstat(path.c_str(), &before) == 0;
  const std::vector<std::string> names = Names(dir);
  const absl::Status st = WriteFileAtomically(path, "new");
  EXPECT_EQ(CheckOutputTarget(path).ok(), st.ok());
  if (GetParam().error.empty()) {
    ASSERT_TRUE(st.ok()) << st;
    if (IsNullDevice(path)) {
      struct stat after;
      ASSERT_EQ(::lstat(path.c_str(), &after), 0);
      EXPECT_EQ(after.st_mode, before.st_mode);  // still the device (or link)
      EXPECT_EQ(after.st_rdev, before.st_rdev);
    } else {
      EXPECT_EQ(Slurp(path), "new");
    }
  } else {
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(st.message()), HasSubstr(GetParam().error));
    struct stat after;
    ASSERT_EQ(::lstat(path.c_str(), &after) == 0, existed);
    EXPECT_EQ(after.st_mode, before.st_mode);  // untouched
    EXPECT_EQ(after.st_ino, before.st_ino);
    if (GetParam().name == "Symlink") {
      EXPECT_EQ(Slurp(dir + "/real"), "precious");
    }
  }
  std::vector<std::string> expected = names;
  if (!existed && st.ok()) expected.push_back(std::filesystem::path(path).filename().string());
  EXPECT_THAT(Names(dir), ::testing::UnorderedElementsAreArray(expected));  // no temporary left
}

INSTANTIATE_TEST_SUITE_P(Table, OutputTarget, ::testing::ValuesIn(TargetCases()),
                         [](const auto& info) { return info.param.name; });

struct ErrnoCase {
  int err;
  absl::StatusCode code;
};

class WriteErrors : public ::testing::TestWithParam<ErrnoCase> {};

// What the machine lacks (exit 1) is told apart from a path that cannot
// hold a file (exit 2); either is one line naming the path.
TEST_P(WriteErrors, ClassifiedByErrno) {
  const absl::Status st = WriteError("out/x.csv", GetParam().err);
  EXPECT_EQ(st.code(), GetParam().code);
  EXPECT_EQ(st.message(), std::string("out/x.csv: cannot write: ") + std::strerror(GetParam().err));
}

INSTANTIATE_TEST_SUITE_P(Table, WriteErrors,
                         ::testing::Values(ErrnoCase{ENOSPC, absl::StatusCode::kUnavailable},
                                           ErrnoCase{EDQUOT, absl::StatusCode::kUnavailable},
                                           ErrnoCase{EIO, absl::StatusCode::kUnavailable},
                                           ErrnoCase{EFBIG, absl::StatusCode::kUnavailable},
                                           ErrnoCase{EACCES, absl::StatusCode::kPermissionDenied},
                                           ErrnoCase{EROFS, absl::StatusCode::kPermissionDenied},
                                           ErrnoCase{ENOENT, absl::StatusCode::kPermissionDenied},
                                           ErrnoCase{ENOTDIR,
                                                     absl::StatusCode::kPermissionDenied}));

TEST(FileUtilTest, FilesThatBelongTogetherAreWrittenBothOrNeither) {
  const std::string dir = Dir("pair");
  const std::string csv = dir + "/a.csv", jsonl = dir + "/a.jsonl";
  ASSERT_TRUE(WriteFilesAtomically({{csv, "old csv"}, {jsonl, "old jsonl"}}).ok());
  const std::string big(64 << 10, 'x');
  absl::Status st;
  {
    FileSizeLimit limit(16 << 10);  // the CSV fits, the JSONL does not
    st = WriteFilesAtomically({{csv, "new csv"}, {jsonl, big}});
  }
  EXPECT_EQ(st.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(st.message(), jsonl + ": cannot write: File too large");
  EXPECT_EQ(Slurp(csv), "old csv");
  EXPECT_EQ(Slurp(jsonl), "old jsonl");
  EXPECT_THAT(Names(dir), ::testing::ElementsAre("a.csv", "a.jsonl"));
  // A bad target anywhere in the set: nothing written.
  ::mkfifo((dir + "/b.jsonl").c_str(), 0600);
  st = WriteFilesAtomically({{dir + "/b.csv", "x"}, {dir + "/b.jsonl", "y"}});
  EXPECT_THAT(std::string(st.message()), HasSubstr("b.jsonl: is a FIFO"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/b.csv"));
  ASSERT_TRUE(WriteFilesAtomically({{csv, "new csv"}, {jsonl, big}}).ok());
  EXPECT_EQ(Slurp(csv), "new csv");
  EXPECT_EQ(Slurp(jsonl), big);
}

TEST(FileUtilTest, AStaleTemporaryFileIsReplacedNotFollowed) {
  const std::string dir = Dir("stale");
  const std::string path = dir + "/out";
  std::ofstream(dir + "/victim") << "precious";
  std::filesystem::create_symlink("victim", path + ".tmp." + std::to_string(::getpid()));
  ASSERT_TRUE(WriteFileAtomically(path, "new").ok());
  EXPECT_EQ(Slurp(path), "new");
  EXPECT_EQ(Slurp(dir + "/victim"), "precious");
  EXPECT_THAT(Names(dir), ::testing::ElementsAre("out", "victim"));
}

}  // namespace
}  // namespace etchsim::base
