// etchsim cost breakeven: hard-wired silicon against a GPU fleet over the
// model's uncertain life.
#include <cmath>
#include <filesystem>
#include <sstream>
#include <tuple>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "cost/breakeven.h"
#include "cost/energy.h"
#include "cost/prices.h"
#include "cost/tco.h"
#include "report/analytic.h"
#include "report/report.h"
#include "silicon/derive.h"
#include "silicon/reference.h"
#include "sim/scenario.h"
#include "sim/scenario_validate.h"
#include "sim/simulation.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/scenario_flags.h"

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;

struct Replica {
  cost::ReplicaCost cost;
  std::string what;  // "30 x hc2"
  int devices = 0;
  double power_w = 0;
};

// One replica's capacity (the analytic peak) and its owned cost: capex
// amortised (committed), energy and hosting at full power (running).
absl::StatusOr<Replica> Owned(const v1::Scenario& s, double hosting_usd_per_kw_month) {
  ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(s));
  const report::AnalyticEstimate a = report::Analyze(*sim);
  const sim::SimulationResult r = sim->Skeleton();
  // Every device busy: a second of energy at full load, in watts.
  cost::CostInputs ci = report::HardwareCostInputs(r, r.scenario, 1.0);
  ci.output_tokens_per_s = a.peak_output_tokens_per_s;
  ASSIGN_OR_RETURN(cost::CostBreakdown cb, cost::ComputeCost(ci));
  Replica rep;
  rep.what = r.Hardware();
  rep.devices = r.all_devices();
  rep.power_w = ci.it_power_watts;
  rep.cost.tokens_per_s = a.peak_output_tokens_per_s;
  rep.cost.committed_usd_per_hour = cb.capex_usd_per_hour;
  rep.cost.running_usd_per_hour = cb.energy_usd_per_hour + ci.it_power_watts / 1000 *
                                                               hosting_usd_per_kw_month /
                                                               cost::kHoursPerMonth;
  return rep;
}

std::string Csv(const std::string& x, const std::vector<cost::CurvePoint>& pts) {
  std::string out =
      absl::StrCat(x, ",gpu_usd_per_million_tokens,hardwired_usd_per_million_tokens\n");
  for (const auto& p : pts) {
    absl::StrAppend(&out, absl::StrFormat("%.6g,%.6g,%.6g\n", p.x, p.gpu_usd_per_million,
                                          p.hardwired_usd_per_million));
  }
  return out;
}

// The flags of `cost breakeven` that are not scenario fields, each with its
// range: wide enough for any real fab, fleet or horizon, narrow enough that
// every total printed (NRE, fleet $/hour, cost over the horizon) stays a
// finite number well inside an int64 of dollars.
absl::Status CheckBreakevenFlags() {
  constexpr absl::string_view kWhere = "cost breakeven";
  struct Bound {
    const char* flag;
    double value, lo, hi;
  };
  const Bound bounds[] = {
      {"--hazard", absl::GetFlag(FLAGS_hazard), 0, 0.999},
      {"--lead-time-months", absl::GetFlag(FLAGS_lead_time_months), 0, 600},
      {"--commitment-months", absl::GetFlag(FLAGS_commitment_months), 0, 600},
      {"--usd-per-mask", absl::GetFlag(FLAGS_usd_per_mask), 0, 1e9},
      {"--usd-per-wafer", absl::GetFlag(FLAGS_usd_per_wafer), 0, 1e7},
      {"--engineering-usd", absl::GetFlag(FLAGS_engineering_usd), 0, 1e11},
      {"--hosting-usd-per-kw-month", absl::GetFlag(FLAGS_hosting_usd_per_kw_month), 0, 1e6},
      {"--gpu-usd-per-hour", absl::GetFlag(FLAGS_gpu_usd_per_hour), 0, 1e4},
      {"--hw-replica-tokens-per-s", absl::GetFlag(FLAGS_hw_replica_tokens_per_s), 0, 1e10},
      {"--gpu-replica-tokens-per-s", absl::GetFlag(FLAGS_gpu_replica_tokens_per_s), 0, 1e10},
  };
  for (const Bound& b : bounds) {
    RETURN_IF_ERROR(base::CheckRange(kWhere, b.flag, b.value, b.lo, b.hi));
  }
  RETURN_IF_ERROR(base::CheckAbove(kWhere, "--demand", absl::GetFlag(FLAGS_demand), 0, 1e10));
  RETURN_IF_ERROR(
      base::CheckAbove(kWhere, "--horizon-months", absl::GetFlag(FLAGS_horizon_months), 0, 600));
  RETURN_IF_ERROR(base::CheckIntRange(kWhere, "--masks", absl::GetFlag(FLAGS_masks), 0, 200));
  RETURN_IF_ERROR(base::CheckIntRange(kWhere, "--wafer-run-wafers",
                                      absl::GetFlag(FLAGS_wafer_run_wafers), 0, 100000));
  RETURN_IF_ERROR(base::CheckIntRange(kWhere, "--gpu-chips", absl::GetFlag(FLAGS_gpu_chips), 1,
                                      serving::kMaxChips));
  return absl::OkStatus();
}

