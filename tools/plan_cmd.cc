// etchsim plan: the cheapest fleet meeting a demand at an SLO.
#include <algorithm>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "base/bounds.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "fabric/topology.h"
#include "plan/planner.h"
#include "report/analytic.h"
#include "silicon/reference.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/scenario_flags.h"

ABSL_DECLARE_FLAG(int32_t, spares);

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;

// Comma list of `flag`; empty = {""} (the base scenario's value).
std::vector<std::string> ListOf(const std::string& value) {
  std::vector<std::string> v = absl::StrSplit(value, ',', absl::SkipWhitespace());
  for (std::string& x : v) x = std::string(absl::StripAsciiWhitespace(x));
  if (v.empty()) v.push_back("");
  return v;
}

// --pools: each design as the scenario blocks it sets (an empty item:
// the base scenario's own).
absl::StatusOr<std::vector<std::optional<v1::Scenario>>> Pools() {
  std::vector<std::optional<v1::Scenario>> out;
  for (const std::string& x : ListOf(absl::GetFlag(FLAGS_pools))) {
    if (x.empty()) {
      out.push_back(std::nullopt);
      continue;
    }
    v1::Scenario p;
    if (x == "colocated") {
      out.push_back(p);
      continue;
    }
    const size_t eq = x.find('=');
    const std::string kind = x.substr(0, eq);
    const std::string spec = eq == std::string::npos ? "" : x.substr(eq + 1);
    absl::Status st;
    if (kind == "prefill" && eq != std::string::npos) {
      st = ParsePrefillPool(spec, *p.mutable_disaggregation());
    } else if (kind == "attention" && eq != std::string::npos) {
      st = ParseAttentionPool(spec, *p.mutable_attention_ffn());
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--pools \"", x,
                       "\": expected colocated, prefill=CHIP[:CHIPS[:TP]] or attention=CHIP[:N]"));
    }
    if (!st.ok()) return absl::InvalidArgumentError(absl::StrCat("--pools: ", st.message()));
    out.push_back(p);
  }
  return out;
}

// A candidate given without a chip count, at each multiple of its smallest
// count that fits (a count that repeats is kept once). One that does not
// build is passed on as it is: the planner rejects it with the reason.
std::vector<v1::Scenario> Multiples(v1::Scenario s, const std::vector<double>& multiples) {
  if (s.chips() != 0 || (multiples.size() == 1 && multiples[0] == 1)) return {std::move(s)};
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) return {std::move(s)};
  const int smallest = (*sim)->plan().num_chips();
  std::vector<v1::Scenario> out;
  std::set<int> counts;
  for (double m : multiples) {
    const int n = std::max(1, static_cast<int>(std::llround(m * smallest)));
    if (!counts.insert(n).second) continue;
    v1::Scenario x = s;
    x.set_chips(n);
    out.push_back(std::move(x));
  }
  return out;
}

// A GPU candidate named without a count (h100, not h100:8) is every
// tensor-parallel shape within its NVLink domain that holds the model
// (TP 1, 2, 4, ... up to the preset's default_tensor_parallel), one
// replica per shape, as a GPU engineer would size it; not only the
// domain's full width. Shapes that cannot be built are left out (all of
// them failing keeps the bare candidate, so its error is reported).
std::vector<v1::Scenario> GpuShapes(v1::Scenario s) {
  if (s.chips() != 0) return {std::move(s)};
  absl::StatusOr<v1::ChipSpec> spec = silicon::LoadChip(s.chip());
  if (!spec.ok() || spec->kind() != v1::ChipSpec::ROOFLINE ||
      spec->roofline().default_tensor_parallel() < 2) {
    return {std::move(s)};
  }
  std::vector<v1::Scenario> out;
  for (int tp = 1; tp <= spec->roofline().default_tensor_parallel(); tp *= 2) {
    v1::Scenario x = s;
    x.set_chips(tp);
    x.set_tensor_parallel(tp);
    if (sim::Simulation::Build(x).ok()) out.push_back(std::move(x));
  }
  if (out.empty()) out.push_back(std::move(s));
  return out;
}

