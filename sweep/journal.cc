#include "sweep/journal.h"

#include <cerrno>
#include <cmath>
#include <map>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/stubs/logging.h"
#include "sweep/sweep.h"

namespace etchsim::sweep {
namespace {

// "CRC " then base64 of at most kMaxJournalRecordBytes, then '\n'.
constexpr int64_t kMaxLineBytes = 9 + (kMaxJournalRecordBytes + 2) / 3 * 4;
// The whole journal, read into memory: 10^6 analytic rows are 310 MB, and
// a record per mode at the point limit stays well inside this.
constexpr int64_t kMaxJournalBytes = int64_t{4} << 30;

uint32_t Crc(absl::string_view s) {
  uLong c = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt; records are far below 4 GiB.
  c = crc32(c, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()));
  return static_cast<uint32_t>(c);
}

bool IsBase64Char(char c) { return absl::ascii_isalnum(c) || c == '+' || c == '/' || c == '='; }
bool IsLineChar(char c) { return IsBase64Char(c) || c == ' '; }

absl::Status Bad(absl::string_view where, absl::string_view what) {
  return absl::FailedPreconditionError(absl::StrCat(where, ": ", what));
}

// An earlier etchsim wrote varint-length-prefixed records with no
// checksums and no first line; its first record is a header with a
// 16-digit fingerprint.
bool LooksLikeOldJournal(absl::string_view bytes) {
  google::protobuf::io::CodedInputStream in(
      reinterpret_cast<const uint8_t*>(bytes.data()),
      static_cast<int>(std::min<size_t>(bytes.size(), 1 << 20)));
  uint32_t size;
  std::string body;
  v1::SweepJournalHeader h;
  return in.ReadVarint32(&size) && size < (1u << 20) &&
         in.ReadString(&body, static_cast<int>(size)) && h.ParseFromString(body) &&
         h.fingerprint().size() == 16;
}

bool IsHex16(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(c) && !(c >= 'a' && c <= 'f')) return false;
  }
  return true;
}

// Decodes one line (without its newline) into `body`.
absl::Status DecodeLine(absl::string_view line, std::string* body) {
  if (static_cast<int64_t>(line.size()) + 1 > kMaxLineBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("record longer than the ", kMaxJournalRecordBytes, "-byte limit"));
  }
  bool form = line.size() >= 9 && line[8] == ' ' && (line.size() - 9) % 4 == 0;
  for (size_t i = 0; form && i < line.size(); ++i) {
    form = i < 8 ? (absl::ascii_isdigit(line[i]) || (line[i] >= 'a' && line[i] <= 'f'))
                 : i == 8 || IsBase64Char(line[i]);
  }
  uint32_t stored = 0;
  // Only the canonical encoding: no two texts of one record, so any
  // change to the bytes on disk is seen.
  if (!form || !absl::SimpleHexAtoi(line.substr(0, 8), &stored) ||
      !absl::Base64Unescape(line.substr(9), body) || absl::Base64Escape(*body) != line.substr(9)) {
    return absl::FailedPreconditionError("not a journal record (expected CRC BASE64)");
  }
  if (const uint32_t computed = Crc(*body); computed != stored) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "record fails its checksum (stored %08x, computed %08x)", stored, computed));
  }
  return absl::OkStatus();
}

}  // namespace

std::string JournalLine(const google::protobuf::MessageLite& m) {
  const std::string body = m.SerializeAsString();
  return absl::StrFormat("%08x %s\n", Crc(body), absl::Base64Escape(body));
}

absl::Status CheckHeader(const v1::SweepJournalHeader& h, absl::string_view where) {
  if (!IsHex16(h.fingerprint())) {
    return Bad(where, "header: fingerprint is not 16 hex digits");
  }
  if (h.axes_size() == 0) return Bad(where, "header: no axes");
  if (h.columns_size() == 0) return Bad(where, "header: no columns");
  for (const std::string& a : h.axes()) {
    if (a.empty() || !base::IsValidUtf8(a)) return Bad(where, "header: an axis name is not text");
  }
  for (const std::string& c : h.columns()) {
    if (c.empty() || !base::IsValidUtf8(c)) return Bad(where, "header: a column name is not text");
  }
  if (h.points() < 1 || h.points() > kMaxSweepPoints) {
    return Bad(where, absl::StrCat("header: points must be in [1, ", kMaxSweepPoints, "], got ",
                                   h.points()));
  }
  if (h.shard_count() < 1 || h.shard_index() < 0 || h.shard_index() >= h.shard_count()) {
    return Bad(where, absl::StrCat("header: shard ", h.shard_index(), "/", h.shard_count(),
                                   " is not I/N with 0 <= I < N"));
  }
  return absl::OkStatus();
}

