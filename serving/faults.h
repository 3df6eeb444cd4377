// Faults in the model: a scenario's `faults` section resolved against the
// run's stages and links, as an immutable schedule every LP consults.
//
// Semantics (docs/user-guide.md "Faults"):
// * A failed stage drops everything it holds or receives until a spare
//   takes over (or for the rest of the run). A dropped link loses every
//   message that enters it while down. Both are *outages*: routes are fixed
//   and every request crosses every stage, so the pipeline cannot serve.
// * The host notices an outage `detect_s` after it starts, aborts every
//   request admitted or queued (retried up to max_retries, else failed),
//   tells the stages to discard the aborted requests (kAbort) and admits
//   nothing more until the outage ends.
// * A degraded link multiplies latency and divides bandwidth for messages
//   that enter it during the fault; a straggler stage multiplies its
//   compute times for work that starts during the fault.
//
// Everything is a function of the scenario, so runs stay deterministic.
#ifndef ETCHSIM_SERVING_FAULTS_H_
#define ETCHSIM_SERVING_FAULTS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "base/sim_time.h"
#include "fabric/topology.h"
#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::serving {

using base::SimTime;

// Most faults of each kind one scenario may list.
inline constexpr int kMaxFaultsPerKind = 256;
// Largest latency, bandwidth or compute slow-down factor.
inline constexpr double kMaxFaultFactor = 1000;

// Ranges of every field; errors name the field
// ("scenario: faults.chip_failures[0].at_s must be ..."). Stage indices and
// link names are checked against the cluster by FaultPlan::Create.
absl::Status ValidateFaults(const v1::Faults& f, double duration_s);

inline bool HasFaults(const v1::Faults& f) {
  return f.chip_failures_size() + f.link_faults_size() + f.stragglers_size() > 0;
}

// The distributed mode does not simulate faults: InvalidArgument naming
// the scenario field when `s` has any (docs/user-guide.md "Faults").
absl::Status CheckNoFaultsForDistributed(const v1::Scenario& s);

struct Outage {
  SimTime down;    // the stage or link stops
  SimTime detect;  // the host notices
  SimTime up;      // serving again; SimTime::Max() = never
};

class FaultPlan {
 public:
  // REQUIRES: ValidateFaults(f) passed. Fails on a stage index outside
  // [0, num_stages) or a link name the topology does not have.
  static absl::StatusOr<FaultPlan> Create(const v1::Faults& f, const fabric::Topology& topo,
                                          int num_stages);

  struct LinkState {
    double latency_factor = 1;
    double bandwidth_factor = 1;
    bool down = false;
  };

  bool StageDown(int stage, SimTime t) const;
  // `d` of compute starting at `t` on `stage`, stretched by any straggler.
  SimTime Stretch(int stage, SimTime t, SimTime d) const;
  // False for links no fault touches (the hot path's test).
  bool LinkAffected(int link) const { return !links_[link].empty(); }
  LinkState Link(int link, SimTime t) const;

  const std::vector<Outage>& outages() const { return outages_; }
  // The host admits nothing: some outage has been detected and not ended.
  bool Paused(SimTime t) const;
  int32_t max_retries() const { return max_retries_; }
  // Phases: [0, fault_start) before, [fault_start, fault_end) during,
  // then after; fault_end is SimTime::Max() if a fault never ends.
  SimTime fault_start() const { return fault_start_; }
  SimTime fault_end() const { return fault_end_; }
  int PhaseOf(SimTime t) const { return t < fault_start_ ? 0 : (t < fault_end_ ? 1 : 2); }
  // Time in [from, to) during which some outage is under way.
  SimTime Downtime(SimTime from, SimTime to) const;

 private:
  struct Span {
    SimTime start, end;
    double factor = 1;  // straggler slow-down
  };
  struct LinkSpan {
    SimTime start, end;
    LinkState state;
  };
  std::vector<std::vector<Span>> down_;       // by stage: down intervals
  std::vector<std::vector<Span>> slow_;       // by stage: straggler intervals
  std::vector<std::vector<LinkSpan>> links_;  // by link
  std::vector<Outage> outages_;
  int32_t max_retries_ = 0;
  SimTime fault_start_ = SimTime::Max();
  SimTime fault_end_ = SimTime::Zero();
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_FAULTS_H_
