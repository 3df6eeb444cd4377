#include "cost/availability.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "cost/tco.h"

namespace etchsim::cost {
namespace {

// Meta, "The Llama 3 Herd of Models" (2024), §3.3.4 and Table 5: 419
// unexpected interruptions in a 54-day snapshot on 16,384 H100 GPUs (8 per
// server). Counts by the class they are charged to here.
constexpr double kGpuHours = 16384.0 * 54 * 24;
constexpr double kServerHours = 2048.0 * 54 * 24;
constexpr double kChipCount = 148 + 19 + 17 + 6;  // faulty GPU, SRAM, system processor, SDC
constexpr double kCardCount = 6;                  // thermal interface and sensor
constexpr double kServerCount =
    32 + 54 + 3 + 3 + 2 + 2 + 2 + 2 +
    2;  // host maintenance,
        // software bug, SSD, PSU, chassis, IO board, dependency, CPU, memory
constexpr double kLinkCount = 35 + 7 + 7;  // switch and cable, NIC, NCCL watchdog

absl::Status Check(absl::string_view field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi)) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, " must be a finite number in [", lo, ", ", hi, "], got ", v));
  }
  return absl::OkStatus();
}

// P(N <= k) for N ~ Poisson(mean); 0 for k < 0.
double PoissonCdf(int k, double mean) {
  if (k < 0) return 0;
  double term = std::exp(-mean), sum = term;
  for (int n = 1; n <= k; ++n) {
    term *= mean / n;
    sum += term;
  }
  return std::min(1.0, sum);
}

}  // namespace

FailureRates HardwiredDefaultRates() {
  FailureRates r;
  r.chip_fit = kChipCount / kGpuHours * 1e9;
  r.hbm_fit = 0;
  r.card_fit = kCardCount / kGpuHours * 1e9;
  r.server_fit = kServerCount / kServerHours * 1e9;
  r.link_fit = kLinkCount / kGpuHours * 1e9;
  return r;
}