// Every candidate CHIP[:CHIPS] crossed with --chip-multiples, --strategies,
// --topologies, --draft-lens and --pools.
absl::StatusOr<std::vector<v1::Scenario>> Candidates(const v1::Scenario& base,
                                                     const std::string& list) {
  const std::vector<std::string> strategies = ListOf(absl::GetFlag(FLAGS_strategies));
  const std::vector<std::string> topologies = ListOf(absl::GetFlag(FLAGS_topologies));
  const std::vector<std::string> drafts = ListOf(absl::GetFlag(FLAGS_draft_lens));
  for (const std::string& x : strategies) {
    if (!x.empty() && x != "auto" && x != "pipeline" && x != "expert-spread") {
      return absl::InvalidArgumentError(
          absl::StrCat("--strategies \"", x, "\": expected auto, pipeline or expert-spread"));
    }
  }
  for (const std::string& x : topologies) {
    if (!x.empty() && fabric::FindTopologyKind(x) == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--topologies \"", x, "\": unknown topology (chain, ring, switch, two-level)"));
    }
  }
  std::vector<int32_t> draft_lens;
  for (const std::string& x : drafts) {
    int32_t d = base.speculative().draft_len();
    if (!x.empty() && (!absl::SimpleAtoi(x, &d) || d < 0 || d > 16)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--draft-lens \"", x, "\": expected an integer in [0, 16]"));
    }
    draft_lens.push_back(d);
  }
  std::vector<double> multiples;
  for (const std::string& x : ListOf(absl::GetFlag(FLAGS_chip_multiples))) {
    double m = 1;
    if (!x.empty() && (!absl::SimpleAtod(x, &m) || !(m >= 1 && m <= 16))) {
      return absl::InvalidArgumentError(
          absl::StrCat("--chip-multiples \"", x, "\": expected a number in [1, 16]"));
    }
    multiples.push_back(m);
  }
  ASSIGN_OR_RETURN(const std::vector<std::optional<v1::Scenario>> pools, Pools());
  std::vector<v1::Scenario> out;
  for (absl::string_view item : absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    std::vector<std::string> p = absl::StrSplit(item, ':');
    int chips = 0;
    if (p.size() > 2 || p[0].empty() ||
        (p.size() == 2 && (!absl::SimpleAtoi(p[1], &chips) || chips < 0))) {
      return absl::InvalidArgumentError(
          absl::StrCat("--candidates \"", item, "\": expected CHIP or CHIP:CHIPS (CHIPS >= 0)"));
    }
    // A chip that does not exist is a typo, not a candidate that fails.
    // A design that cannot be built (past the reticle) is a candidate that
    // fails, with its reason.
    if (auto spec = silicon::LoadChip(p[0]);
        !spec.ok() && !(silicon::IsDesignReference(p[0]) &&
                        spec.status().code() == absl::StatusCode::kFailedPrecondition)) {
      return absl::InvalidArgumentError(
          absl::StrCat("--candidates \"", item, "\": ", spec.status().message()));
    }
    for (const std::string& strategy : strategies) {
      for (const std::string& topology : topologies) {
        for (int32_t draft : draft_lens) {
          for (const std::optional<v1::Scenario>& pool : pools) {
            v1::Scenario s = base;
            s.set_chip(p[0]);
            s.set_chips(chips);
            s.set_tensor_parallel(0);
            s.set_strategy(strategy.empty() ? (base.strategy().empty() ? "auto" : base.strategy())
                                            : strategy);
            if (!topology.empty()) s.mutable_topology()->set_kind(topology);
            s.mutable_speculative()->set_draft_len(draft);
            if (pool) {
              *s.mutable_disaggregation() = pool->disaggregation();
              *s.mutable_attention_ffn() = pool->attention_ffn();
            }
            for (v1::Scenario& g : GpuShapes(std::move(s))) {
              for (v1::Scenario& x : Multiples(std::move(g), multiples)) {
                out.push_back(std::move(x));
              }
            }
          }
        }
      }
    }
  }
  if (out.empty()) return absl::InvalidArgumentError("--candidates: empty list");
  constexpr size_t kMaxCandidates = 4096;
  if (out.size() > kMaxCandidates) {
    return absl::InvalidArgumentError(
        absl::StrCat("plan: ", out.size(),
                     " candidates after crossing --candidates, --chip-multiples, --strategies, "
                     "--topologies, --draft-lens and --pools; at most ",
                     kMaxCandidates));
  }
  return out;
}

