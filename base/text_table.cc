#include "base/text_table.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace etchsim::base {

TextTable::TextTable(std::vector<std::string> header, std::vector<Align> align)
    : header_(std::move(header)), align_(std::move(align)) {
  // Unspecified columns: the first (a label) left, numbers right.
  const size_t given = align_.size();
  align_.resize(header_.size(), Align::kRight);
  if (given == 0 && !align_.empty()) align_[0] = Align::kLeft;
}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(header_.size());
  rows_.push_back(std::move(cells));
}

std::string TextTable::Render() const {
  std::vector<size_t> width(header_.size(), 0);
  for (size_t c = 0; c < header_.size(); ++c) width[c] = header_[c].size();
  for (const auto& r : rows_) {
    for (size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], r[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < header_.size(); ++c) {
      const std::string& s = cells[c];
      const size_t pad = width[c] - s.size();
      if (c > 0) out += "  ";
      if (align_[c] == Align::kRight) {
        out += std::string(pad, ' ') + s;
      } else {
        out += s;
        if (c + 1 < header_.size()) out += std::string(pad, ' ');
      }
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  auto rule = [&]() {
    std::string out;
    for (size_t c = 0; c < header_.size(); ++c) {
      if (c > 0) out += "  ";
      out += std::string(width[c], '-');
    }
    return out + "\n";
  };
  std::string out = line(header_) + rule();
  for (const auto& r : rows_) out += line(r);
  return out;
}

std::string WithCommas(int64_t v) {
  std::string digits = absl::StrFormat("%d", v < 0 ? -v : v);
  std::string out;
  int n = 0;
  for (auto it = digits.rbegin(); it != digits.rend(); ++it) {
    if (n > 0 && n % 3 == 0) out.push_back(',');
    out.push_back(*it);
    ++n;
  }
  if (v < 0) out.push_back('-');
  std::reverse(out.begin(), out.end());
  return out;
}

std::string HumanCount(double v) {
  const double a = std::fabs(v);
  if (a >= 1e12) return absl::StrFormat("%.2fT", v / 1e12);
  if (a >= 1e9) return absl::StrFormat("%.2fB", v / 1e9);
  if (a >= 1e6) return absl::StrFormat("%.2fM", v / 1e6);
  if (a >= 1e4) return absl::StrFormat("%.1fK", v / 1e3);
  return absl::StrFormat("%.0f", v);
}

std::string HumanBytes(double b) {
  const double a = std::fabs(b);
  if (a >= 1e12) return absl::StrFormat("%.2f TB", b / 1e12);
  if (a >= 1e9) return absl::StrFormat("%.2f GB", b / 1e9);
  if (a >= 1e6) return absl::StrFormat("%.2f MB", b / 1e6);
  if (a >= 1e3) return absl::StrFormat("%.2f kB", b / 1e3);
  return absl::StrFormat("%.0f B", b);
}

std::string Fixed(double v, int decimals) { return absl::StrFormat("%.*f", decimals, v); }

}  // namespace etchsim::base
