#include "cluster/run_protocol.h"

#include <algorithm>

namespace etchsim::cluster {

RunProtocol::RunProtocol(ProcessExecutor& exec, int num_ranks) : exec_(exec) {
  if (coordinator()) {
    for (int r = 1; r < num_ranks; ++r) chips_[r] = RankStatus{};
  }
}

RunControl RunProtocol::Start(const Simulation& sim) {
  const LpId host = sim.topology().host();
  for (const auto& [at, m] : sim.InitialEvents()) exec_.Inject(host, host, at, m);
  end_sent_ = exec_.end();
  return RunControl{.end = end_sent_, .gvt = std::nullopt};
}

void RunProtocol::OnControl(const RunControl& c) {
  if (c.end) exec_.SetEnd(*c.end);
  if (c.gvt && *c.gvt > gvt_) {
    gvt_ = *c.gvt;
    exec_.Compact(base::Min(gvt_, exec_.end()));
  }
}

void RunProtocol::OnStatus(int from, const RankStatus& s) {
  auto it = chips_.find(from);
  if (it == chips_.end()) return;
  RankStatus& st = it->second;
  st.lvt = base::Max(st.lvt, s.lvt);
  st.finished = st.finished || s.finished;
  st.events = std::max(st.events, s.events);
}

RunProtocol::Step RunProtocol::Advance(bool publish_gvt) {
  Step step;
  step.batches = exec_.Advance();
  if (!coordinator()) return step;
  RunControl c;
  if (exec_.stop_requested() && exec_.stop_time() < end_sent_) {
    end_sent_ = exec_.stop_time();
    c.end = end_sent_;
  }
  SimTime g = exec_.Lvt();
  for (const auto& [r, st] : chips_) g = base::Min(g, st.lvt);
  if (g > gvt_) gvt_ = g;
  if (publish_gvt && gvt_ > gvt_sent_) {
    gvt_sent_ = gvt_;
    exec_.Compact(base::Min(gvt_, exec_.end()));
    c.gvt = gvt_;
  }
  if (c.end || c.gvt) step.broadcast = c;
  return step;
}

RankStatus RunProtocol::Status() {
  return RankStatus{exec_.Lvt(), exec_.Finished(), exec_.events_processed()};
}

bool RunProtocol::all_finished() {
  if (!exec_.Finished()) return false;
  for (const auto& [r, st] : chips_) {
    if (!st.finished) return false;
  }
  return true;
}

std::pair<int, SimTime> RunProtocol::Slowest() const {
  std::pair<int, SimTime> best{-1, SimTime::Max()};
  for (const auto& [r, st] : chips_) {
    if (!st.finished && st.lvt < best.second) best = {r, st.lvt};
  }
  return best;
}

uint64_t RunProtocol::total_events() const {
  uint64_t n = exec_.events_processed();
  for (const auto& [r, st] : chips_) n += st.events;
  return n;
}

}  // namespace etchsim::cluster