absl::Status CheckRow(const v1::SweepJournalHeader& h, const v1::SweepRow& row,
                      absl::string_view where) {
  const int64_t p = row.point();
  if (p < 0 || p >= h.points()) {
    return Bad(where, absl::StrCat("point ", p, " is outside the sweep's [0, ", h.points(), ")"));
  }
  if (p % h.shard_count() != h.shard_index()) {
    return Bad(where, absl::StrCat("point ", p, " is not in shard ", h.shard_index(), "/",
                                   h.shard_count()));
  }
  if (row.mode() != "analytic" && row.mode() != "event") {
    return Bad(where, absl::StrCat("point ", p, ": mode \"", absl::CHexEscape(row.mode()),
                                   "\" is not analytic or event"));
  }
  const std::string at = absl::StrCat("point ", p, " (", row.mode(), "): ");
  if (row.axis_values_size() != h.axes_size()) {
    return Bad(where, absl::StrCat(at, row.axis_values_size(), " axis value(s) for ", h.axes_size(),
                                   " axes"));
  }
  for (int i = 0; i < row.axis_values_size(); ++i) {
    if (!base::IsValidUtf8(row.axis_values(i))) {
      return Bad(where, absl::StrCat(at, "the value of axis ", h.axes(i), " is not UTF-8"));
    }
  }
  if (!base::IsValidUtf8(row.reason())) return Bad(where, absl::StrCat(at, "reason is not UTF-8"));
  if (row.cells_size() > h.columns_size()) {
    return Bad(where,
               absl::StrCat(at, row.cells_size(), " cells for ", h.columns_size(), " columns"));
  }
  if (!row.feasible() && row.cells_size() > 0) {
    return Bad(where, absl::StrCat(at, "an infeasible row with ", row.cells_size(), " cells"));
  }
  for (int i = 0; i < row.cells_size(); ++i) {
    const v1::SweepCell& c = row.cells(i);
    if (c.has_number() && !std::isfinite(c.number())) {
      return Bad(where,
                 absl::StrCat(at, h.columns(i), " is ", c.number(), ", expected a finite number"));
    }
    if (c.has_text() && !base::IsValidUtf8(c.text())) {
      return Bad(where, absl::StrCat(at, h.columns(i), " is not UTF-8"));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Journal> ParseJournal(absl::string_view bytes, const std::string& name) {
  // A forged record can pass its checksum yet hold a string that is not
  // UTF-8; protobuf would log that as a second line. The refusal says it.
  google::protobuf::LogSilencer quiet;
  const std::string magic = absl::StrCat(kJournalMagic, "\n");
  if (!absl::StartsWith(bytes, magic)) {
    if (LooksLikeOldJournal(bytes)) {
      return Bad(name,
                 "a journal of an earlier etchsim, without record checksums, so its rows cannot "
                 "be verified; delete it and rerun the sweep");
    }
    return Bad(
        absl::StrCat(name, ":1"),
        absl::StrCat("not a sweep journal (expected the first line \"", kJournalMagic, "\")"));
  }
  Journal j;
  std::map<std::pair<int64_t, std::string>, int64_t> line_of;  // (point, mode) -> line
  size_t pos = magic.size();
  int64_t line_no = 1;
  bool have_header = false;
  while (pos < bytes.size()) {
    ++line_no;
    const std::string where = absl::StrCat(name, ":", line_no);
    // Past the header, say how to keep the rows that verified.
    const std::string keep =
        have_header ? absl::StrCat("; the ", j.rows.size(), " row(s) before it verify (truncate ",
                                   "the file to ", pos, " bytes to keep them)")
                    : "";
    const size_t nl = bytes.find('\n', pos);
    if (nl == absl::string_view::npos) {
      // No newline: a torn last record when it could begin a record line.
      const absl::string_view tail = bytes.substr(pos);
      size_t bad = 0;
      while (bad < tail.size() && IsLineChar(tail[bad])) ++bad;
      if (bad == tail.size() && static_cast<int64_t>(tail.size()) < kMaxLineBytes && have_header) {
        j.torn_bytes = static_cast<int64_t>(tail.size());
        break;
      }
      if (!have_header) return Bad(where, "the header record is incomplete");
      if (bad < tail.size()) {
        return Bad(where, absl::StrFormat("not a journal record (byte 0x%02x at offset %d)%s",
                                          static_cast<unsigned char>(tail[bad]), pos + bad, keep));
      }
      return Bad(where, absl::StrCat("record longer than the ", kMaxJournalRecordBytes,
                                     "-byte limit", keep));
    }
    std::string body;
    if (absl::Status st = DecodeLine(bytes.substr(pos, nl - pos), &body); !st.ok()) {
      return Bad(where, absl::StrCat(st.message(), keep));
    }
    if (!have_header) {
      if (!j.header.ParseFromString(body)) return Bad(where, "checksum matches but not a header");
      RETURN_IF_ERROR(CheckHeader(j.header, where));
      have_header = true;
    } else {
      v1::SweepRow row;
      if (!row.ParseFromString(body)) {
        return Bad(where, absl::StrCat("checksum matches but not a row", keep));
      }
      if (absl::Status st = CheckRow(j.header, row, where); !st.ok()) {
        return absl::FailedPreconditionError(absl::StrCat(st.message(), keep));
      }
      auto [it, fresh] = line_of.emplace(std::make_pair(row.point(), row.mode()), line_no);
      if (!fresh) {
        return Bad(where, absl::StrCat("point ", row.point(), " (", row.mode(),
                                       ") is already on line ", it->second, keep));
      }
      j.rows.push_back(std::move(row));
    }
    pos = nl + 1;
    j.valid_bytes = static_cast<int64_t>(pos);
  }
  if (!have_header) return Bad(absl::StrCat(name, ":2"), "no header record");
  return j;
}

absl::StatusOr<Journal> ReadJournal(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a regular file, expected a sweep journal"));
  }
  ASSIGN_OR_RETURN(std::string bytes, base::ReadFile(path, kMaxJournalBytes));
  return ParseJournal(bytes, path);
}

absl::StatusOr<JournalWriter> JournalWriter::Open(const std::string& path,
                                                  const v1::SweepJournalHeader& header,
                                                  int64_t resume_valid_bytes) {
  int64_t size = resume_valid_bytes;
  if (resume_valid_bytes <= 0) {
    const std::string first = absl::StrCat(kJournalMagic, "\n", JournalLine(header));
    RETURN_IF_ERROR(base::WriteFileAtomically(path, first));
    size = static_cast<int64_t>(first.size());
  }
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return base::WriteError(path, errno);
  // Resuming: cut a torn last record so the next row starts a line.
  if (resume_valid_bytes > 0 && ::ftruncate(fd, resume_valid_bytes) != 0) {
    const int err = errno;
    ::close(fd);
    return base::WriteError(path, err);
  }
  return JournalWriter(fd, path, header, size);
}

JournalWriter::~JournalWriter() {
  if (fd_ >= 0) ::close(fd_);
}

absl::Status JournalWriter::Append(const v1::SweepRow& row) {
  if (absl::Status st = CheckRow(header_, row, path_); !st.ok()) {
    return absl::InternalError(absl::StrCat(st.message(), " (a row the journal cannot keep)"));
  }
  const std::string line = JournalLine(row);
  if (static_cast<int64_t>(line.size()) > kMaxLineBytes) {
    return absl::InternalError(absl::StrCat(path_, ": point ", row.point(), ": a row over the ",
                                            kMaxJournalRecordBytes, "-byte record limit"));
  }
  absl::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n = ::write(fd_, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      // Keep the file at whole records so a rerun resumes cleanly; should
      // the cut fail too, the reader drops the torn tail.
      const int cut = ::ftruncate(fd_, size_);
      (void)cut;
      return base::WriteError(path_, err);
    }
    rest.remove_prefix(static_cast<size_t>(n));
  }
  size_ += static_cast<int64_t>(line.size());
  return absl::OkStatus();
}

}  // namespace etchsim::sweep
