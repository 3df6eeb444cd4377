// Sweep rows rendered: the CSV and JSONL written from the typed rows (the
// journal that keeps them while a sweep runs is sweep/journal.h).
#ifndef ETCHSIM_SWEEP_ROWS_H_
#define ETCHSIM_SWEEP_ROWS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

// Rows sorted by (point, mode) with `filter_infeasible` applied: the bytes
// depend only on the rows, not on the order they finished in.
std::string RenderCsv(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows);
std::string RenderJsonl(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows);

// The column of an axis: "axis.users", apart from the report's columns
// (an axis "strategy" and the report's "strategy" differ).
std::string AxisColumn(const std::string& axis);

// A cell as text (CSV) — numbers in shortest round-trip form.
std::string CellText(const v1::SweepCell& c);
// A cell's numeric value, or false when it holds none.
bool CellNumber(const v1::SweepCell& c, double* v);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_ROWS_H_