// What limited a candidate: for one that passed, the binding term of the
// lowest failed probe above its rate (the SLO term, KV, overload), or the
// search's ceiling when no probe above it failed; for one that failed, why.
std::string BoundBy(const plan::CandidateResult& c) {
  if (!c.feasible) return c.reason;
  const plan::ProbeRecord* above = nullptr;
  for (const plan::ProbeRecord& p : c.search) {
    if (!p.met && p.rate_per_s > c.max_rate_per_s &&
        (above == nullptr || p.rate_per_s < above->rate_per_s)) {
      above = &p;
    }
  }
  return above != nullptr ? absl::StrFormat("at %.4g req/s: %s", above->rate_per_s, above->why)
                          : std::string("none found: the search's highest rate passed");
}

Json PlanJson(const std::string& model, double demand, const std::string& slo,
              const std::vector<plan::CandidateResult>& v) {
  Json arr = Json::array();
  for (const auto& c : v) {
    Json j;
    j["candidate"] = c.label;
    j["chip"] = c.scenario.chip();
    j["chips"] = c.feasible ? static_cast<int64_t>(c.report.num_chips())
                            : static_cast<int64_t>(c.scenario.chips());
    j["feasible"] = c.feasible;
    j["bound_by"] = BoundBy(c);
    if (c.feasible) {
      j["max_rate_per_s"] = c.max_rate_per_s;
      j["tokens_per_s_per_replica"] = c.tokens_per_s;
      j["replicas"] = c.replicas;
      j["fleet_usd_per_hour"] = c.fleet_usd_per_hour;
      j["usd_per_million_tokens"] = c.usd_per_million_tokens;
      j["tokens_per_s_per_user"] = c.tokens_per_s_per_user;
      j["tokens_per_s_per_chip"] = c.tokens_per_s_per_chip;
      j["ttft_s_p99"] = c.report.ttft_s().p99();
      j["tpot_s_p99"] = c.report.tpot_s().p99();
      j["pareto_user"] = c.pareto_user;
      j["pareto_chip"] = c.pareto_chip;
      j["availability"] = c.availability.availability;
      j["spares"] = c.availability.spares;
    }
    j["probes"] = c.probes();
    arr.push_back(j);
  }
  Json j;
  j["model"] = model;
  j["demand_tokens_per_s"] = demand;
  j["slo"] = slo;
  j["cheapest"] = !v.empty() && v.front().feasible ? Json(v.front().label) : Json(nullptr);
  j["candidates"] = arr;
  return j;
}

// Free text for a quoted plan CSV cell: commas and quotes become ';'.
std::string PlainCell(std::string s) {
  for (char& ch : s)
    if (ch == ',' || ch == '"') ch = ';';
  return s;
}

