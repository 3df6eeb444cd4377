// etchsim simulate [flags | --scenario FILE]
// etchsim calibrate --chip C --model M --target-tokens-per-s T [--parameter P]
#include <chrono>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "google/protobuf/text_format.h"
#include "report/analytic.h"
#include "report/report.h"
#include "rpc/address.h"
#include "rpc/coordinator.h"
#include "rpc/process.h"
#include "rpc/status.h"
#include "silicon/reference.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/progress.h"
#include "tools/scenario_flags.h"

namespace etchsim::tools {
namespace {

// The report of a run over chip processes: "local" starts them here for
// this run, otherwise the flag lists their addresses in stage order.
absl::StatusOr<v1::Report> RunOverProcesses(const v1::Scenario& scenario, const std::string& where,
                                            bool progress, std::ostream& err) {
  rpc::DistributedOptions opt;
  opt.stall_timeout_s = absl::GetFlag(FLAGS_stall_timeout);
  RETURN_IF_ERROR(base::CheckRange("", "--stall-timeout", opt.stall_timeout_s, 0.1, 86400));
  RETURN_IF_ERROR(LivenessTimeoutFromFlags(opt.liveness_timeout_s));
  ASSIGN_OR_RETURN(rpc::Credentials creds, CredentialsFromFlags());
  opt.channel_credentials = creds.channel;
  ProgressLine line(scenario, ProgressLine::IsTerminal(err));
  if (progress) {
    opt.progress = [&err, &line](const v1::RunProgress& p) {
      if (!p.done()) line.Print(err, p);
    };
  }
  ASSIGN_OR_RETURN(opt.chips_per_process, ChipsPerProcessFromFlags());
  std::unique_ptr<rpc::LocalCluster> local;
  if (where == "local") {
    ASSIGN_OR_RETURN(const int procs, rpc::ProcessesNeeded(scenario, opt.chips_per_process));
    rpc::LocalCluster::Options o;
    o.chips = procs;
    o.chips_per_process = opt.chips_per_process;
    o.tls = TlsFilesFromFlags();
    o.verbose = progress;
    ASSIGN_OR_RETURN(local, rpc::LocalCluster::Start(o));
    opt.chip_addresses = local->chip_addresses();
  } else {
    opt.chip_addresses = absl::StrSplit(where, ',', absl::SkipWhitespace());
  }
  auto report = rpc::RunDistributed(scenario, opt);
  line.Finish(err);
  return report;
  // `local` stops and reaps its processes here, also on failure.
}

// The report of a run on a coordinator service.
absl::StatusOr<v1::Report> RunOnCoordinator(const v1::Scenario& scenario,
                                            const std::string& address, bool progress,
                                            std::ostream& err) {
  ASSIGN_OR_RETURN(rpc::Credentials creds, CredentialsFromFlags());
  auto stub = v1::CoordinatorService::NewStub(grpc::CreateChannel(address, creds.channel));
  v1::RunRequest req;
  google::protobuf::TextFormat::PrintToString(scenario, req.mutable_scenario_textproto());
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::hours(24));
  auto reader = stub->StartRun(&ctx, req);
  v1::RunProgress p;
  std::optional<v1::Report> report;
  std::string error;
  ProgressLine line(scenario, ProgressLine::IsTerminal(err));
  while (reader->Read(&p)) {
    if (!p.error().empty()) error = p.error();
    if (p.has_report()) report = p.report();
    if (progress && !p.done()) line.Print(err, p);
  }
  line.Finish(err);
  const grpc::Status s = reader->Finish();
  if (!error.empty()) return absl::UnavailableError(error);
  RETURN_IF_ERROR(rpc::FromGrpcStatus(s, absl::StrCat("coordinator ", address)));
  if (!report) {
    return absl::UnavailableError(absl::StrCat("coordinator ", address, " sent no report"));
  }
  return *std::move(report);
}

// An in-process run, with a progress line on stderr every second under
// --progress, and without it every 10 s once a run has taken 10 s: a run
// that will take hours (a million offline requests) says so, with its ETA,
// instead of running silently.
absl::StatusOr<sim::SimulationResult> RunWithProgress(const sim::Simulation& sim, bool progress,
                                                      std::ostream& err) {
  ProgressLine line(sim.scenario(), ProgressLine::IsTerminal(err));
  int64_t completed = 0;
  const auto wall0 = std::chrono::steady_clock::now();
  const double every_s = progress ? 1 : 10;
  double next_s = every_s;
  bool shown = false;
  auto count = [&completed](const serving::HostResult& h) {
    completed = h.completed;
    return false;  // never gives up
  };
  auto tick = [&](base::SimTime now, uint64_t events) {
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    if (wall < next_s) return;
    next_s = wall + every_s;
    v1::RunProgress p;
    p.set_virtual_s(now.ToSeconds());
    p.set_wall_s(wall);
    p.set_events(static_cast<int64_t>(events));
    p.set_requests_completed(completed);
    line.Print(err, p);
    shown = true;
  };
  absl::StatusOr<sim::SimulationResult> r = sim.RunInProcess(count, nullptr, tick);
  if (shown) line.Finish(err);
  return r;
}

absl::Status RunSimulate(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(v1::Scenario scenario, ScenarioFromFlags(inv));
  const std::string distributed = absl::GetFlag(FLAGS_distributed);
  const std::string coordinator = absl::GetFlag(FLAGS_coordinator);
  if (!distributed.empty() && !coordinator.empty()) {
    return absl::InvalidArgumentError("give --distributed or --coordinator, not both");
  }
  // Before any process starts: the distributed mode does not model faults.
  if (!distributed.empty() || !coordinator.empty()) {
    RETURN_IF_ERROR(serving::CheckNoFaultsForDistributed(scenario));
  }
  // Addresses are checked before anything starts: a typo is one line and
  // exit 2, not a 30-second deadline.
  if (inv.Given("distributed") && distributed != "local") {
    if (distributed.empty()) {
      return absl::InvalidArgumentError(
          "--distributed: expected \"local\" or a comma-separated HOST:PORT list, got \"\"");
    }
    RETURN_IF_ERROR(rpc::ParseAddressList("--distributed", distributed).status());
  }
  if (inv.Given("coordinator")) {
    RETURN_IF_ERROR(rpc::ValidateHostPort("--coordinator", coordinator, false));
  }
  if (inv.Given("chips_per_process") && distributed.empty()) {
    return absl::InvalidArgumentError(
        "--chips-per-process applies to --distributed runs (a coordinator service has its own)");
  }
  RETURN_IF_ERROR(ChipsPerProcessFromFlags().status());
  const auto wall0 = std::chrono::steady_clock::now();
  v1::Report report;
  std::string summary;
  if (distributed.empty() && coordinator.empty()) {
    ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(scenario));
    ASSIGN_OR_RETURN(sim::SimulationResult result,
                     RunWithProgress(*sim, absl::GetFlag(FLAGS_progress), inv.err));
    const report::AnalyticEstimate analytic = report::Analyze(*sim);
    ASSIGN_OR_RETURN(report, report::BuildReport(result, analytic));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    summary = absl::StrFormat(
        "\nsimulated %.4f virtual s in %.3f wall s (%s events, %.2f M events/s)\n",
        result.end.ToSeconds(), wall, base::WithCommas(static_cast<int64_t>(result.events)),
        result.events / std::max(wall, 1e-9) / 1e6);
  } else {
    const bool progress = absl::GetFlag(FLAGS_progress);
    ASSIGN_OR_RETURN(report, distributed.empty()
                                 ? RunOnCoordinator(scenario, coordinator, progress, inv.err)
                                 : RunOverProcesses(scenario, distributed, progress, inv.err));
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    summary = absl::StrFormat(
        "\nsimulated over chip processes (%s) in %.3f wall s\n",
        distributed.empty() ? "coordinator " + coordinator : "--distributed=" + distributed, wall);
  }
  const std::string out_path = absl::GetFlag(FLAGS_out);
  if (!out_path.empty()) {
    RETURN_IF_ERROR(base::WriteFileAtomically(out_path, report::ReportJsonText(report)));
  }
  if (format == Format::kJson) {
    inv.out << report::ReportJsonText(report);
  } else {
    inv.out << report::ReportText(report) << summary;
  }
  return absl::OkStatus();
}

