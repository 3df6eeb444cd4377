// The SLO planner: for each candidate replica configuration (a scenario:
// chip, chips, strategy, topology, draft length), the highest Poisson
// request rate at which the event engine's report still meets the SLO,
// then the cheapest fleet of such replicas for a demand.
//
// The rate search starts a little above an analytic ceiling (the
// pipeline's peak rate, and the KV cache's concurrency over one unloaded
// request's lifetime) and comes down until a probe passes: to the rate
// whose offered load an overloaded probe's measured service just carries,
// else by halves. It then bisects geometrically (first trying
// (1 + tolerance)^2 above a pass found at a capacity estimate) until the
// lowest failing rate is within a tolerance of the highest passing one.
// Every probe is an event run with the same seed; a probe is abandoned as
// soon as its SLO is certainly lost (more requests over a percentile bound
// than the final percentile could absorb), which cannot change the
// search's outcome. The reported rate is one that was simulated in full
// and passed, so re-simulating the chosen replica at it meets the SLO
// exactly (a test does that). Candidates whose single user
// already misses a TTFT or TPOT bound in the analytic model are rejected
// without a run.
#ifndef ETCHSIM_PLAN_PLANNER_H_
#define ETCHSIM_PLAN_PLANNER_H_

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "plan/slo.h"
#include "proto/etchsim/v1/report.pb.h"
#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::plan {

// What failures do to one replica: the fraction of time it serves, and
// what its spares and replacement cards add to its cost per hour.
struct ReplicaAvailability {
  double availability = 1;
  int spares = 0;
  double extra_usd_per_hour = 0;
};

struct PlanOptions {
  std::vector<v1::Scenario> candidates;  // workloads are replaced by Poisson
  Slo slo;
  double demand_tokens_per_s = 0;
  // Completed requests per probe run (at least; a probe also lasts four
  // single-user request latencies, and must serve 90% of its offered load in steady state).
  int64_t requests = 200;
  // The search stops when the lowest failing rate is within this ratio of
  // the highest passing one (which is reported).
  double tolerance = 0.05;
  int jobs = 1;  // threads: candidates searched in parallel, and probes run ahead on idle ones
  // Called (from the search's thread) when a probe starts ahead on an idle
  // core; for tests and diagnostics.
  std::function<void(double rate_per_s)> on_speculate;
  // When set, each answer's replica is priced with its availability: the
  // fleet has ceil(demand / (capacity x availability)) replicas, each
  // costing its report's $/hour plus extra_usd_per_hour.
  std::function<absl::StatusOr<ReplicaAvailability>(const v1::Scenario&)> availability;
};

// One probe of a candidate's rate search, in the order run.
struct ProbeRecord {
  double rate_per_s = 0;
  int64_t requests = 0;
  bool met = false;
  uint64_t events = 0;
  std::string why;  // the binding constraint when not met
};

struct CandidateResult {
  v1::Scenario scenario;  // as probed at the reported rate
  std::string label;      // "30 x hc2"
  bool feasible = false;
  std::string reason;  // why not: the binding constraint
  // Could not be built because an input is wrong (an unknown chip, a pool
  // that does not combine with it): a fault of the question, not a miss of
  // the SLO. A plan whose every candidate is invalid is an input error.
  bool invalid = false;
  // How far the closest attempt missed: the binding term's observed/limit
  // at the lowest rate tried, or one user's analytic figure over its
  // limit; infinite when the candidate could not be built (or was pruned
  // on cost, not latency). Infeasible results are sorted by it.
  double miss_ratio = std::numeric_limits<double>::infinity();
  double max_rate_per_s = 0;
  double tokens_per_s = 0;  // replica capacity at that rate
  v1::Report report;        // at that rate
  int64_t replicas = 0;
  ReplicaAvailability availability;  // all-up (1, 0 spares, $0) unless asked
  double fleet_usd_per_hour = 0;
  double usd_per_million_tokens = 0;
  double tokens_per_s_per_user = 0;  // report mean at that rate
  double tokens_per_s_per_chip = 0;
  bool pareto_user = false;         // on the front of tok/s/user vs $/M tokens
  bool pareto_chip = false;         // on the front of tok/s per chip vs $/M tokens
  std::vector<ProbeRecord> search;  // every probe, in order (plan's probes.csv)
  int probes() const { return static_cast<int>(search.size()); }
  // Simulated by all probes of this candidate.
  uint64_t events() const {
    uint64_t n = 0;
    for (const ProbeRecord& p : search) n += p.events;
    return n;
  }
};

// Sorted: feasible by fleet $/hour (ties by label), then infeasible, the
// closest to the SLO first (miss_ratio, ties by label).
absl::StatusOr<std::vector<CandidateResult>> Plan(const PlanOptions& o);

// The scenario of `base` under Poisson arrivals at `rate_per_s` for a
// probe of `requests` completions (what Plan simulates).
v1::Scenario AtRate(const v1::Scenario& base, double rate_per_s, int64_t requests);

}  // namespace etchsim::plan

#endif  // ETCHSIM_PLAN_PLANNER_H_
