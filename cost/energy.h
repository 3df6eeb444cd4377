// Energy and power of a cluster over a measured interval: the arithmetic
// the report's J/token, average power and electricity cost rest on.
//
// Power model (docs/assumptions.md): each device draws idle_watts all the
// time and adds (active_watts - idle_watts) while its bottleneck unit is
// busy; every server adds its overhead (host CPUs, NICs, fans) throughout.
#ifndef ETCHSIM_COST_ENERGY_H_
#define ETCHSIM_COST_ENERGY_H_

#include "cost/tco.h"
#include "proto/etchsim/v1/chip.pb.h"
#include "proto/etchsim/v1/scenario.pb.h"

namespace etchsim::cost {

// Joules drawn by `devices` devices of `chip` over `measured_s` seconds,
// busy `busy_s` of them.
// REQUIRES: 0 <= busy_s <= measured_s.
double DeviceEnergyJoules(const v1::ChipSpec& chip, int devices, double measured_s, double busy_s);

// Server overhead power: the scenario's override, else the chip's figure.
double ServerOverheadWatts(const v1::Scenario& s, const v1::ChipSpec& chip);

// IT energy: the devices' energy plus every server's overhead over
// `measured_s`.
double ItEnergyJoules(double device_energy_j, int servers, double server_overhead_watts,
                      double measured_s);

// Prices, amortisation and energy rates for a cluster of `devices` chips in
// `servers` servers: the scenario's cost block, falling back to the chip's
// list prices. Power and throughput are left for the caller.
CostInputs CostInputsFor(const v1::Scenario& s, const v1::ChipSpec& chip, int devices, int servers);

// `s` for a second pool of other chips (a disaggregated run's prefill
// pool): the rates every pool shares (amortisation, electricity, PUE),
// without the card price, server price and server power overrides, which
// describe the scenario's own chips. The pool takes its chip's figures.
v1::Scenario OtherPoolCosts(const v1::Scenario& s);

}  // namespace etchsim::cost

#endif  // ETCHSIM_COST_ENERGY_H_