absl::Status RunCalibrate(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(v1::Scenario scenario, ScenarioFromFlags(inv));
  scenario.mutable_workload()->mutable_closed_loop()->set_users(1);
  ASSIGN_OR_RETURN(v1::ChipSpec spec, silicon::LoadChip(scenario.chip()));
  // The constant to solve: a hard-wired chip's ROM scan time, or one of a
  // roofline chip's fixed overheads (per layer by default).
  const bool hw = spec.kind() == v1::ChipSpec::HARDWIRED;
  using Setter = void (*)(v1::ChipSpec&, double);
  const std::vector<std::pair<std::string, Setter>> params =
      hw ? std::vector<std::pair<std::string, Setter>>{{"hardwired.pe_scan_cycles",
                                                        [](v1::ChipSpec& c, double v) {
                                                          c.mutable_hardwired()->set_pe_scan_cycles(
                                                              v);
                                                        }}}
         : std::vector<std::pair<std::string, Setter>>{
               {"roofline.layer_overhead_ns",
                [](v1::ChipSpec& c, double v) { c.mutable_roofline()->set_layer_overhead_ns(v); }},
               {"roofline.dense_layer_overhead_ns",
                [](v1::ChipSpec& c,
                   double v) { c.mutable_roofline()->set_dense_layer_overhead_ns(v); }},
               {"roofline.moe_layer_overhead_ns",
                [](v1::ChipSpec& c,
                   double v) { c.mutable_roofline()->set_moe_layer_overhead_ns(v); }},
               {"roofline.step_overhead_ns",
                [](v1::ChipSpec& c, double v) { c.mutable_roofline()->set_step_overhead_ns(v); }}};
  const std::string wanted = absl::GetFlag(FLAGS_parameter);
  size_t which = 0;
  if (!wanted.empty()) {
    for (which = 0; which < params.size() && params[which].first != wanted; ++which) {
    }
    if (which == params.size()) {
      std::vector<std::string> names;
      for (const auto& p : params) names.push_back(p.first);
      return absl::InvalidArgumentError(absl::StrCat("--parameter: must be one of ",
                                                     absl::StrJoin(names, ", "), " for ",
                                                     spec.name(), ", got \"", wanted, "\""));
    }
  }
  const char* param = params[which].first.c_str();
  auto set_param = [&](double v) { params[which].second(spec, v); };
  const double target = absl::GetFlag(FLAGS_target_tokens_per_s);
  RETURN_IF_ERROR(base::CheckAbove("", "--target-tokens-per-s", target, 0, 1e9));
  auto speed = [&](double scan) -> absl::StatusOr<double> {
    set_param(scan);
    ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(scenario, {.chip = &spec}));
    return report::Analyze(*sim).single_user_tokens_per_s;
  };
  double lo = 1e-3, hi = 1e7;  // speed falls as the parameter grows
  ASSIGN_OR_RETURN(double fastest, speed(lo));
  if (fastest < target) {
    return absl::FailedPreconditionError(
        absl::StrFormat("%s cannot reach %.0f tok/s on %s even with %s = 0 (%.0f tok/s): the "
                        "other costs already take longer",
                        spec.name(), target, scenario.model(), param, fastest));
  }
  // A target slower than the largest value allows would bisect to the
  // bound and report it as a solution that does not give the target.
  ASSIGN_OR_RETURN(double slowest, speed(hi));
  if (slowest > target) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "--target-tokens-per-s %g is below what %s can be made to give on %s: %s = %g, the "
        "largest solved for, still gives %.4g tok/s",
        target, spec.name(), scenario.model(), param, hi, slowest));
  }
  for (int i = 0; i < 200 && hi - lo > 1e-9; ++i) {
    const double mid = (lo + hi) / 2;
    ASSIGN_OR_RETURN(double v, speed(mid));
    (v >= target ? lo : hi) = mid;
  }
  // Round down to 0.01 cycle (so the target is still met), then report
  // what that value gives, analytically and in the event engine.
  const double scan = std::floor(lo * 100) / 100;
  ASSIGN_OR_RETURN(double got, speed(scan));
  set_param(scan);
  ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(scenario, {.chip = &spec}));
  ASSIGN_OR_RETURN(sim::SimulationResult r, sim->RunInProcess());
  const double engine = r.host.tokens_per_s_per_user_milli.Mean() / 1000.0;
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["chip"] = spec.name();
    j["model"] = scenario.model();
    j["parameter"] = param;
    j["value"] = scan;
    j["target_tokens_per_s"] = target;
    j["analytic_tokens_per_s"] = got;
    j["event_requests"] = r.host.completed;
    j["event_tokens_per_s_per_user"] = engine;
    PrintJson(inv.out, j);
    return absl::OkStatus();
  }
  inv.out << absl::StrFormat(
      "%s: %.2f\n"
      "analytic single-user decode: %.1f tok/s (target %.1f)\n"
      "event engine, %d request(s): %.1f tok/s per user\n",
      param, scan, got, target, r.host.completed, engine);
  return absl::OkStatus();
}