// A fleet of `n` replicas, committed and running.
double FleetUsdPerHour(const cost::ReplicaCost& c, int64_t n) {
  return static_cast<double>(n) * (c.committed_usd_per_hour + c.running_usd_per_hour);
}

// What `cost breakeven` found, for its JSON and its text.
struct BreakevenOutcome {
  std::string model;
  const Replica& hard;
  const Replica& gpu;
  std::string tier;
  bool slo_bound = false;
  const cost::BreakevenInputs& in;
  const cost::BreakevenResult& r;
};

Json BreakevenJson(const BreakevenOutcome& o) {
  auto replica = [](const std::string& what, const cost::ReplicaCost& c, int64_t n) {
    Json j;
    j["replica"] = what;
    j["tokens_per_s_per_replica"] = c.tokens_per_s;
    j["replicas"] = n;
    j["fleet_usd_per_hour"] = FleetUsdPerHour(c, n);
    return j;
  };
  auto opt = [](const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); };
  Json j;
  j["model"] = o.model;
  j["demand_tokens_per_s"] = o.in.demand_tokens_per_s;
  j["monthly_hazard"] = o.in.monthly_hazard;
  j["expected_life_months"] = o.r.expected.expected_life_months;
  j["horizon_months"] = o.in.horizon_months;
  j["hardwired"] = replica(o.hard.what, o.in.hardwired,
                           cost::Replicas(o.in.hardwired, o.in.demand_tokens_per_s));
  j["gpu"] = replica(o.gpu.what, o.in.gpu, cost::Replicas(o.in.gpu, o.in.demand_tokens_per_s));
  j["gpu"]["price"] = o.tier;
  j["replica_capacity"] = o.slo_bound ? "given" : "analytic_peak";
  j["nre_usd"] = o.in.nre.Total();
  j["nre"] = {
      {"distinct_dies", o.in.nre.distinct_dies}, {"masks_changed", o.in.nre.masks_changed},
      {"usd_per_mask", o.in.nre.usd_per_mask},   {"wafer_run_wafers", o.in.nre.WaferRunWafers()},
      {"usd_per_wafer", o.in.nre.usd_per_wafer}, {"engineering_usd", o.in.nre.engineering_usd}};
  j["lead_time_months"] = o.in.lead_time_months;
  j["commitment_months"] = o.in.commitment_months;
  j["hardwired_usd_per_million_tokens"] = o.r.expected.hardwired_usd_per_million;
  j["gpu_usd_per_million_tokens"] = o.r.expected.gpu_usd_per_million;
  j["breakeven_life_months"] = opt(o.r.breakeven_life_months);
  j["breakeven_hazard"] = opt(o.r.breakeven_hazard);
  j["breakeven_demand_tokens_per_s"] = opt(o.r.breakeven_demand_tokens_per_s);
  return j;
}

