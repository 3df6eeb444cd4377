// `--progress` for runs over chip processes: one line that rewrites itself
// on a terminal ("\r", erased to the end), one plain line per update
// otherwise (a log file or a pipe gets no control characters).
//
//   virtual 0.012300 of 60 s | requests 3 of 10 | 1.2M events, 95.0k/s |
//   virtual/wall 0.00098 | wall 12.6 s | ETA 3 min 10 s
#ifndef ETCHSIM_TOOLS_PROGRESS_H_
#define ETCHSIM_TOOLS_PROGRESS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "proto/etchsim/v1/scenario.pb.h"
#include "proto/etchsim/v1/service.pb.h"

namespace etchsim::tools {

class ProgressLine {
 public:
  // The run's targets come from the scenario: max_requests (0 = none) and
  // duration_s (0 = none); the ETA follows whichever is nearer done.
  ProgressLine(const v1::Scenario& scenario, bool terminal);
  // The text of one update, without line control.
  std::string Render(const v1::RunProgress& p) const;
  void Print(std::ostream& err, const v1::RunProgress& p);
  // Ends the updating line (a newline on a terminal, if anything was shown).
  void Finish(std::ostream& err);

  // Whether `err` is this process's stderr and that is a terminal.
  static bool IsTerminal(const std::ostream& err);

 private:
  int64_t target_requests_;
  double target_virtual_s_;
  bool terminal_;
  bool shown_ = false;
};

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_PROGRESS_H_