const std::vector<std::string> kScenarioFlags = {"scenario",
                                                 "model",
                                                 "chip",
                                                 "chips",
                                                 "strategy",
                                                 "topology",
                                                 "users",
                                                 "rate",
                                                 "trace",
                                                 "input_len",
                                                 "output_len",
                                                 "duration",
                                                 "requests",
                                                 "warmup",
                                                 "think_time",
                                                 "ramp_up",
                                                 "seed",
                                                 "kv_dtype",
                                                 "draft_len",
                                                 "acceptance",
                                                 "slo_ttft",
                                                 "slo_tpot",
                                                 "tensor_parallel",
                                                 "cards_per_server",
                                                 "offline",
                                                 "routing",
                                                 "balance_experts",
                                                 "kv_policy",
                                                 "redundant_experts",
                                                 "prefix_cache",
                                                 "prefill_pool",
                                                 "attention_pool"};

}  // namespace

void RegisterSimulateCommands(Cli& cli) {
  std::vector<std::string> sim_flags = kScenarioFlags;
  sim_flags.insert(sim_flags.end(),
                   {"format", "out", "distributed", "chips_per_process", "coordinator", "progress",
                    "stall_timeout", "liveness_timeout", "tls_cert", "tls_key", "tls_ca"});
  cli.Add({.name = "simulate",
           .summary = "Run a serving workload on a cluster and report latency, "
                      "throughput, energy and cost.",
           .details = "With no flags: DeepSeek R1 on 30 hc2 chips (two-level topology, "
                      "10 per server), one closed-loop user, 1,024 input / 1,024 output "
                      "tokens, 10 requests. --scenario FILE reads an etchsim.v1.Scenario "
                      "text proto; flags given on the command line override it. The same "
                      "scenario and --seed always give the same bytes of --format=json, "
                      "in process, over chip processes (--distributed=local or a list of "
                      "chip addresses) or on a coordinator service (--coordinator). "
                      "Model and assumptions: docs/assumptions.md; validation: "
                      "docs/VALIDATION.md.",
           .flags = sim_flags,
           .flag_defaults = {{"chips", "30"}},
           .run = RunSimulate});
  std::vector<std::string> cal_flags = kScenarioFlags;
  cal_flags.push_back("target_tokens_per_s");
  cal_flags.push_back("parameter");
  cal_flags.push_back("format");
  cli.Add(
      {.name = "calibrate",
       .summary = "Solve a chip's calibrated constant so one user decodes at a "
                  "target speed.",
       .details =
           "Defaults reproduce the HC1 calibration: Llama 3.1 8B on one hc1 "
           "at 1,024 input / 1,024 output tokens, 16,960 tok/s (Taalas' quoted "
           "figure). For a ROOFLINE chip the constant is roofline."
           "layer_overhead_ns unless --parameter names another fixed "
           "overhead (dense_layer, moe_layer, step). Prints the constant, the analytic speed it "
           "gives, and the event engine's measured speed.",
       .flags = cal_flags,
       .flag_defaults =
           {{"chips", "1"}, {"chip", "hc1"}, {"model", "llama-3.1-8b"}, {"requests", "1"}},
       .run = RunCalibrate});
}

}  // namespace etchsim::tools