std::string Csv(const std::vector<plan::CandidateResult>& v) {
  std::string out =
      "candidate,feasible,reason,max_rate_per_s,tokens_per_s,replicas,fleet_usd_per_hour,"
      "usd_per_million_tokens,tokens_per_s_per_user,tokens_per_s_per_chip,pareto_user,"
      "pareto_chip,ttft_s.p99,tpot_s.p99,probes,events,availability,spares,"
      "extra_usd_per_hour_per_replica,bound_by\n";
  for (const auto& c : v) {
    const std::string reason = PlainCell(c.feasible ? "" : c.reason);
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "\"%s\",%s,\"%s\",%.9g,%.9g,%d,%.9g,%.9g,%.9g,%.9g,%d,%d,%.9g,%.9g,%d,%d,%.9g,%d,"
            "%.9g,\"%s\"\n",
            c.label, c.feasible ? "true" : "false", reason, c.max_rate_per_s, c.tokens_per_s,
            c.replicas, c.fleet_usd_per_hour, c.usd_per_million_tokens, c.tokens_per_s_per_user,
            c.tokens_per_s_per_chip, c.pareto_user, c.pareto_chip, c.report.ttft_s().p99(),
            c.report.tpot_s().p99(), c.probes(), c.events(), c.availability.availability,
            c.availability.spares, c.availability.extra_usd_per_hour, PlainCell(BoundBy(c))));
  }
  return out;
}

// probes.csv: every probe of every candidate's rate search, in order.
std::string ProbesCsv(const std::vector<plan::CandidateResult>& v) {
  std::string out = "candidate,probe,rate_per_s,requests,met,events,why\n";
  for (const auto& c : v) {
    for (size_t i = 0; i < c.search.size(); ++i) {
      const plan::ProbeRecord& p = c.search[i];
      absl::StrAppend(
          &out, absl::StrFormat("\"%s\",%d,%.9g,%d,%s,%d,\"%s\"\n", c.label, i + 1, p.rate_per_s,
                                p.requests, p.met ? "true" : "false", p.events, PlainCell(p.why)));
    }
  }
  return out;
}

