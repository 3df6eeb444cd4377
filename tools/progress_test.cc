#include "tools/progress.h"

#include <algorithm>
#include <sstream>

#include "gtest/gtest.h"

namespace etchsim::tools {
namespace {

v1::RunProgress At(double virtual_s, double wall_s, int64_t events, int64_t completed) {
  v1::RunProgress p;
  p.set_virtual_s(virtual_s);
  p.set_wall_s(wall_s);
  p.set_events(events);
  p.set_requests_completed(completed);
  return p;
}

TEST(ProgressLineTest, RequestTargetGivesCountRateAndEta) {
  v1::Scenario s;
  s.set_max_requests(10);
  const ProgressLine line(s, false);
  // 2 of 10 requests after 10 wall s: 40 s to go.
  EXPECT_EQ(line.Render(At(0.5, 10, 2'000'000, 2)),
            "virtual 0.500000 s | requests 2 of 10 | 2.0M events, 200.0k/s | virtual/wall "
            "0.05 | wall 10.0 s | ETA 40 s");
}

TEST(ProgressLineTest, DurationTargetAndTheNearerOneWins) {
  v1::Scenario s;
  s.set_duration_s(2);
  s.set_max_requests(100);
  const ProgressLine line(s, false);
  // Virtual time is half done, requests 10%: the ETA follows virtual time.
  EXPECT_EQ(line.Render(At(1, 120, 500, 10)),
            "virtual 1.000000 of 2 s | requests 10 of 100 | 500 events, 4/s | virtual/wall "
            "0.00833 | wall 120.0 s | ETA 2 min 00 s");
}

TEST(ProgressLineTest, TerminalRewritesOneLineAndPipesGetPlainLines) {
  v1::Scenario s;
  s.set_max_requests(4);
  std::ostringstream tty, pipe;
  ProgressLine a(s, true), b(s, false);
  for (int i = 1; i <= 2; ++i) {
    a.Print(tty, At(i, i, 10, i));
    b.Print(pipe, At(i, i, 10, i));
  }
  a.Finish(tty);
  b.Finish(pipe);
  const std::string t = tty.str(), q = pipe.str();
  EXPECT_EQ(std::count(t.begin(), t.end(), '\r'), 2);
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 1);
  EXPECT_EQ(t.back(), '\n');
  EXPECT_EQ(q.find('\r'), std::string::npos);
  EXPECT_EQ(q.find('\x1b'), std::string::npos);
  EXPECT_EQ(std::count(q.begin(), q.end(), '\n'), 2);
  EXPECT_FALSE(ProgressLine::IsTerminal(pipe));
}

}  // namespace
}  // namespace etchsim::tools
