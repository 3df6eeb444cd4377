// Sweep rows on disk: the journal (length-delimited v1::SweepRow records
// after a v1::SweepJournalHeader, appended as points finish, so a killed
// sweep keeps every finished row) and the CSV / JSONL renderings written
// atomically from the typed rows.
#ifndef ETCHSIM_SWEEP_ROWS_H_
#define ETCHSIM_SWEEP_ROWS_H_

#include <cstdio>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

struct Journal {
  v1::SweepJournalHeader header;
  std::vector<v1::SweepRow> rows;
  int64_t valid_bytes = 0;  // up to the last complete record
};

// Reads a journal; a truncated last record (a crash mid-write) is dropped.
// NotFound when the file does not exist.
absl::StatusOr<Journal> ReadJournal(const std::string& path);

// Appends records; each Append reaches the kernel before it returns.
class JournalWriter {
 public:
  // Creates `path` with `header`, or (resume) truncates an existing file to
  // `valid_bytes` and appends after it.
  static absl::StatusOr<JournalWriter> Open(const std::string& path,
                                            const v1::SweepJournalHeader& header,
                                            int64_t resume_valid_bytes);
  JournalWriter(JournalWriter&& o) noexcept : f_(o.f_), path_(std::move(o.path_)) {
    o.f_ = nullptr;
  }
  JournalWriter(const JournalWriter&) = delete;
  ~JournalWriter();
  absl::Status Append(const v1::SweepRow& row);

 private:
  JournalWriter(std::FILE* f, std::string path) : f_(f), path_(std::move(path)) {}
  std::FILE* f_;
  std::string path_;
};

// Rows sorted by (point, mode) with `filter_infeasible` applied: the bytes
// depend only on the rows, not on the order they finished in.
std::string RenderCsv(const v1::SweepJournalHeader& h, std::vector<v1::SweepRow> rows);
std::string RenderJsonl(const v1::SweepJournalHeader& h, std::vector<v1::SweepRow> rows);

// The column of an axis: "axis.users", apart from the report's columns
// (an axis "strategy" and the report's "strategy" differ).
std::string AxisColumn(const std::string& axis);

// A cell as text (CSV) — numbers in shortest round-trip form.
std::string CellText(const v1::SweepCell& c);
// A cell's numeric value, or false when it holds none.
bool CellNumber(const v1::SweepCell& c, double* v);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_ROWS_H_