absl::Status RunPlan(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(v1::Scenario base, ScenarioFromFlags(inv));
  plan::PlanOptions o;
  ASSIGN_OR_RETURN(o.slo, plan::ParseSlo(absl::GetFlag(FLAGS_slo), base.model()));
  ASSIGN_OR_RETURN(o.candidates, Candidates(base, absl::GetFlag(FLAGS_candidates)));
  o.demand_tokens_per_s = absl::GetFlag(FLAGS_demand);
  std::string demand_note;
  if (inv.Given("demand_requests")) {
    // Requests/s become output tokens/s at the workload's mean output
    // length, the conversion the planner's own capacity figures use.
    if (inv.Given("demand")) {
      return absl::InvalidArgumentError("give --demand or --demand-requests, not both");
    }
    const double rps = absl::GetFlag(FLAGS_demand_requests);
    RETURN_IF_ERROR(base::CheckAbove("", "--demand-requests", rps, 0, 1e9));
    v1::Scenario d = base;
    sim::ApplyDefaults(d);
    const int64_t mean_out =
        std::max<int64_t>(1, std::llround(report::MeanLength(d.workload().output_len())));
    o.demand_tokens_per_s = rps * static_cast<double>(mean_out);
    demand_note =
        absl::StrFormat(" (%s req/s x %d mean output tokens)", base::Fixed(rps, 3), mean_out);
  }
  o.requests = absl::GetFlag(FLAGS_requests);
  if (o.requests < 1) return absl::InvalidArgumentError("--requests must be >= 1 for plan");
  const int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0) return absl::InvalidArgumentError(absl::StrCat("--jobs must be >= 0, got ", jobs));
  o.jobs = jobs > 0 ? jobs : std::max(1u, std::thread::hardware_concurrency());
  // --spares (and the failure rates of `cost availability`): size and
  // price the fleet for the time its replicas are down.
  const bool with_availability = inv.Given("spares");
  for (const char* rate : {"chip_fit", "hbm_fit", "card_fit", "server_fit", "link_fit",
                           "takeover_s", "card_replace_h", "server_repair_h", "link_repair_h"}) {
    if (inv.Given(rate) && !with_availability) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plan: --", absl::StrReplaceAll(rate, {{"_", "-"}}),
          " is used only with --spares K (give --spares 0 for failures without spares)"));
    }
  }
  if (with_availability) {  // checked before minutes of search, not after
    RETURN_IF_ERROR(base::CheckIntRange("", "--spares", absl::GetFlag(FLAGS_spares), 0, 4096));
    o.availability = [hbm = inv.Given("hbm_fit")](const v1::Scenario& s) {
      return ReplicaAvailabilityFor(s, hbm);
    };
  }
  if (const std::string dir = absl::GetFlag(FLAGS_out_dir); !dir.empty()) {
    // A target that cannot be written is refused before minutes of search.
    for (const char* f : {"/plan.csv", "/probes.csv"}) {
      RETURN_IF_ERROR(base::CheckOutputTarget(dir + f));
    }
  }
  ASSIGN_OR_RETURN(std::vector<plan::CandidateResult> r, plan::Plan(o));
  // Nothing printed or written for a plan that could not be posed.
  if (std::all_of(r.begin(), r.end(), [](const auto& c) { return c.invalid; })) {
    return absl::InvalidArgumentError(absl::StrCat("plan: no candidate can be built: ",
                                                   r.empty() ? "none given" : r.front().reason));
  }
  const std::string out_dir = absl::GetFlag(FLAGS_out_dir);
  if (!out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(out_dir, ec);
    if (ec) {
      return absl::PermissionDeniedError(
          absl::StrCat("--out-dir ", out_dir, ": cannot create the folder: ", ec.message()));
    }
    // Both tables or neither.
    const std::string plan_csv = Csv(r), probes_csv = ProbesCsv(r);
    RETURN_IF_ERROR(base::WriteFilesAtomically(
        {{out_dir + "/plan.csv", plan_csv}, {out_dir + "/probes.csv", probes_csv}}));
  }
  const bool any = !r.empty() && r.front().feasible;
  auto none_meets = [&] {
    // r is sorted closest first: name up to three and what binds for each.
    std::vector<std::string> closest;
    for (size_t i = 0; i < r.size() && i < 3; ++i) {
      closest.push_back(absl::StrCat(r[i].label, " (", r[i].reason, ")"));
    }
    return absl::ResourceExhaustedError(absl::StrCat("plan: no candidate meets ", o.slo.name,
                                                     "; closest: ", absl::StrJoin(closest, "; ")));
  };
  if (format == Format::kJson) {
    PrintJson(inv.out, PlanJson(base.model(), o.demand_tokens_per_s, o.slo.name, r));
    return any ? absl::OkStatus() : none_meets();
  }
  std::vector<std::string> header = {
      "candidate",  "max req/s",  "tok/s per replica", "replicas",    "fleet $/hour",
      "$/M tokens", "tok/s/user", "TTFT p99 ms",       "TPOT p99 ms", "pareto"};
  if (with_availability) header.insert(header.begin() + 3, "availability");
  base::TextTable t(header);
  for (const auto& c : r) {
    if (!c.feasible) continue;
    std::vector<std::string> row = {
        c.label,
        base::Fixed(c.max_rate_per_s, 2),
        base::Fixed(c.tokens_per_s, 0),
        absl::StrCat(c.replicas),
        base::Fixed(c.fleet_usd_per_hour, 2),
        base::Fixed(c.usd_per_million_tokens, 4),
        base::Fixed(c.tokens_per_s_per_user, 0),
        base::Fixed(c.report.ttft_s().p99() * 1e3, 2),
        base::Fixed(c.report.tpot_s().p99() * 1e3, 3),
        absl::StrCat(c.pareto_user ? "user" : "", c.pareto_user && c.pareto_chip ? "+" : "",
                     c.pareto_chip ? "chip" : "")};
    if (with_availability) {
      row.insert(row.begin() + 3, absl::StrFormat("%.5f%%", c.availability.availability * 100));
    }
    t.AddRow(row);
  }
  inv.out << absl::StrFormat("%s at %s output tok/s%s, SLO %s\n", base.model(),
                             base::WithCommas(std::llround(o.demand_tokens_per_s)), demand_note,
                             o.slo.name);
  if (with_availability) {
    inv.out << "with failures (cost availability's model): replicas = demand / (capacity x "
               "availability); $/hour includes each replica's spare cards and replacements\n";
  }
  if (any) {
    inv.out << t.Render();
    const auto& b = r.front();
    inv.out << absl::StrFormat(
        "cheapest: %d x (%s) at %.3g req/s each: $%.2f/hour, $%.4f/M tokens\n", b.replicas, b.label,
        b.max_rate_per_s, b.fleet_usd_per_hour, b.usd_per_million_tokens);
  }
  for (const auto& c : r) {
    if (c.feasible) inv.out << "limited " << c.label << ": " << BoundBy(c) << "\n";
  }
  for (const auto& c : r) {
    if (!c.feasible) inv.out << "rejected " << c.label << ": " << c.reason << "\n";
  }
  if (!any) return none_meets();
  return absl::OkStatus();
}

}  // namespace

