// The sweep journal: every finished row appended as it finishes, so a
// killed sweep resumes and shards merge. It is read back as hostile input:
// every record carries a checksum and every field is range-checked, and a
// journal that does not verify is refused, naming the line.
//
// Format (text, one record per line, so a record is named file:line):
//   line 1:   etchsim-sweep-journal 2
//   line 2:   CRC BASE64   a v1::SweepJournalHeader
//   line 3..: CRC BASE64   a v1::SweepRow each
// BASE64 is the serialized message (RFC 4648 with padding) and CRC its
// CRC-32 (zlib's) as 8 lowercase hex digits. Everything up to the last
// newline must verify; bytes after it are a torn last record (a run killed
// mid-write) when they could begin a record line, and are dropped.
// Anything else there (zero bytes, other text) is damage, and refused.
#ifndef ETCHSIM_SWEEP_JOURNAL_H_
#define ETCHSIM_SWEEP_JOURNAL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

// The first line of a journal, without its newline.
inline constexpr absl::string_view kJournalMagic = "etchsim-sweep-journal 2";
// Largest serialized record: far above any real row (a few kB), so a
// torn tail is at most one record and reading allocates a known bound.
inline constexpr int64_t kMaxJournalRecordBytes = int64_t{1} << 20;

struct Journal {
  v1::SweepJournalHeader header;
  std::vector<v1::SweepRow> rows;
  int64_t valid_bytes = 0;  // through the last complete, verified record
  int64_t torn_bytes = 0;   // of a torn last record, dropped
};

// Checks a header read from outside: fingerprint, axes, columns, points in
// [1, kMaxSweepPoints], 0 <= shard_index < shard_count. `where` prefixes
// the error ("sweep.journal:2").
absl::Status CheckHeader(const v1::SweepJournalHeader& h, absl::string_view where);
// Checks a row against its header: point in [0, points) and in the
// header's shard, mode "analytic" or "event", one value per axis, at most
// one cell per column (none when infeasible), every number finite, all
// text valid UTF-8. Errors name `where`, the point and the field.
absl::Status CheckRow(const v1::SweepJournalHeader& h, const v1::SweepRow& row,
                      absl::string_view where);

// Parses and verifies journal bytes; `name` (the path) prefixes errors:
// "out/sweep.journal:14: record fails its checksum (...)". Errors are
// FailedPrecondition, one line. A journal of an earlier etchsim (no
// checksums, no first line) is refused, telling the user to rerun.
absl::StatusOr<Journal> ParseJournal(absl::string_view bytes, const std::string& name);

// Reads and verifies the journal at `path` (a regular file).
// NotFound when it does not exist.
absl::StatusOr<Journal> ReadJournal(const std::string& path);

// One line of the journal for `m`: "CRC BASE64\n".
std::string JournalLine(const google::protobuf::MessageLite& m);

// Appends rows; each Append reaches the kernel before it returns.
class JournalWriter {
 public:
  // Creates `path` holding the first line and `header` (atomically: a
  // journal exists whole or not at all), or (resume) truncates the
  // existing file to `resume_valid_bytes` and appends after it.
  // REQUIRES: `path` passed base::CheckOutputTarget; when resuming,
  // `resume_valid_bytes` came from ReadJournal of it.
  static absl::StatusOr<JournalWriter> Open(const std::string& path,
                                            const v1::SweepJournalHeader& header,
                                            int64_t resume_valid_bytes);
  JournalWriter(JournalWriter&& o) noexcept
      : fd_(o.fd_), path_(std::move(o.path_)), header_(std::move(o.header_)), size_(o.size_) {
    o.fd_ = -1;
  }
  JournalWriter(const JournalWriter&) = delete;
  ~JournalWriter();
  // Checks `row` with CheckRow (a row the reader would refuse is an
  // internal error here, not a journal that cannot resume), then appends
  // it. On a write error the partial line is cut off again, so the file
  // still ends at a whole record; the error is base::WriteError's.
  absl::Status Append(const v1::SweepRow& row);

 private:
  JournalWriter(int fd, std::string path, v1::SweepJournalHeader header, int64_t size)
      : fd_(fd), path_(std::move(path)), header_(std::move(header)), size_(size) {}
  int fd_;  // opened O_APPEND
  std::string path_;
  v1::SweepJournalHeader header_;
  int64_t size_;  // bytes of whole records in the file
};

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_JOURNAL_H_