std::string BreakevenText(const BreakevenOutcome& o, const std::string& out_dir) {
  std::ostringstream out;
  const int64_t nh = cost::Replicas(o.in.hardwired, o.in.demand_tokens_per_s);
  const int64_t ng = cost::Replicas(o.in.gpu, o.in.demand_tokens_per_s);
  auto money = [](double v) { return absl::StrCat("$", base::WithCommas(std::llround(v))); };
  base::TextTable t({"", "replica", "tok/s per replica", "replicas", "fleet $/hour"});
  t.AddRow({"hard-wired", o.hard.what, base::Fixed(o.in.hardwired.tokens_per_s, 0),
            absl::StrCat(nh), base::Fixed(FleetUsdPerHour(o.in.hardwired, nh), 2)});
  t.AddRow({absl::StrCat("GPU (", o.tier, ")"), o.gpu.what, base::Fixed(o.in.gpu.tokens_per_s, 0),
            absl::StrCat(ng), base::Fixed(FleetUsdPerHour(o.in.gpu, ng), 2)});
  out << absl::StrFormat(
      "%s at %s output tok/s; replaced with probability %.1f%%/month: expected life %.1f of "
      "at most %.0f months\n",
      o.model, base::WithCommas(std::llround(o.in.demand_tokens_per_s)), o.in.monthly_hazard * 100,
      o.r.expected.expected_life_months, o.in.horizon_months);
  out << t.Render();
  out << absl::StrFormat(
      "replica capacity: %s\n"
      "NRE per model: %d distinct die(s) x %d masks x %s + a wafer run of %d x %s + %s "
      "engineering = %s; lead time "
      "%.1f months (GPUs serve); commitment %.0f months\n",
      o.slo_bound ? "as given (--*-replica-tokens-per-s); the rest the analytic peak"
                  : "the analytic peak (no SLO bound)",
      o.in.nre.distinct_dies, o.in.nre.masks_changed, money(o.in.nre.usd_per_mask),
      o.in.nre.WaferRunWafers(), money(o.in.nre.usd_per_wafer), money(o.in.nre.engineering_usd),
      money(o.in.nre.Total()), o.in.lead_time_months, o.in.commitment_months);
  out << absl::StrFormat("expected $/M tokens: hard-wired %.4f, GPU %.4f\n",
                         o.r.expected.hardwired_usd_per_million, o.r.expected.gpu_usd_per_million);
  out << "break-even life: "
      << (o.r.breakeven_life_months
              ? absl::StrFormat("%.2f months (hard-wired cheaper if the model serves longer)",
                                *o.r.breakeven_life_months)
              : absl::StrFormat("none within %.0f months", o.in.horizon_months))
      << "\nbreak-even hazard: "
      << (o.r.breakeven_hazard ? absl::StrFormat("%.2f%%/month", *o.r.breakeven_hazard * 100)
                               : std::string("none (GPUs cheaper even if never replaced)"))
      << "\nbreak-even demand: "
      << (o.r.breakeven_demand_tokens_per_s
              ? absl::StrFormat("%s output tok/s",
                                base::WithCommas(std::llround(*o.r.breakeven_demand_tokens_per_s)))
              : std::string("none up to 1e9 tok/s"))
      << "\n";
  if (!out_dir.empty())
    out << "curves: " << out_dir << "/lifetime.csv, " << out_dir << "/demand.csv\n";
  return out.str();
}

