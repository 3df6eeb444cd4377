#include "base/file_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "absl/strings/str_cat.h"

namespace etchsim::base {
namespace {

const char* KindOf(mode_t m) {
  if (S_ISLNK(m)) return "symbolic link";
  if (S_ISFIFO(m)) return "FIFO";
  if (S_ISSOCK(m)) return "socket";
  if (S_ISCHR(m)) return "character device";
  if (S_ISBLK(m)) return "block device";
  return "special file";
}

// write(2) until done: a regular file may take a write in parts.
bool WriteAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string TempPath(const std::string& path) { return absl::StrCat(path, ".tmp.", ::getpid()); }

// Writes `contents` to a new temporary file beside `path` and fsyncs it.
// The name is ours (pid-suffixed); a stale one left by a crashed process
// with the same pid is replaced, never followed (O_NOFOLLOW | O_EXCL).
absl::Status WriteTemp(const std::string& path, const std::string& tmp,
                       absl::string_view contents) {
  int fd = -1;
  for (int attempt = 0; attempt < 2 && fd < 0; ++attempt) {
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno == EEXIST && attempt == 0) ::unlink(tmp.c_str());
  }
  if (fd < 0) return WriteError(path, errno);
  int err = 0;
  if (!WriteAll(fd, contents) || ::fsync(fd) != 0) err = errno;
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err != 0) {
    ::unlink(tmp.c_str());
    return WriteError(path, err);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path, int64_t max_bytes) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat(path, ": no such file"));
    }
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open: ", std::strerror(err)));
  }
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  // Read in chunks up to a cap: a device (/dev/zero) or a huge file must not
  // be slurped into memory before anyone looks at it.
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::PermissionDeniedError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  }
  std::string out;
  char buf[1 << 16];
  while (in) {
    in.read(buf, sizeof buf);
    const std::streamsize got = in.gcount();
    if (got <= 0) break;
    if (static_cast<int64_t>(out.size()) + got > max_bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": larger than the ", max_bytes, "-byte input limit"));
    }
    out.append(buf, static_cast<size_t>(got));
  }
  if (in.bad()) {
    return absl::InternalError(absl::StrCat(path, ": read failed"));
  }
  return out;
}

absl::Status WriteError(const std::string& path, int err) {
  const std::string msg = absl::StrCat(path, ": cannot write: ", std::strerror(err));
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EFBIG:
    case ENOMEM:
      return absl::UnavailableError(msg);
    default:
      return absl::PermissionDeniedError(msg);
  }
}

bool IsNullDevice(const std::string& path) {
  struct stat st, null;
  return ::stat(path.c_str(), &st) == 0 && S_ISCHR(st.st_mode) && ::stat("/dev/null", &null) == 0 &&
         S_ISCHR(null.st_mode) && st.st_rdev == null.st_rdev;
}

absl::Status CheckOutputTarget(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    // Absent: created. Another error (a parent that is a file, EACCES)
    // shows when the file is created, with its errno.
    return absl::OkStatus();
  }
  if (S_ISREG(st.st_mode) || IsNullDevice(path)) return absl::OkStatus();
  if (S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": is a directory, expected a file to write"));
  }
  return absl::InvalidArgumentError(absl::StrCat(path, ": is a ", KindOf(st.st_mode),
                                                 ", expected a regular file to write (outputs "
                                                 "replace only regular files)"));
}

absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents) {
  return WriteFilesAtomically({{path, contents}});
}

absl::Status WriteFilesAtomically(const std::vector<FileContents>& files) {
  for (const FileContents& f : files) {
    if (absl::Status st = CheckOutputTarget(f.path); !st.ok()) return st;
  }
  std::vector<std::string> temps;  // "" for a null device, written through
  auto remove_temps = [&] {
    for (const std::string& t : temps) {
      if (!t.empty()) ::unlink(t.c_str());
    }
  };
  for (const FileContents& f : files) {
    if (IsNullDevice(f.path)) {
      // Written through as a shell would (and failing as it would on a
      // nodev mount), before any rename: its bytes go nowhere.
      const int fd = ::open(f.path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd < 0 || !WriteAll(fd, f.contents)) {
        const int err = errno;
        if (fd >= 0) ::close(fd);
        remove_temps();
        return WriteError(f.path, err);
      }
      ::close(fd);
      temps.emplace_back();
      continue;
    }
    const std::string tmp = TempPath(f.path);
    if (absl::Status st = WriteTemp(f.path, tmp, f.contents); !st.ok()) {
      remove_temps();
      return st;
    }
    temps.push_back(tmp);
  }
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& path = files[i].path;
    if (temps[i].empty()) continue;  // the null device, already written
    if (std::rename(temps[i].c_str(), path.c_str()) != 0) {
      const int err = errno;
      for (size_t k = 0; k < i; ++k) {
        if (!temps[k].empty()) ::unlink(files[k].path.c_str());
      }
      for (size_t k = i; k < files.size(); ++k) {
        if (!temps[k].empty()) ::unlink(temps[k].c_str());
      }
      return WriteError(path, err);
    }
  }
  return absl::OkStatus();
}

}  // namespace etchsim::base