absl::Status ValidateAvailabilityInputs(const AvailabilityInputs& in) {
  for (auto [field, v, lo, hi] :
       {std::tuple{"chips (the cluster's cards)", in.chips, 1, kMaxClusterCount},
        std::tuple{"servers (the topology's)", in.servers, 1, kMaxClusterCount},
        std::tuple{"cards_per_server (chips / servers, rounded up)", in.cards_per_server, 1,
                   kMaxClusterCount},
        std::tuple{"links (the topology's physical links)", in.links, 0, kMaxClusterCount},
        std::tuple{"--spares (spare cards, at most a cluster's worth)", in.spares, 0,
                   kMaxSpares}}) {
    if (v < lo || v > hi) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, " must be in [", lo, ", ", hi, "], got ", v));
    }
  }
  for (auto [field, v] :
       {std::pair{"--chip-fit", in.rates.chip_fit}, std::pair{"--hbm-fit", in.rates.hbm_fit},
        std::pair{"--card-fit", in.rates.card_fit}, std::pair{"--server-fit", in.rates.server_fit},
        std::pair{"--link-fit", in.rates.link_fit}}) {
    if (absl::Status s = Check(field, v, 0, 1e9); !s.ok()) return s;
  }
  for (auto [field, v, hi] :
       {std::tuple{"--takeover-s", in.takeover_s, 86400.0},
        std::tuple{"--card-replace-h", in.card_replace_h, kHoursPerYear},
        std::tuple{"--server-repair-h", in.server_repair_h, kHoursPerYear},
        std::tuple{"--link-repair-h", in.link_repair_h, kHoursPerYear},
        std::tuple{"card price", in.card_price_usd, 1e9},
        std::tuple{"server price", in.server_price_usd, 1e10},
        std::tuple{"amortization years", in.amortization_years, 100.0},
        std::tuple{"IT power", in.it_power_w, 1e10},
        std::tuple{"spare idle power", in.spare_idle_power_w, 1e7},
        std::tuple{"server overhead", in.server_overhead_w, 1e7}, std::tuple{"PUE", in.pue, 10.0},
        std::tuple{"electricity price", in.electricity_usd_per_kwh, 100.0},
        std::tuple{"output tokens/s", in.output_tokens_per_s, 1e12}}) {
    if (absl::Status s = Check(field, v, 0, hi); !s.ok()) return s;
  }
  if (!(in.amortization_years > 0)) {
    return absl::InvalidArgumentError("amortization years must be > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<AvailabilityResult> ComputeAvailability(const AvailabilityInputs& in) {
  if (absl::Status s = ValidateAvailabilityInputs(in); !s.ok()) return s;
  AvailabilityResult r;
  const double takeover_h = in.takeover_s / 3600;
  const double per_h = 1e-9;
  // Cards out for replacement: Poisson with mean (card failures/h x time).
  const double card_fit = in.rates.chip_fit + in.rates.hbm_fit + in.rates.card_fit;
  const double card_rate_h = in.chips * card_fit * per_h;
  const double in_repair = card_rate_h * in.card_replace_h;
  // A failed server's stages move when all its cards' worth of spares are in.
  const double p_server_covered = PoissonCdf(in.spares - in.cards_per_server, in_repair);
  auto add = [&](const std::string& name, int count, double fit, double hours) {
    FailureClass c;
    c.name = name;
    c.count = count;
    c.fit = fit;
    c.failures_per_year = count * fit * per_h * kHoursPerYear;
    c.hours_per_failure = hours;
    c.downtime_h_per_year = c.failures_per_year * hours;
    r.failures_per_year += c.failures_per_year;
    r.downtime_h_per_year += c.downtime_h_per_year;
    r.classes.push_back(c);
  };
  // A spare is on hand when fewer than k cards are out: P(N <= k - 1).
  r.p_spare_on_hand = in.spares > 0 ? PoissonCdf(in.spares - 1, in_repair) : 0;
  const double card_hours =
      r.p_spare_on_hand * takeover_h + (1 - r.p_spare_on_hand) * in.card_replace_h;
  add("chip", in.chips, in.rates.chip_fit + in.rates.hbm_fit, card_hours);
  add("card", in.chips, in.rates.card_fit, card_hours);
  add("server", in.servers, in.rates.server_fit,
      p_server_covered * takeover_h + (1 - p_server_covered) * in.server_repair_h);
  add("link", in.links, in.rates.link_fit, in.link_repair_h);
  // Alternating renewal: up for 1/lambda on average, then down for the
  // expected downtime of what failed.
  const double down_per_up_h = r.downtime_h_per_year / kHoursPerYear;
  r.availability = 1 / (1 + down_per_up_h);

  r.spare_servers = (in.spares + in.cards_per_server - 1) / in.cards_per_server;
  const double capex = (in.chips + in.spares) * in.card_price_usd +
                       (in.servers + r.spare_servers) * in.server_price_usd;
  r.capex_usd_per_year = capex / in.amortization_years;
  const double watts =
      in.it_power_w + in.spares * in.spare_idle_power_w + r.spare_servers * in.server_overhead_w;
  r.energy_usd_per_year = watts / 1000 * in.pue * in.electricity_usd_per_kwh * kHoursPerYear;
  // A failed hard-wired chip cannot be re-programmed: its card is bought again.
  r.replacement_usd_per_year =
      (r.classes[0].failures_per_year + r.classes[1].failures_per_year) * in.card_price_usd;
  r.total_usd_per_year = r.capex_usd_per_year + r.energy_usd_per_year + r.replacement_usd_per_year;
  r.delivered_tokens_per_year = in.output_tokens_per_s * r.availability * kHoursPerYear * 3600;
  r.usd_per_million_tokens = r.delivered_tokens_per_year > 0
                                 ? r.total_usd_per_year / r.delivered_tokens_per_year * 1e6
                                 : 0.0;
  return r;
}

}  // namespace etchsim::cost
