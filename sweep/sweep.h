// A sweep: the cross product of axes over a base scenario, evaluated in
// parallel at one or both fidelities, written as CSV and JSONL whose bytes
// depend only on the sweep (never on --jobs or on interruptions), and
// resumable from its journal.
#ifndef ETCHSIM_SWEEP_SWEEP_H_
#define ETCHSIM_SWEEP_SWEEP_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "proto/etchsim/v1/sweep.pb.h"
#include "sweep/axis.h"
#include "sweep/evaluate.h"

namespace etchsim::sweep {

// Most points a sweep may have (the product of its axis sizes). Every row
// is held in memory until the CSV and JSONL are written, and CheckPoints
// validates each point before anything runs: 10^6 analytic points took
// 25 s and 2.9 GB (a 310 MB journal, an 820 MB JSONL) on 2 cores. More is
// a typo in a range, or a study to split into sweeps by hand.
inline constexpr int64_t kMaxSweepPoints = 1'000'000;

struct SweepSpec {
  v1::Scenario base;
  std::vector<Axis> axes;
  bool analytic = true;  // run the analytic pass
  bool event = false;    // run the event engine (on all points, or with
                         // `analytic` too on the best `confirm_top`)
  int confirm_top = 10;
  std::string rank_by = "at_peak.usd_per_million_tokens";
  bool rank_descending = false;
  bool filter_infeasible = false;

  // Points in the cross product (the first axis varies slowest).
  // REQUIRES: the axes passed MakeSpec (whose product fits the limit).
  int64_t NumPoints() const;
  // The axis values of point `index`, one per axis.
  // REQUIRES: 0 <= index < NumPoints().
  std::vector<std::string> Values(int64_t index) const;
  // The scenario of point `index` and its axis values.
  // REQUIRES: 0 <= index < NumPoints().
  // The scenario of point `index`; `status` (when given) says whether every
  // axis applied (a design axis needs a design chip).
  v1::Scenario Point(int64_t index, std::vector<std::string>* values,
                     absl::Status* status = nullptr) const;
  // Result columns of the rows.
  const std::vector<std::string>& Columns() const;
  // Identifies the sweep (base, axes, modes, ranking, filter).
  std::string Fingerprint() const;
};

// Builds a spec from an optional etchsim.v1.Sweep text proto and --axis
// flags (added after the file's axes). Errors name the input and field.
// The product of the axis sizes is computed (overflow-checked) as soon as
// the axes are known and refused above kMaxSweepPoints:
// "sweep: 1,000 x 1,000 x 1,000 = 1,000,000,000 points, more than the
// limit of 1,000,000".
// `mode` is "analytic", "event", "both" or "" (the file's, else analytic).
absl::StatusOr<SweepSpec> MakeSpec(const v1::Sweep* file, const std::string& source,
                                   const std::vector<std::string>& axis_flags,
                                   const std::string& mode, const std::string& rank_by,
                                   int confirm_top);

// Every point checked before anything runs: each scenario valid, every
// model and chip named by an axis loadable. Returns the first bad point.
absl::Status CheckPoints(const SweepSpec& spec);

struct RunOptions {
  int jobs = 1;
  int shard_index = 0;  // run points with index % shard_count == shard_index
  int shard_count = 1;
  std::string out_dir;
  // Called from the writing thread as rows finish: done, total.
  std::function<void(int64_t, int64_t)> progress;
  // Set (e.g. by a signal handler) to stop taking new points; finished
  // rows stay in the journal.
  const std::atomic<bool>* stop = nullptr;
};

struct RunSummary {
  int64_t points = 0;   // in this shard
  int64_t resumed = 0;  // rows found in the journal
  int64_t evaluated = 0;
  int64_t infeasible = 0;
  int64_t builds = 0;  // distinct analytic builds
  std::string csv_path, jsonl_path, journal_path;
};

// Runs (or resumes) the sweep into out_dir: <name>.journal as it goes,
// then <name>.csv and <name>.jsonl together (both or neither), where name
// is "sweep" or "shard-I-of-N". Cancelled when stopped early. The three
// paths must pass base::CheckOutputTarget (checked before any point runs).
// A journal found there must verify (sweep/journal.h) and belong to this
// sweep: each row's mode one this sweep runs and its axis values this
// sweep's for its point. A write error (a full disk) is
// base::WriteError's, saying how many rows the journal kept.
absl::StatusOr<RunSummary> RunSweep(const SweepSpec& spec, const RunOptions& opt);

// Joins shard journals of one sweep into out_dir/sweep.{csv,jsonl}, both
// or neither. Every shard 0..N-1 must be present, verify and be complete.
absl::StatusOr<RunSummary> MergeShards(const std::vector<std::string>& journals,
                                       const std::string& out_dir);

// "I/N" with 0 <= I < N.
absl::Status ParseShard(const std::string& s, int* index, int* count);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_SWEEP_H_
