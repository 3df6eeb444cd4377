// TextTable: aligned plain-text tables for the CLI's readable output.
#ifndef ETCHSIM_BASE_TEXT_TABLE_H_
#define ETCHSIM_BASE_TEXT_TABLE_H_

#include <string>
#include <vector>

namespace etchsim::base {

class TextTable {
 public:
  enum class Align { kLeft, kRight };
  explicit TextTable(std::vector<std::string> header, std::vector<Align> align = {});
  void AddRow(std::vector<std::string> cells);
  std::string Render() const;

 private:
  std::vector<std::string> header_;
  std::vector<Align> align_;
  std::vector<std::vector<std::string>> rows_;  // empty row = separator
};

// "671,026,419,200"
std::string WithCommas(int64_t v);
// "671.03B", "36.6M", "512"
std::string HumanCount(double v);
// "12.75 GB" (decimal units; bytes in capacity planning are decimal)
std::string HumanBytes(double bytes);
// Fixed decimals, e.g. Fixed(0.12345, 3) = "0.123"
std::string Fixed(double v, int decimals);

}  // namespace etchsim::base

#endif  // ETCHSIM_BASE_TEXT_TABLE_H_
