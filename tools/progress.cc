#include "tools/progress.h"

#include <algorithm>
#include <cmath>
#include <iostream>

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace etchsim::tools {
namespace {

std::string Count(double n) {
  if (n >= 1e9) return absl::StrFormat("%.1fG", n / 1e9);
  if (n >= 1e6) return absl::StrFormat("%.1fM", n / 1e6);
  if (n >= 1e3) return absl::StrFormat("%.1fk", n / 1e3);
  return absl::StrFormat("%.0f", n);
}

std::string Duration(double s) {
  if (s < 60) return absl::StrFormat("%.0f s", s);
  if (s < 3600)
    return absl::StrFormat("%d min %02d s", static_cast<int>(s / 60), static_cast<int>(s) % 60);
  return absl::StrFormat("%d h %02d min", static_cast<int>(s / 3600),
                         static_cast<int>(s / 60) % 60);
}

}  // namespace

ProgressLine::ProgressLine(const v1::Scenario& scenario, bool terminal)
    : target_requests_(scenario.max_requests()),
      target_virtual_s_(scenario.duration_s()),
      terminal_(terminal) {}

bool ProgressLine::IsTerminal(const std::ostream& err) {
  return &err == &std::cerr && isatty(STDERR_FILENO) == 1;
}

std::string ProgressLine::Render(const v1::RunProgress& p) const {
  std::string line = absl::StrFormat("virtual %.6f", p.virtual_s());
  double done = 0;  // fraction of the nearer target
  if (target_virtual_s_ > 0) {
    absl::StrAppend(&line, absl::StrFormat(" of %g", target_virtual_s_));
    done = std::max(done, p.virtual_s() / target_virtual_s_);
  }
  absl::StrAppend(&line, " s");
  if (target_requests_ > 0) {
    absl::StrAppend(&line, " | requests ", p.requests_completed(), " of ", target_requests_);
    done = std::max(done, static_cast<double>(p.requests_completed()) / target_requests_);
  }
  const double wall = p.wall_s();
  absl::StrAppend(&line, " | ", Count(static_cast<double>(p.events())), " events");
  if (wall > 0) {
    absl::StrAppend(&line, ", ", Count(p.events() / wall), "/s | virtual/wall ",
                    absl::StrFormat("%.3g", p.virtual_s() / wall));
  }
  absl::StrAppend(&line, absl::StrFormat(" | wall %.1f s", wall));
  done = std::min(done, 1.0);
  if (done > 0 && wall > 0) {
    absl::StrAppend(&line, " | ETA ", Duration(wall * (1 - done) / done));
  }
  return line;
}

void ProgressLine::Print(std::ostream& err, const v1::RunProgress& p) {
  if (terminal_) {
    err << "\r" << Render(p) << "\x1b[K" << std::flush;
  } else {
    err << Render(p) << "\n";
  }
  shown_ = true;
}

void ProgressLine::Finish(std::ostream& err) {
  if (terminal_ && shown_) err << "\n";
  shown_ = false;
}

}  // namespace etchsim::tools
