#include "sweep/evaluate.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "cost/energy.h"
#include "cost/tco.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "report/analytic.h"
#include "report/report.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "sweep/flatten.h"

namespace etchsim::sweep {
namespace {

v1::SweepCell Num(double v) {
  v1::SweepCell c;
  c.set_number(v);
  return c;
}

// Plan fields of the report that the analytic pass knows without a run.
const std::set<std::string> kPlanFields = {"num_chips",   "tensor_parallel", "num_stages",
                                           "num_servers", "strategy",        "hops_per_token"};

// Every other top-level report field: skipped when flattening the plan.
std::set<std::string> NotPlan() {
  std::set<std::string> skip;
  const auto* d = v1::Report::descriptor();
  for (int i = 0; i < d->field_count(); ++i) {
    if (!kPlanFields.contains(d->field(i)->name())) skip.insert(d->field(i)->name());
  }
  return skip;
}

// Event columns: the report's scalars, less the scenario (the axes say
// it), the plan fields and the analytic block (both already columns).
std::set<std::string> EventSkip() {
  std::set<std::string> skip = kPlanFields;
  skip.insert("scenario");
  skip.insert("analytic");
  // Only fault scenarios have it; as columns it would read 0 for the rest.
  skip.insert("faults");
  return skip;
}

// Sweep-derived columns: cost at the analytic peak with every device
// active (the upper bound on power).
const std::vector<std::string> kAtPeak = {"at_peak.output_tokens_per_s_per_chip", "at_peak.power_w",
                                          "at_peak.capex_usd", "at_peak.usd_per_hour",
                                          "at_peak.usd_per_million_tokens"};

std::vector<std::string> AnalyticColumns() {
  std::vector<std::string> cols;
  FlattenNames(*v1::Report::descriptor(), "", NotPlan(), &cols);
  FlattenNames(*v1::AnalyticSummary::descriptor(), "analytic.", {}, &cols);
  cols.insert(cols.end(), kAtPeak.begin(), kAtPeak.end());
  return cols;
}

}  // namespace

struct Evaluator::Analytic {
  absl::Status status;  // not OK: infeasible, with the reason
  sim::SimulationResult skeleton;
  report::AnalyticEstimate estimate;
  std::vector<v1::SweepCell> cells;  // plan and analytic columns
};

absl::StatusOr<Mode> ParseMode(const std::string& s) {
  if (s == "analytic") return Mode::kAnalytic;
  if (s == "event") return Mode::kEvent;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode must be analytic, event or both, got \"", s, "\""));
}

const char* ModeName(Mode m) { return m == Mode::kAnalytic ? "analytic" : "event"; }

const std::vector<std::string>& Evaluator::Columns(Mode m) {
  static const auto* analytic = new std::vector<std::string>(AnalyticColumns());
  static const auto* event = [] {
    auto* v = new std::vector<std::string>(*analytic);
    FlattenNames(*v1::Report::descriptor(), "", EventSkip(), v);
    return v;
  }();
  return m == Mode::kAnalytic ? *analytic : *event;
}

std::string AnalyticKey(const v1::Scenario& in) {
  v1::Scenario s = in;
  v1::Workload* w = s.mutable_workload();
  if (!w->has_trace()) {
    w->clear_closed_loop();
    w->clear_poisson();
    w->clear_offline();
  }
  s.clear_duration_s();
  s.clear_max_requests();
  s.clear_warmup_s();
  s.clear_seed();
  s.clear_slo();
  s.clear_cost();
  s.clear_throughput_window_s();
  std::string key;
  google::protobuf::io::StringOutputStream stream(&key);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  s.SerializeToCodedStream(&coded);
  coded.Trim();
  return key;
}

int64_t Evaluator::builds() const {
  std::lock_guard<std::mutex> l(mu_);
  return builds_;
}

std::shared_ptr<const Evaluator::Analytic> Evaluator::AnalyticFor(const v1::Scenario& s) {
  const std::string key = AnalyticKey(s);
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = analytic_.find(key);
    if (it != analytic_.end()) return it->second;
  }
  // Built outside the lock; two workers may build the same key at once,
  // and get the same (deterministic) value.
  auto a = std::make_shared<Analytic>();
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) {
    a->status = sim.status();
  } else {
    a->skeleton = (*sim)->Skeleton();
    a->estimate = report::Analyze(**sim);
    // The report of the run-less skeleton carries the plan and analytic
    // fields under their report names; its measured fields are unused.
    auto report = report::BuildReport(a->skeleton, a->estimate);
    if (!report.ok()) {
      a->status = report.status();
    } else {
      FlattenValues(*report, NotPlan(), &a->cells);
      FlattenValues(report->analytic(), {}, &a->cells);
    }
  }
  std::lock_guard<std::mutex> l(mu_);
  auto [it, inserted] = analytic_.emplace(key, std::move(a));
  if (inserted) ++builds_;
  return it->second;
}

absl::StatusOr<PointResult> Evaluator::Evaluate(const v1::Scenario& s, Mode m) {
  PointResult out;
  std::shared_ptr<const Analytic> a = AnalyticFor(s);
  if (!a->status.ok()) {
    out.feasible = false;
    out.reason = std::string(a->status.message());
    return out;
  }
  const sim::SimulationResult& r = a->skeleton;
  const report::AnalyticEstimate& e = a->estimate;
  // Cost at the analytic peak, from this point's cost block.
  v1::Scenario priced = r.scenario;
  *priced.mutable_cost() = s.cost();
  sim::ApplyDefaults(priced);
  // Every device busy: a second of energy at full load, in watts.
  cost::CostInputs ci = report::HardwareCostInputs(r, priced, 1.0);
  ci.output_tokens_per_s = e.peak_output_tokens_per_s;
  ASSIGN_OR_RETURN(cost::CostBreakdown cb, cost::ComputeCost(ci));
  out.cells = a->cells;
  for (double v : {e.peak_output_tokens_per_s / std::max(1, r.all_devices()), ci.it_power_watts,
                   cb.capex_usd, cb.total_usd_per_hour, cb.usd_per_million_tokens}) {
    out.cells.push_back(Num(v));
  }
  if (m == Mode::kAnalytic) return out;

  // The event engine on this exact point.
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) {
    out.feasible = false;
    out.reason = std::string(sim.status().message());
    out.cells.clear();
    return out;
  }
  ASSIGN_OR_RETURN(sim::SimulationResult result, (*sim)->RunInProcess());
  ASSIGN_OR_RETURN(v1::Report report, report::BuildReport(result, e));
  FlattenValues(report, EventSkip(), &out.cells);
  return out;
}

}  // namespace etchsim::sweep
