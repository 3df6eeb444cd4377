#include "sim/run_protocol.h"

#include <algorithm>

namespace etchsim::sim {

RunProtocol::RunProtocol(serving::ProcessExecutor& exec, int num_ranks) : exec_(exec) {
  if (!coordinator()) return;
  for (int r = 1; r < num_ranks; ++r) chips_[r] = RankStatus{};
  std::vector<int> outs(num_ranks, 0), ins(num_ranks, 0);
  for (const serving::Channel& c : exec_.plan().channels) {
    out_index_.push_back(outs[c.from]++);
    in_index_.push_back(ins[c.to]++);
  }
}

RunControl RunProtocol::Start(const Simulation& sim) {
  const serving::LpId host = sim.topology().host();
  for (const auto& [at, m] : sim.InitialEvents()) exec_.Inject(host, host, at, m);
  end_sent_ = exec_.end();
  return RunControl{.end = end_sent_, .gvt = std::nullopt};
}

void RunProtocol::OnControl(const RunControl& c) {
  if (c.end) exec_.SetEnd(*c.end);
  if (c.floor) exec_.RaiseClocks(*c.floor);
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
  if (s.has_counts) {
    st.has_counts = true;
    st.next_event = s.next_event;
    st.sent = s.sent;
    st.received = s.received;
  }
}

std::optional<SimTime> RunProtocol::IdleFloor() const {
  SimTime floor = exec_.next_event_time();
  for (const auto& [r, st] : chips_) {
    if (!st.has_counts) return std::nullopt;
    floor = base::Min(floor, st.next_event);
  }
  const std::vector<uint64_t> sent = exec_.events_sent(), received = exec_.events_received();
  const std::vector<serving::Channel>& channels = exec_.plan().channels;
  for (size_t i = 0; i < channels.size(); ++i) {
    const serving::Channel& c = channels[i];
    const std::vector<uint64_t>& s = c.from == 0 ? sent : chips_.at(c.from).sent;
    const std::vector<uint64_t>& r = c.to == 0 ? received : chips_.at(c.to).received;
    const size_t o = static_cast<size_t>(out_index_[i]), n = static_cast<size_t>(in_index_[i]);
    if (o >= s.size() || n >= r.size() || s[o] != r[n]) return std::nullopt;
  }
  return floor;
}

RunProtocol::Step RunProtocol::Advance(bool publish_gvt) {
  Step step;
  RunControl c;
  // Before this rank advances: its own queue and counts, now, complete the
  // cut the chips' statuses began.
  if (coordinator() && publish_gvt) {
    if (const std::optional<SimTime> floor = IdleFloor(); floor && *floor > floor_sent_) {
      floor_sent_ = *floor;
      exec_.RaiseClocks(*floor);
      c.floor = *floor;
    }
  }
  step.batches = exec_.Advance();
  if (!coordinator()) return step;
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
  if (c.end || c.gvt || c.floor) step.broadcast = c;
  return step;
}

RankStatus RunProtocol::Status() {
  return RankStatus{.lvt = exec_.Lvt(),
                    .finished = exec_.Finished(),
                    .events = exec_.events_processed(),
                    .has_counts = true,
                    .next_event = exec_.next_event_time(),
                    .sent = exec_.events_sent(),
                    .received = exec_.events_received()};
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

}  // namespace etchsim::sim
