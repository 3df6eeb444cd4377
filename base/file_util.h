// File helpers with error messages that name the path.
#ifndef ETCHSIM_BASE_FILE_UTIL_H_
#define ETCHSIM_BASE_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/bounds.h"

namespace etchsim::base {

// Whole file as bytes. NotFound / PermissionDenied / Internal name the path;
// InvalidArgument if it is a directory or holds more than `max_bytes` (read
// in chunks, so /dev/zero fails at the cap rather than exhausting memory).
absl::StatusOr<std::string> ReadFile(const std::string& path,
                                     int64_t max_bytes = kMaxInputFileBytes);

// The one-line error for a failed create, write or rename of `path` with
// errno `err`, classified by what is wrong:
//   Unavailable: the machine lacks something (ENOSPC, EDQUOT, EIO, EFBIG,
//     ENOMEM); the same command may work once it is fixed (exit 1).
//   PermissionDenied: the path cannot hold a file (EACCES, EROFS, ENOENT,
//     ENOTDIR, ...), i.e. the output named is wrong (exit 2).
// The message is "<path>: cannot write: <strerror>".
absl::Status WriteError(const std::string& path, int err);

// The rule for every output: a path that does not exist is created; a
// regular file is replaced; the null device (/dev/null, or a link to it)
// is written through, as a shell's `> /dev/null` would; anything else that
// exists (a symbolic link, a FIFO, a socket, another device, a directory)
// is refused with InvalidArgument: "<path>: is a FIFO, expected a regular
// file to write (outputs replace only regular files)" ("is a directory,
// expected a file to write" for a folder). Never blocks (a FIFO is not
// opened).
absl::Status CheckOutputTarget(const std::string& path);

// True when `path` resolves to the null character device.
bool IsNullDevice(const std::string& path);

// Writes to "<path>.tmp.<pid>", fsyncs, then renames over `path`, so a
// reader (or a crash) never sees a half-written result file. The target
// must pass CheckOutputTarget. On any error the temporary file is removed
// and `path` is as it was.
absl::Status WriteFileAtomically(const std::string& path, absl::string_view contents);

struct FileContents {
  std::string path;
  absl::string_view contents;  // must outlive the call
};

// Several outputs that belong together (a CSV and its JSONL): every
// target is checked and every temporary file written and fsynced before
// the first rename, so a full disk or a bad target leaves every path as it
// was. The renames themselves need no space; should one still fail, the
// files already renamed are removed too, so the set is never mixed (an
// old version of those is then gone).
absl::Status WriteFilesAtomically(const std::vector<FileContents>& files);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_FILE_UTIL_H_
