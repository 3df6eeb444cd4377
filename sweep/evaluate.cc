#include "sweep/evaluate.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"
#include "cluster/analytic.h"
#include "cluster/report.h"
#include "cluster/scenario.h"
#include "cluster/simulation.h"
#include "cost/tco.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "nlohmann/json.hpp"

namespace etchsim::sweep {
namespace {

v1::SweepCell Num(double v) {
  v1::SweepCell c;
  c.set_number(v);
  return c;
}
v1::SweepCell Int(int64_t v) {
  v1::SweepCell c;
  c.set_integer(v);
  return c;
}
v1::SweepCell Text(std::string v) {
  v1::SweepCell c;
  c.set_text(std::move(v));
  return c;
}

// The analytic columns, in output order. Cost is at the analytic peak with
// every device active (the upper bound on power).
const std::vector<std::string> kAnalyticColumns = {
    "num_chips",
    "num_stages",
    "tensor_parallel",
    "num_servers",
    "plan_strategy",
    "kv_capacity_tokens",
    "analytic.single_user_ttft_s",
    "analytic.single_user_tpot_s",
    "analytic.single_user_tokens_per_s",
    "analytic.single_user_e2e_s",
    "analytic.max_concurrent_requests",
    "analytic.peak_output_tokens_per_s",
    "analytic.peak_output_tokens_per_s_per_chip",
    "analytic.bottleneck",
    "analytic.peak_power_w",
    "analytic.capex_usd",
    "analytic.usd_per_hour",
    "analytic.usd_per_million_tokens",
};

// Event-engine columns: paths into the run report.
const std::vector<std::string> kEventColumns = {
    "requests_completed",       "requests_rejected",
    "measured_s",               "output_tokens_per_s.mean",
    "tokens_per_s_per_user.mean", "tokens_per_s_per_user.p50",
    "tokens_per_s_per_user.p99", "ttft_s.mean",
    "ttft_s.p50",               "ttft_s.p90",
    "ttft_s.p99",               "tpot_s.mean",
    "tpot_s.p50",               "tpot_s.p90",
    "tpot_s.p99",               "itl_s.p50",
    "itl_s.p99",                "e2e_s.p50",
    "e2e_s.p99",                "queue_s.p99",
    "goodput.fraction",         "goodput.requests_per_s",
    "average_power_w",          "energy_j_per_token",
    "cost.total_usd_per_hour",  "usd_per_million_tokens",
    "kv_cache.peak_tokens",
};

}  // namespace

struct Evaluator::Analytic {
  absl::Status status;  // not OK: infeasible, with the reason
  cluster::SimulationResult skeleton;
  cluster::AnalyticEstimate estimate;
};

absl::StatusOr<Mode> ParseMode(const std::string& s) {
  if (s == "analytic") return Mode::kAnalytic;
  if (s == "event") return Mode::kEvent;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode must be analytic, event or both, got \"", s, "\""));
}

const char* ModeName(Mode m) { return m == Mode::kAnalytic ? "analytic" : "event"; }

const std::vector<std::string>& Evaluator::Columns(Mode m) {
  static const auto* event = [] {
    auto* v = new std::vector<std::string>(kAnalyticColumns);
    v->insert(v->end(), kEventColumns.begin(), kEventColumns.end());
    return v;
  }();
  return m == Mode::kAnalytic ? kAnalyticColumns : *event;
}

std::string AnalyticKey(const v1::Scenario& in) {
  v1::Scenario s = in;
  v1::Workload* w = s.mutable_workload();
  if (!w->has_trace()) {
    w->clear_closed_loop();
    w->clear_poisson();
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
  auto sim = cluster::Simulation::Build(s);
  if (!sim.ok()) {
    a->status = sim.status();
  } else {
    a->skeleton = (*sim)->Skeleton();
    a->estimate = cluster::Analyze(**sim);
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
  const cluster::SimulationResult& r = a->skeleton;
  const cluster::AnalyticEstimate& e = a->estimate;
  // Cost at the analytic peak, from this point's cost block.
  v1::Scenario priced = r.scenario;
  *priced.mutable_cost() = s.cost();
  cluster::ApplyDefaults(priced);
  cost::CostInputs ci = cluster::CostInputsFor(priced, r.chip, r.num_devices, r.num_servers);
  ci.it_power_watts = r.num_devices * r.chip.power().active_watts() +
                      r.num_servers * cluster::ServerOverheadWatts(priced, r.chip);
  ci.output_tokens_per_s = e.peak_output_tokens_per_s;
  ASSIGN_OR_RETURN(cost::CostBreakdown cb, cost::ComputeCost(ci));
  out.cells = {Int(r.num_devices),
               Int(static_cast<int64_t>(r.stages.size())),
               Int(r.tensor_parallel),
               Int(r.num_servers),
               Text(r.plan.strategy()),
               Int(r.kv_capacity_tokens),
               Num(e.single_user_ttft_s),
               Num(e.single_user_tpot_s),
               Num(e.single_user_tokens_per_s),
               Num(e.single_user_e2e_s),
               Int(e.max_concurrent_requests),
               Num(e.peak_output_tokens_per_s),
               Num(e.peak_output_tokens_per_s / std::max(1, r.num_devices)),
               Text(e.bottleneck),
               Num(ci.it_power_watts),
               Num(cb.capex_usd),
               Num(cb.total_usd_per_hour),
               Num(cb.usd_per_million_tokens)};
  if (m == Mode::kAnalytic) return out;

  // The event engine on this exact point.
  auto sim = cluster::Simulation::Build(s);
  if (!sim.ok()) {
    out.feasible = false;
    out.reason = std::string(sim.status().message());
    out.cells.clear();
    return out;
  }
  ASSIGN_OR_RETURN(cluster::SimulationResult result, (*sim)->RunInProcess());
  ASSIGN_OR_RETURN(nlohmann::ordered_json report, cluster::ReportJson(result, e));
  for (const std::string& col : kEventColumns) {
    const nlohmann::ordered_json* j = &report;
    for (absl::string_view part : absl::StrSplit(col, '.')) {
      auto it = j->find(std::string(part));
      if (it == j->end()) {
        return absl::InternalError(absl::StrCat("sweep: the report has no field ", col));
      }
      j = &*it;
    }
    out.cells.push_back(j->is_number_integer() ? Int(j->get<int64_t>())
                                               : Num(j->get<double>()));
  }
  return out;
}

}  // namespace etchsim::sweep
