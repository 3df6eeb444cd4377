#include "sweep/rows.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "nlohmann/json.hpp"

namespace etchsim::sweep {
namespace {

// A journal record: varint length, then the message.
std::string Record(const google::protobuf::MessageLite& m) {
  std::string body;
  m.SerializeToString(&body);
  std::string out;
  google::protobuf::io::StringOutputStream s(&out);
  {
    google::protobuf::io::CodedOutputStream c(&s);
    c.WriteVarint32(static_cast<uint32_t>(body.size()));
    c.WriteString(body);
  }
  return out;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void Sort(const v1::SweepJournalHeader& h, std::vector<v1::SweepRow>& rows) {
  if (h.filter_infeasible()) {
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const v1::SweepRow& r) { return !r.feasible(); }),
               rows.end());
  }
  std::sort(rows.begin(), rows.end(), [](const v1::SweepRow& a, const v1::SweepRow& b) {
    if (a.point() != b.point()) return a.point() < b.point();
    return a.mode() < b.mode();  // "analytic" before "event"
  });
}

}  // namespace

std::string AxisColumn(const std::string& axis) { return "axis." + axis; }

std::string CellText(const v1::SweepCell& c) {
  switch (c.value_case()) {
    case v1::SweepCell::kNumber: {
      char buf[64];
      auto r = std::to_chars(buf, buf + sizeof buf, c.number());
      return std::string(buf, r.ptr);
    }
    case v1::SweepCell::kInteger:
      return absl::StrCat(c.integer());
    case v1::SweepCell::kText:
      return c.text();
    case v1::SweepCell::kFlag:
      return c.flag() ? "true" : "false";
    default:
      return "";
  }
}

bool CellNumber(const v1::SweepCell& c, double* v) {
  if (c.has_number())
    *v = c.number();
  else if (c.has_integer())
    *v = static_cast<double>(c.integer());
  else
    return false;
  return true;
}

absl::StatusOr<Journal> ReadJournal(const std::string& path) {
  ASSIGN_OR_RETURN(std::string bytes, base::ReadFile(path));
  Journal j;
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  in.SetTotalBytesLimit(std::numeric_limits<int>::max());
  bool first = true;
  while (true) {
    uint32_t size;
    if (!in.ReadVarint32(&size)) break;
    std::string body;
    if (!in.ReadString(&body, static_cast<int>(size))) break;  // truncated tail
    if (first) {
      if (!j.header.ParseFromString(body)) break;
      first = false;
    } else {
      v1::SweepRow row;
      if (!row.ParseFromString(body)) break;
      j.rows.push_back(std::move(row));
    }
    j.valid_bytes = in.CurrentPosition();
  }
  if (first) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, ": not a sweep journal (no header record)"));
  }
  return j;
}

absl::StatusOr<JournalWriter> JournalWriter::Open(const std::string& path,
                                                  const v1::SweepJournalHeader& header,
                                                  int64_t resume_valid_bytes) {
  std::FILE* f = nullptr;
  if (resume_valid_bytes > 0) {
    if (::truncate(path.c_str(), resume_valid_bytes) != 0 ||
        (f = std::fopen(path.c_str(), "ab")) == nullptr) {
      return absl::PermissionDeniedError(
          absl::StrCat(path, ": cannot append: ", std::strerror(errno)));
    }
    return JournalWriter(f, path);
  }
  f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot create: ", std::strerror(errno)));
  }
  JournalWriter w(f, path);
  const std::string rec = Record(header);
  if (std::fwrite(rec.data(), 1, rec.size(), f) != rec.size() || std::fflush(f) != 0) {
    return absl::PermissionDeniedError(
        absl::StrCat(path, ": cannot write: ", std::strerror(errno)));
  }
  return w;
}

JournalWriter::~JournalWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

absl::Status JournalWriter::Append(const v1::SweepRow& row) {
  const std::string rec = Record(row);
  if (std::fwrite(rec.data(), 1, rec.size(), f_) != rec.size() || std::fflush(f_) != 0) {
    return absl::DataLossError(absl::StrCat(path_, ": cannot write: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

std::string RenderCsv(const v1::SweepJournalHeader& h, std::vector<v1::SweepRow> rows) {
  Sort(h, rows);
  std::string out = "point,mode";
  for (const std::string& a : h.axes()) absl::StrAppend(&out, ",", CsvField(AxisColumn(a)));
  absl::StrAppend(&out, ",feasible,reason");
  for (const std::string& c : h.columns()) absl::StrAppend(&out, ",", CsvField(c));
  out += "\n";
  for (const v1::SweepRow& r : rows) {
    absl::StrAppend(&out, r.point(), ",", r.mode());
    for (const std::string& v : r.axis_values()) absl::StrAppend(&out, ",", CsvField(v));
    absl::StrAppend(&out, ",", r.feasible() ? "true" : "false", ",", CsvField(r.reason()));
    for (int i = 0; i < h.columns_size(); ++i) {
      absl::StrAppend(&out, ",", i < r.cells_size() ? CsvField(CellText(r.cells(i))) : "");
    }
    out += "\n";
  }
  return out;
}

std::string RenderJsonl(const v1::SweepJournalHeader& h, std::vector<v1::SweepRow> rows) {
  Sort(h, rows);
  std::string out;
  for (const v1::SweepRow& r : rows) {
    nlohmann::ordered_json j;
    j["point"] = r.point();
    j["mode"] = r.mode();
    for (int i = 0; i < h.axes_size() && i < r.axis_values_size(); ++i) {
      j[AxisColumn(h.axes(i))] = r.axis_values(i);
    }
    j["feasible"] = r.feasible();
    j["reason"] = r.reason();
    for (int i = 0; i < h.columns_size(); ++i) {
      const v1::SweepCell c = i < r.cells_size() ? r.cells(i) : v1::SweepCell();
      switch (c.value_case()) {
        case v1::SweepCell::kNumber:
          j[h.columns(i)] = c.number();
          break;
        case v1::SweepCell::kInteger:
          j[h.columns(i)] = c.integer();
          break;
        case v1::SweepCell::kText:
          j[h.columns(i)] = c.text();
          break;
        case v1::SweepCell::kFlag:
          j[h.columns(i)] = c.flag();
          break;
        default:
          j[h.columns(i)] = nullptr;
          break;
      }
    }
    absl::StrAppend(&out, j.dump(), "\n");
  }
  return out;
}

}  // namespace etchsim::sweep
