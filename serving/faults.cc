#include "serving/faults.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/status_macros.h"

namespace etchsim::serving {
namespace {

using base::kMaxVirtualSeconds;

absl::Status Bad(const std::string& field, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("scenario: ", field, " ", what));
}

absl::Status Range(const std::string& field, double v, double lo, double hi) {
  return base::CheckRange("scenario", field, v, lo, hi);
}

// A factor field: 0 (unset) or in [1, kMaxFaultFactor].
absl::Status Factor(const std::string& field, double v) {
  if (v == 0) return absl::OkStatus();
  return Range(field, v, 1, kMaxFaultFactor);
}

// [start_s, end_s) with end_s 0 = open.
absl::Status Window(const std::string& at, double start, double end) {
  RETURN_IF_ERROR(Range(at + ".start_s", start, 0, kMaxVirtualSeconds));
  RETURN_IF_ERROR(Range(at + ".end_s", end, 0, kMaxVirtualSeconds));
  if (end != 0 && end <= start) {
    return Bad(at + ".end_s",
               absl::StrCat("must be 0 (to the end) or > start_s (", start, "), got ", end));
  }
  return absl::OkStatus();
}

SimTime EndOf(double end_s) { return end_s == 0 ? SimTime::Max() : SimTime::FromSeconds(end_s); }
double FactorOf(double v) { return v == 0 ? 1.0 : v; }

bool Within(SimTime t, SimTime start, SimTime end) { return t >= start && t < end; }

}  // namespace

absl::Status ValidateFaults(const v1::Faults& f, double duration_s) {
  for (auto [name, n] : {std::pair{"faults.chip_failures", f.chip_failures_size()},
                         std::pair{"faults.link_faults", f.link_faults_size()},
                         std::pair{"faults.stragglers", f.stragglers_size()}}) {
    if (n > kMaxFaultsPerKind) {
      return Bad(name, absl::StrCat("may list at most ", kMaxFaultsPerKind, ", got ", n));
    }
  }
  RETURN_IF_ERROR(Range("faults.detect_s", f.detect_s(), 0, 3600));
  RETURN_IF_ERROR(base::CheckIntRange("scenario", "faults.max_retries", f.max_retries(), 0, 100));
  for (int i = 0; i < f.chip_failures_size(); ++i) {
    const v1::ChipFailure& c = f.chip_failures(i);
    const std::string at = absl::StrCat("faults.chip_failures[", i, "]");
    RETURN_IF_ERROR(base::CheckIntRange("scenario", at + ".stage", c.stage(), 0, 4095));
    RETURN_IF_ERROR(Range(at + ".at_s", c.at_s(), 0, kMaxVirtualSeconds));
    RETURN_IF_ERROR(Range(at + ".reload_s", c.reload_s(), 0, kMaxVirtualSeconds));
    if (!c.spare() && c.reload_s() != 0) {
      return Bad(at + ".reload_s", "needs spare: true (without a spare the stage stays down)");
    }
    if (!c.spare() && duration_s == 0) {
      // Arrivals would queue forever behind a stage that never returns.
      return Bad(at + ".spare", "is false, so the stage never returns: set duration_s");
    }
    if (duration_s > 0 && c.at_s() >= duration_s) {
      return Bad(at + ".at_s",
                 absl::StrCat("must be < duration_s (", duration_s, "), got ", c.at_s()));
    }
  }
  for (int i = 0; i < f.link_faults_size(); ++i) {
    const v1::LinkFault& l = f.link_faults(i);
    const std::string at = absl::StrCat("faults.link_faults[", i, "]");
    if (l.link().empty()) return Bad(at + ".link", "must name a link (\"chip3->chip4\")");
    RETURN_IF_ERROR(base::CheckUtf8("scenario", at + ".link", l.link()));
    RETURN_IF_ERROR(Window(at, l.start_s(), l.end_s()));
    RETURN_IF_ERROR(Factor(at + ".latency_factor", l.latency_factor()));
    RETURN_IF_ERROR(Factor(at + ".bandwidth_factor", l.bandwidth_factor()));
    if (l.drop() && l.end_s() == 0 && duration_s == 0) {
      return Bad(at + ".end_s", "is 0, so the dropped link never returns: set end_s or duration_s");
    }
    if (!l.drop() && FactorOf(l.latency_factor()) == 1 && FactorOf(l.bandwidth_factor()) == 1) {
      return Bad(at, "does nothing: set drop, latency_factor > 1 or bandwidth_factor > 1");
    }
  }
  for (int i = 0; i < f.stragglers_size(); ++i) {
    const v1::Straggler& s = f.stragglers(i);
    const std::string at = absl::StrCat("faults.stragglers[", i, "]");
    RETURN_IF_ERROR(base::CheckIntRange("scenario", at + ".stage", s.stage(), 0, 4095));
    RETURN_IF_ERROR(Range(at + ".slowdown", s.slowdown(), 1, kMaxFaultFactor));
    RETURN_IF_ERROR(Window(at, s.start_s(), s.end_s()));
  }
  return absl::OkStatus();
}

absl::Status CheckNoFaultsForDistributed(const v1::Scenario& s) {
  if (!HasFaults(s.faults())) return absl::OkStatus();
  return absl::InvalidArgumentError(
      "scenario: faults are simulated in-process only; the distributed mode (--distributed, "
      "--coordinator, coordinator serve, chip serve) rejects a scenario with faults");
}

