#include "sweep/rows.h"

#include <algorithm>
#include <charconv>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace etchsim::sweep {
namespace {

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// The rows to render, in order: pointers, so a million rows are not
// copied to be sorted.
std::vector<const v1::SweepRow*> Sorted(const v1::SweepJournalHeader& h,
                                        const std::vector<v1::SweepRow>& rows) {
  std::vector<const v1::SweepRow*> out;
  out.reserve(rows.size());
  for (const v1::SweepRow& r : rows) {
    if (r.feasible() || !h.filter_infeasible()) out.push_back(&r);
  }
  std::sort(out.begin(), out.end(), [](const v1::SweepRow* a, const v1::SweepRow* b) {
    if (a->point() != b->point()) return a->point() < b->point();
    return a->mode() < b->mode();  // "analytic" before "event"
  });
  return out;
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

std::string RenderCsv(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows) {
  std::string out = "point,mode";
  for (const std::string& a : h.axes()) absl::StrAppend(&out, ",", CsvField(AxisColumn(a)));
  absl::StrAppend(&out, ",feasible,reason");
  for (const std::string& c : h.columns()) absl::StrAppend(&out, ",", CsvField(c));
  out += "\n";
  for (const v1::SweepRow* row : Sorted(h, rows)) {
    const v1::SweepRow& r = *row;
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

std::string RenderJsonl(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows) {
  std::string out;
  for (const v1::SweepRow* row : Sorted(h, rows)) {
    const v1::SweepRow& r = *row;
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
