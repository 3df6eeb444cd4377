// etchsim cost availability: expected availability and yearly cost of a
// cluster from component failure rates and k spare cards
// (cost/availability.h).
#include <cmath>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "cost/availability.h"
#include "cost/energy.h"
#include "plan/planner.h"
#include "report/analytic.h"
#include "silicon/reference.h"
#include "sim/simulation.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/scenario_flags.h"

ABSL_FLAG(int32_t, spares, 1, "Spare cards on hand (kept in spare servers).");
ABSL_FLAG(double, chip_fit, etchsim::cost::HardwiredDefaultRates().chip_fit,
          "Chip failures per 10^9 chip-hours (FIT; MTBF h = 1e9 / FIT). Default: Llama 3's "
          "GPU-die interruptions (docs/assumptions.md §6.2).");
ABSL_FLAG(double, hbm_fit, 0,
          "HBM failures per 10^9 chip-hours: 0 for hard-wired cards, 3390.8 for H100-like "
          "GPUs.");
ABSL_FLAG(double, card_fit, etchsim::cost::HardwiredDefaultRates().card_fit,
          "Card (board, thermal, sensor) failures per 10^9 card-hours.");
ABSL_FLAG(double, server_fit, etchsim::cost::HardwiredDefaultRates().server_fit,
          "Server (host, software, power, storage) failures per 10^9 server-hours.");
ABSL_FLAG(double, link_fit, etchsim::cost::HardwiredDefaultRates().link_fit,
          "Link (cable, switch port, NIC) failures per 10^9 link-hours.");
ABSL_FLAG(double, takeover_s, 60, "Seconds for a spare card to take a failed card's stage.");
ABSL_FLAG(double, card_replace_h, 24, "Hours to replace a failed card (refill the spare pool).");
ABSL_FLAG(double, server_repair_h, 2, "Hours to bring a failed server back.");
ABSL_FLAG(double, link_repair_h, 4, "Hours to repair a failed link.");

namespace etchsim::tools {

absl::StatusOr<cost::AvailabilityInputs> AvailabilityInputsFor(const v1::Scenario& s) {
  ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(s));
  const sim::SimulationResult r = sim->Skeleton();
  if (r.second_pool) {
    return absl::InvalidArgumentError(
        "availability: a scenario with two pools (disaggregation or attention_ffn) is not "
        "modelled: "
        "spares and failure rates are per chip kind; run it on each pool's scenario");
  }
  const report::AnalyticEstimate a = report::Analyze(*sim);
  const cost::CostInputs ci = cost::CostInputsFor(r.scenario, r.chip, r.num_devices, r.num_servers);
  cost::AvailabilityInputs in;
  in.chips = r.num_devices;
  in.servers = r.num_servers;
  in.cards_per_server = (r.num_devices + r.num_servers - 1) / r.num_servers;
  in.links = static_cast<int>(sim->topology().links().size() / 2);
  in.spares = absl::GetFlag(FLAGS_spares);
  in.rates = {.chip_fit = absl::GetFlag(FLAGS_chip_fit),
              .hbm_fit = absl::GetFlag(FLAGS_hbm_fit),
              .card_fit = absl::GetFlag(FLAGS_card_fit),
              .server_fit = absl::GetFlag(FLAGS_server_fit),
              .link_fit = absl::GetFlag(FLAGS_link_fit)};
  in.takeover_s = absl::GetFlag(FLAGS_takeover_s);
  in.card_replace_h = absl::GetFlag(FLAGS_card_replace_h);
  in.server_repair_h = absl::GetFlag(FLAGS_server_repair_h);
  in.link_repair_h = absl::GetFlag(FLAGS_link_repair_h);
  in.card_price_usd = ci.device_price_usd;
  in.server_price_usd = ci.server_price_usd;
  in.amortization_years = ci.amortization_years;
  // Full load, as `cost breakeven` prices a replica: every device busy.
  in.server_overhead_w = cost::ServerOverheadWatts(r.scenario, r.chip);
  in.it_power_w = cost::ItEnergyJoules(cost::DeviceEnergyJoules(r.chip, r.num_devices, 1.0, 1.0),
                                       r.num_servers, in.server_overhead_w, 1.0);
  in.spare_idle_power_w = cost::DeviceEnergyJoules(r.chip, 1, 1.0, 0.0);
  in.pue = ci.pue;
  in.electricity_usd_per_kwh = ci.electricity_usd_per_kwh;
  in.output_tokens_per_s = a.peak_output_tokens_per_s;
  return in;
}

absl::StatusOr<plan::ReplicaAvailability> ReplicaAvailabilityFor(const v1::Scenario& s,
                                                                 bool hbm_fit_given) {
  ASSIGN_OR_RETURN(cost::AvailabilityInputs in, AvailabilityInputsFor(s));
  // A plan mixes kinds: GPU candidates carry HBM failures (the H100 rate,
  // docs/assumptions.md §6.2) unless --hbm-fit says otherwise.
  ASSIGN_OR_RETURN(const v1::ChipSpec chip, silicon::LoadChip(s.chip()));
  if (chip.kind() == v1::ChipSpec::ROOFLINE && !hbm_fit_given) {
    in.rates.hbm_fit = cost::kH100HbmFit;
  }
  ASSIGN_OR_RETURN(const cost::AvailabilityResult with, cost::ComputeAvailability(in));
  const int spares = in.spares;
  in.spares = 0;
  ASSIGN_OR_RETURN(const cost::AvailabilityResult without, cost::ComputeAvailability(in));
  // What availability adds to a replica's hourly cost: its spare cards
  // and servers (capex and idle power) and the failed cards bought again.
  constexpr double kHoursPerYear = 8766;
  plan::ReplicaAvailability out;
  out.availability = with.availability;
  out.spares = spares;
  out.extra_usd_per_hour =
      (with.total_usd_per_year - without.total_usd_per_year + with.replacement_usd_per_year) /
      kHoursPerYear;
  return out;
}

