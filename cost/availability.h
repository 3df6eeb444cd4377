// Availability planning: expected availability and yearly cost of a
// pipeline cluster from failure rates per chip, card, server and link and
// k spare cards (docs/assumptions.md §6.2, docs/capacity-planning.md).
//
// Model. The stages are in series (every request crosses every stage and
// every link on its route), so any failure stops the cluster. A chip or
// card failure costs `takeover_s` when a spare card is on hand, else the
// card's replacement time; a server failure moves its cards' stages to
// spares when `cards_per_server` of them are on hand, else waits for the
// server's repair; a link waits for its repair. Cards being replaced are
// an M/G/inf queue: their number is Poisson with mean
// (card failure rate x replacement time), which gives the chance that a
// spare is on hand. Availability is the steady state of alternating up
// and down periods, 1 / (1 + sum of rate x expected downtime).
#ifndef ETCHSIM_COST_AVAILABILITY_H_
#define ETCHSIM_COST_AVAILABILITY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace etchsim::cost {

// Failures per 10^9 device-hours (FIT); MTBF in hours = 10^9 / FIT.
struct FailureRates {
  double chip_fit = 0;
  double hbm_fit = 0;  // per chip with HBM (GPUs); 0 for hard-wired cards
  double card_fit = 0;
  double server_fit = 0;
  double link_fit = 0;
};

// Rates derived from Meta's Llama 3 405B pre-training (419 unexpected
// interruptions in 54 days on 16,384 H100s in 2,048 servers, by cause),
// with the HBM share removed: hard-wired cards hold weights in ROM and the
// KV cache in on-die SRAM. Derivation in docs/assumptions.md §6.2.
FailureRates HardwiredDefaultRates();
// The HBM3 share alone (72 of the 419), per GPU: add it for GPU clusters.
inline constexpr double kH100HbmFit = 3390.8;

struct AvailabilityInputs {
  int chips = 0;  // one chip per card
  int servers = 0;
  int cards_per_server = 0;
  int links = 0;   // physical (full-duplex) links
  int spares = 0;  // spare cards, in ceil(spares / cards_per_server) spare servers
  FailureRates rates;
  double takeover_s = 60;      // a spare card joins the pipeline
  double card_replace_h = 24;  // a failed card is replaced (pool refilled)
  double server_repair_h = 2;
  double link_repair_h = 4;
  // Cost (cost::CostInputsFor's prices; power at full load).
  double card_price_usd = 0;
  double server_price_usd = 0;
  double amortization_years = 3;
  double it_power_w = 0;          // the active cluster at full load
  double spare_idle_power_w = 0;  // each spare card, idle
  double server_overhead_w = 0;   // each (spare) server's host power
  double pue = 1.3;
  double electricity_usd_per_kwh = 0.10;
  double output_tokens_per_s = 0;  // while up
};

struct FailureClass {
  std::string name;  // chip | card | server | link
  int count = 0;
  double fit = 0;
  double failures_per_year = 0;
  double hours_per_failure = 0;  // expected downtime of one failure
  double downtime_h_per_year = 0;
};

struct AvailabilityResult {
  std::vector<FailureClass> classes;
  double failures_per_year = 0;
  double downtime_h_per_year = 0;
  double availability = 0;
  double p_spare_on_hand = 0;  // when a card fails
  int spare_servers = 0;
  double capex_usd_per_year = 0;
  double energy_usd_per_year = 0;
  double replacement_usd_per_year = 0;  // failed cards bought again
  double total_usd_per_year = 0;
  double delivered_tokens_per_year = 0;  // output rate x availability
  // 0 when nothing is delivered.
  double usd_per_million_tokens = 0;
};

// The cluster's counts (chips, servers, cards per server, links) come
// from a scenario, which holds at most 4,096 chips and so at most 8,193
// links (two-level with one card per server: each chip's card link, each
// server's spine link, the host's). Their bound only keeps every product
// (count x FIT x hours) finite and exact, far above any cluster.
inline constexpr int kMaxClusterCount = 1 << 20;
// Spare cards: at most a cluster's worth.
inline constexpr int kMaxSpares = 4096;

// InvalidArgument naming the field (and what it is made from) for a count,
// rate or time out of range.
absl::Status ValidateAvailabilityInputs(const AvailabilityInputs& in);

// REQUIRES: nothing; validates `in` first.
absl::StatusOr<AvailabilityResult> ComputeAvailability(const AvailabilityInputs& in);

}  // namespace etchsim::cost

#endif  // ETCHSIM_COST_AVAILABILITY_H_