absl::Status RunBreakeven(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  RETURN_IF_ERROR(CheckBreakevenFlags());
  ASSIGN_OR_RETURN(v1::Scenario hw, ScenarioFromFlags(inv));
  const double hosting = absl::GetFlag(FLAGS_hosting_usd_per_kw_month);
  ASSIGN_OR_RETURN(Replica hard, Owned(hw, hosting));
  {
    ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(hw));
    if (!sim->hardwired()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--chip ", hw.chip(), " is not a hard-wired chip; give the GPU as --gpu"));
    }
  }
  v1::Scenario g = hw;
  g.set_chip(absl::GetFlag(FLAGS_gpu));
  g.set_chips(absl::GetFlag(FLAGS_gpu_chips));
  g.set_strategy("auto");
  g.set_tensor_parallel(0);
  absl::StatusOr<Replica> gpu_or = Owned(g, hosting);
  if (!gpu_or.ok()) {
    // The GPU replica is built from --gpu and --gpu-chips, not from the
    // scenario's --chip and --chips its error names.
    return absl::Status(gpu_or.status().code(),
                        absl::StrCat("the GPU replica (--gpu ", g.chip(), " --gpu-chips ",
                                     g.chips(), "): ", gpu_or.status().message()));
  }
  Replica gpu = *std::move(gpu_or);
  const std::string tier = absl::GetFlag(FLAGS_gpu_price);
  if (tier != "own") {
    double per_gpu = absl::GetFlag(FLAGS_gpu_usd_per_hour);
    if (per_gpu == 0) {
      ASSIGN_OR_RETURN(per_gpu, cost::GpuUsdPerHour(absl::GetFlag(FLAGS_gpu), tier));
    }
    gpu.cost.committed_usd_per_hour = 0;
    gpu.cost.running_usd_per_hour = per_gpu * gpu.devices;
  }
  // Capacities given (e.g. from etchsim plan at an SLO) replace the peaks.
  bool slo_bound = false;
  for (auto [flag, name, replica] : {std::tuple{absl::GetFlag(FLAGS_hw_replica_tokens_per_s),
                                                "--hw-replica-tokens-per-s", &hard},
                                     std::tuple{absl::GetFlag(FLAGS_gpu_replica_tokens_per_s),
                                                "--gpu-replica-tokens-per-s", &gpu}}) {
    if (flag > 0) {
      replica->cost.tokens_per_s = flag;
      slo_bound = true;
    }
  }
  cost::BreakevenInputs in;
  in.demand_tokens_per_s = absl::GetFlag(FLAGS_demand);
  in.hardwired = hard.cost;
  in.gpu = gpu.cost;
  in.nre = {.masks_changed = absl::GetFlag(FLAGS_masks),
            .usd_per_mask = absl::GetFlag(FLAGS_usd_per_mask),
            .wafer_run_wafers = absl::GetFlag(FLAGS_wafer_run_wafers),
            .usd_per_wafer = absl::GetFlag(FLAGS_usd_per_wafer),
            .engineering_usd = absl::GetFlag(FLAGS_engineering_usd)};
  // Every chip of the replica holds other weights: a distinct ROM die each
  // (k per package for a design of k dies), each with its changed masks.
  in.nre.distinct_dies = hard.devices;
  if (silicon::IsDesignReference(hw.chip())) {
    // A design carries its own NRE terms (its node's mask and wafer prices);
    // a flag given on the command line still wins.
    ASSIGN_OR_RETURN(silicon::DerivedDesign d, silicon::DeriveReference(hw.chip()));
    if (!inv.Given("masks")) in.nre.masks_changed = d.nre.masks_changed;
    if (!inv.Given("usd_per_mask")) in.nre.usd_per_mask = d.nre.usd_per_mask;
    if (!inv.Given("wafer_run_wafers")) in.nre.wafer_run_wafers = d.nre.wafer_run_wafers;
    if (!inv.Given("usd_per_wafer")) in.nre.usd_per_wafer = d.nre.usd_per_wafer;
    if (!inv.Given("engineering_usd")) in.nre.engineering_usd = d.nre.engineering_usd;
    in.nre.distinct_dies = hard.devices * d.dies_per_package;
  }
  in.lead_time_months = absl::GetFlag(FLAGS_lead_time_months);
  in.commitment_months = absl::GetFlag(FLAGS_commitment_months);
  in.monthly_hazard = absl::GetFlag(FLAGS_hazard);
  in.horizon_months = absl::GetFlag(FLAGS_horizon_months);
  ASSIGN_OR_RETURN(cost::BreakevenResult r, cost::Breakeven(in));

  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("--out-dir ", out_dir, ": cannot create the folder: ", ec.message()));
    }
    // Both curves or neither.
    const std::string lifetime = Csv("life_months", cost::LifetimeCurve(in, 72));
    const std::string demand = Csv("demand_tokens_per_s", cost::DemandCurve(in, 100, 1e8, 61));
    RETURN_IF_ERROR(base::WriteFilesAtomically(
        {{out_dir + "/lifetime.csv", lifetime}, {out_dir + "/demand.csv", demand}}));
  }

  const BreakevenOutcome outcome{hw.model(), hard, gpu, tier, slo_bound, in, r};
  if (format == Format::kJson) {
    PrintJson(inv.out, BreakevenJson(outcome));
  } else {
    inv.out << BreakevenText(outcome, out_dir);
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterCostCommands(Cli& cli) {
  cli.Add({.name = "cost breakeven",
           .summary = "When does a hard-wired cluster beat a GPU fleet, counting NRE, lead "
                      "time, commitment and the chance the model is replaced early?",
           .details = "The hard-wired replica is the scenario (--model, --chip, --chips, lengths); "
                      "the GPU replica is --gpu-chips x --gpu for the same model. Each replica "
                      "serves its analytic peak output rate; the fleet is enough replicas for "
                      "--demand. Hard-wired: NRE (--masks x --usd-per-mask + --wafer-run-wafers x "
                      "--usd-per-wafer + --engineering-usd) "
                      "at the decision, GPUs serve for --lead-time-months, the silicon's capex is "
                      "paid for at least --commitment-months. The model's life is exponential with "
                      "--hazard per month, capped at --horizon-months. Prints the expected $/M "
                      "tokens of each and the break-even life, hazard and demand; --out-dir writes "
                      "lifetime.csv and demand.csv; --format=json prints the same as JSON. A "
                      "design chip (--chip @hc2, docs/silicon.md) brings its own NRE terms (its "
                      "node's mask and wafer prices) unless those flags are given. Defaults: "
                      "docs/assumptions.md §6.",
           .flags = {"format",
                     "model",
                     "chip",
                     "chips",
                     "input_len",
                     "output_len",
                     "kv_dtype",
                     "draft_len",
                     "acceptance",
                     "scenario",
                     "gpu",
                     "gpu_chips",
                     "gpu_price",
                     "gpu_usd_per_hour",
                     "demand",
                     "hazard",
                     "horizon_months",
                     "lead_time_months",
                     "commitment_months",
                     "masks",
                     "usd_per_mask",
                     "wafer_run_wafers",
                     "usd_per_wafer",
                     "engineering_usd",
                     "hosting_usd_per_kw_month",
                     "hw_replica_tokens_per_s",
                     "gpu_replica_tokens_per_s",
                     "out_dir"},
           .flag_defaults =
               {{"model", "llama-3.1-8b"}, {"chip", "hc1"}, {"chips", "0"}, {"out_dir", ""}},
           .flag_help = {{"out_dir",
                          "Folder for the curve data, lifetime.csv and demand.csv (written "
                          "whole or not at all); empty = none."}},
           .run = RunBreakeven});
}

}  // namespace etchsim::tools