namespace {

std::string Money(double v) { return absl::StrCat("$", base::WithCommas(std::llround(v))); }

absl::Status RunAvailability(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(v1::Scenario s, ScenarioFromFlags(inv));
  ASSIGN_OR_RETURN(cost::AvailabilityInputs in, AvailabilityInputsFor(s));
  ASSIGN_OR_RETURN(cost::AvailabilityResult r, cost::ComputeAvailability(in));
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["model"] = s.model();
    j["chips"] = in.chips;
    j["servers"] = in.servers;
    j["links"] = in.links;
    j["spares"] = in.spares;
    for (const cost::FailureClass& c : r.classes) {
      j["classes"].push_back({{"name", c.name},
                              {"count", c.count},
                              {"fit", c.fit},
                              {"failures_per_year", c.failures_per_year},
                              {"hours_per_failure", c.hours_per_failure},
                              {"downtime_h_per_year", c.downtime_h_per_year}});
    }
    j["failures_per_year"] = r.failures_per_year;
    j["downtime_h_per_year"] = r.downtime_h_per_year;
    j["availability"] = r.availability;
    j["p_spare_on_hand"] = r.p_spare_on_hand;
    j["spare_servers"] = r.spare_servers;
    j["capex_usd_per_year"] = r.capex_usd_per_year;
    j["energy_usd_per_year"] = r.energy_usd_per_year;
    j["replacement_usd_per_year"] = r.replacement_usd_per_year;
    j["total_usd_per_year"] = r.total_usd_per_year;
    j["output_tokens_per_s"] = in.output_tokens_per_s;
    j["usd_per_million_tokens"] = r.usd_per_million_tokens;
    inv.out << j.dump(2) << "\n";
    return absl::OkStatus();
  }
  inv.out << absl::StrFormat(
      "%s on %d x %s in %d servers, %d links, %d spare card%s: expected over a year\n", s.model(),
      in.chips, s.chip(), in.servers, in.links, in.spares, in.spares == 1 ? "" : "s");
  base::TextTable t(
      {"class", "count", "FIT each", "MTBF each h", "failures/yr", "h down each", "h down/yr"},
      {base::TextTable::Align::kLeft});
  for (const cost::FailureClass& c : r.classes) {
    t.AddRow({c.name, absl::StrCat(c.count), base::Fixed(c.fit, 0),
              c.fit > 0 ? base::WithCommas(std::llround(1e9 / c.fit)) : "-",
              base::Fixed(c.failures_per_year, 3), base::Fixed(c.hours_per_failure, 3),
              base::Fixed(c.downtime_h_per_year, 3)});
  }
  inv.out << t.Render();
  inv.out << absl::StrFormat(
      "availability %.5f%% (%.2f h down a year over %.2f failures); a spare on hand "
      "%.3f%% of the time\n",
      r.availability * 100, r.downtime_h_per_year, r.failures_per_year, r.p_spare_on_hand * 100);
  inv.out << absl::StrFormat(
      "cost a year: %s hardware (incl. %d spare card%s, %d spare server%s) + %s energy + %s "
      "replacement cards = %s\n",
      Money(r.capex_usd_per_year), in.spares, in.spares == 1 ? "" : "s", r.spare_servers,
      r.spare_servers == 1 ? "" : "s", Money(r.energy_usd_per_year),
      Money(r.replacement_usd_per_year), Money(r.total_usd_per_year));
  inv.out << absl::StrFormat(
      "at the analytic peak of %s output tok/s while up: $%.4f per million delivered tokens\n",
      base::WithCommas(std::llround(in.output_tokens_per_s)), r.usd_per_million_tokens);
  return absl::OkStatus();
}

}  // namespace

void RegisterAvailabilityCommands(Cli& cli) {
  cli.Add(
      {.name = "cost availability",
       .summary = "Expected availability and yearly cost of a cluster from failure rates "
                  "per chip, card, server and link, with k spare cards.",
       .details = "The cluster is the scenario (--model, --chip, --chips, topology). Stages "
                  "are in series, so any failure stops it: a chip or card costs --takeover-s "
                  "when a spare is on hand, else --card-replace-h; a server moves to spares "
                  "when a server's worth are on hand, else --server-repair-h; a link "
                  "--link-repair-h. Defaults: rates from Meta's Llama 3 fleet without its "
                  "HBM share (docs/assumptions.md §6.2).",
       .flags = {"model",     "chip",       "chips",          "topology",        "cards_per_server",
                 "input_len", "output_len", "kv_dtype",       "scenario",        "format",
                 "spares",    "chip_fit",   "hbm_fit",        "card_fit",        "server_fit",
                 "link_fit",  "takeover_s", "card_replace_h", "server_repair_h", "link_repair_h"},
       .flag_defaults = {{"chips", "30"}},
       .run = RunAvailability});
}

}  // namespace etchsim::tools