void RegisterPlanCommands(Cli& cli) {
  cli.Add({.name = "plan",
           .summary = "The cheapest fleet of replicas meeting a demand at an SLO, with the "
                      "runners-up and why the rest fail.",
           .details = "For each candidate (--candidates CHIP[:CHIPS],...; CHIPS 0 = the smallest "
                      "count that fits, and --chip-multiples of it; crossed with --strategies, "
                      "--topologies, --draft-lens and --pools) the highest Poisson request rate "
                      "whose event-engine report "
                      "meets --slo is found by bisection (each probe --requests completed "
                      "requests, same --seed); candidates whose single user misses a TTFT/TPOT "
                      "bound analytically are rejected without a run. Fleet = enough replicas for "
                      "--demand output tok/s; cost from the report at that rate (owned hardware, "
                      "docs/assumptions.md §6). With --spares K (and the failure rates of `cost "
                      "availability`), each replica is sized and priced for failures: replicas = "
                      "demand / (capacity x availability), $/hour plus its K spare cards and "
                      "replacement cards. With --out-dir, plan.csv (one row per candidate) and "
                      "probes.csv (every probe of every rate search). Exit code 3 when no "
                      "candidate meets the SLO.",
           .flags = {"format",          "scenario",         "model",      "input_len",
                     "output_len",      "kv_dtype",         "draft_len",  "acceptance",
                     "topology",        "cards_per_server", "seed",       "slo",
                     "candidates",      "strategy",         "strategies", "topologies",
                     "draft_lens",      "chip_multiples",   "pools",      "demand",
                     "demand_requests", "requests",         "jobs",       "out_dir",
                     "spares",          "chip_fit",         "hbm_fit",    "card_fit",
                     "server_fit",      "link_fit",         "takeover_s", "card_replace_h",
                     "server_repair_h", "link_repair_h"},
           // --spares: 0 as plan.csv shows it when not given (cost
           // availability's default of 1 is not plan's).
           .flag_defaults = {{"requests", "200"}, {"out_dir", ""}, {"spares", "0"}},
           .flag_help = {{"spares",
                          "Spare cards per replica for the availability model; when given (0 = "
                          "failures without spares), candidates are sized for failures too. "
                          "Without it, no failures are modelled."},
                         {"out_dir",
                          "Folder for plan.csv (one row per candidate) and probes.csv (every "
                          "probe of every rate search), each written whole or not at all; empty = "
                          "none."},
                         {"demand", "Demand: output tokens per second the fleet must serve."}},
           .run = RunPlan});
}

}  // namespace etchsim::tools