absl::StatusOr<FaultPlan> FaultPlan::Create(const v1::Faults& f, const fabric::Topology& topo,
                                            int num_stages) {
  FaultPlan p;
  p.down_.resize(num_stages);
  p.slow_.resize(num_stages);
  p.links_.resize(topo.links().size());
  p.max_retries_ = f.max_retries();
  const SimTime detect = SimTime::FromSeconds(f.detect_s());
  auto note = [&p](SimTime start, SimTime end) {
    p.fault_start_ = base::Min(p.fault_start_, start);
    p.fault_end_ = base::Max(p.fault_end_, end);
  };
  auto stage_of = [&](int stage, const std::string& field) -> absl::Status {
    if (stage >= num_stages) {
      return Bad(field, absl::StrCat("must be a stage of the cluster, in [0, ", num_stages - 1,
                                     "], got ", stage));
    }
    return absl::OkStatus();
  };
  for (int i = 0; i < f.chip_failures_size(); ++i) {
    const v1::ChipFailure& c = f.chip_failures(i);
    RETURN_IF_ERROR(stage_of(c.stage(), absl::StrCat("faults.chip_failures[", i, "].stage")));
    const SimTime down = SimTime::FromSeconds(c.at_s());
    const SimTime up = c.spare() ? down + SimTime::FromSeconds(c.reload_s()) : SimTime::Max();
    p.down_[c.stage()].push_back({down, up});
    p.outages_.push_back({down, down + detect, up});
    note(down, up);
  }
  for (int i = 0; i < f.link_faults_size(); ++i) {
    const v1::LinkFault& l = f.link_faults(i);
    const std::string field = absl::StrCat("faults.link_faults[", i, "].link");
    // "a->b" is one direction; "a<->b" both.
    std::vector<std::string> names;
    if (std::vector<std::string> ends = absl::StrSplit(l.link(), "<->"); ends.size() == 2) {
      names = {absl::StrCat(ends[0], "->", ends[1]), absl::StrCat(ends[1], "->", ends[0])};
    } else {
      names = {l.link()};
    }
    const SimTime start = SimTime::FromSeconds(l.start_s());
    const SimTime end = EndOf(l.end_s());
    const LinkState state{FactorOf(l.latency_factor()), FactorOf(l.bandwidth_factor()), l.drop()};
    for (const std::string& name : names) {
      int found = -1;
      for (size_t li = 0; li < topo.links().size(); ++li) {
        if (topo.links()[li].name == name) found = static_cast<int>(li);
      }
      if (found < 0) {
        return Bad(field, absl::StrCat("names no link of this topology: \"", name,
                                       "\" (the report's links[].name lists them)"));
      }
      // Keep degraded bandwidth within the link validator's floor, so
      // serialisation times stay far from the clock's range.
      const double bw = topo.links()[found].bytes_per_ps * 1e12 / state.bandwidth_factor;
      if (bw < 1e3) {
        return Bad(absl::StrCat("faults.link_faults[", i, "].bandwidth_factor"),
                   absl::StrCat("leaves ", name, " ", bw, " bytes/s, below the 1000 allowed"));
      }
      p.links_[found].push_back({start, end, state});
    }
    if (l.drop()) p.outages_.push_back({start, start + detect, end});
    note(start, end);
  }
  for (int i = 0; i < f.stragglers_size(); ++i) {
    const v1::Straggler& s = f.stragglers(i);
    RETURN_IF_ERROR(stage_of(s.stage(), absl::StrCat("faults.stragglers[", i, "].stage")));
    const SimTime start = SimTime::FromSeconds(s.start_s());
    const SimTime end = EndOf(s.end_s());
    p.slow_[s.stage()].push_back({start, end, s.slowdown()});
    note(start, end);
  }
  std::sort(p.outages_.begin(), p.outages_.end(),
            [](const Outage& a, const Outage& b) { return a.detect < b.detect; });
  return p;
}

bool FaultPlan::StageDown(int stage, SimTime t) const {
  for (const Span& s : down_[stage]) {
    if (Within(t, s.start, s.end)) return true;
  }
  return false;
}

SimTime FaultPlan::Stretch(int stage, SimTime t, SimTime d) const {
  double factor = 1;
  for (const Span& s : slow_[stage]) {
    if (Within(t, s.start, s.end)) factor = std::max(factor, s.factor);
  }
  if (factor == 1) return d;
  return SimTime::Picos(std::llround(static_cast<double>(d.picos()) * factor));
}

FaultPlan::LinkState FaultPlan::Link(int link, SimTime t) const {
  LinkState st;
  for (const LinkSpan& s : links_[link]) {
    if (!Within(t, s.start, s.end)) continue;
    st.latency_factor = std::max(st.latency_factor, s.state.latency_factor);
    st.bandwidth_factor = std::max(st.bandwidth_factor, s.state.bandwidth_factor);
    st.down = st.down || s.state.down;
  }
  return st;
}

bool FaultPlan::Paused(SimTime t) const {
  for (const Outage& o : outages_) {
    if (Within(t, o.detect, o.up)) return true;
  }
  return false;
}

SimTime FaultPlan::Downtime(SimTime from, SimTime to) const {
  // Union of the outages' [down, up) clipped to [from, to).
  std::vector<std::pair<SimTime, SimTime>> spans;
  for (const Outage& o : outages_) {
    const SimTime a = base::Max(o.down, from), b = base::Min(o.up, to);
    if (a < b) spans.emplace_back(a, b);
  }
  std::sort(spans.begin(), spans.end());
  SimTime total, reach = from;
  for (const auto& [a, b] : spans) {
    const SimTime s = base::Max(a, reach);
    if (b > s) {
      total += b - s;
      reach = b;
    }
  }
  return total;
}

}  // namespace etchsim::serving
