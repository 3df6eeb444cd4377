#include "cost/energy.h"

namespace etchsim::cost {

double DeviceEnergyJoules(const v1::ChipSpec& chip, int devices, double measured_s, double busy_s) {
  const double idle = chip.power().idle_watts();
  const double active = chip.power().active_watts();
  return devices * (idle * measured_s + (active - idle) * busy_s);
}

double ServerOverheadWatts(const v1::Scenario& s, const v1::ChipSpec& chip) {
  return s.cost().server_overhead_watts() > 0 ? s.cost().server_overhead_watts()
                                              : chip.power().server_overhead_watts();
}

double ItEnergyJoules(double device_energy_j, int servers, double server_overhead_watts,
                      double measured_s) {
  return device_energy_j + servers * server_overhead_watts * measured_s;
}

CostInputs CostInputsFor(const v1::Scenario& s, const v1::ChipSpec& chip, int devices,
                         int servers) {
  CostInputs ci;
  ci.devices = devices;
  ci.servers = servers;
  ci.device_price_usd =
      s.cost().card_price_usd() > 0 ? s.cost().card_price_usd() : chip.cost().card_price_usd();
  ci.server_price_usd = s.cost().server_price_usd() > 0 ? s.cost().server_price_usd()
                                                        : chip.cost().server_price_usd();
  ci.amortization_years = s.cost().amortization_years();
  ci.electricity_usd_per_kwh = s.cost().electricity_usd_per_kwh();
  ci.pue = s.cost().pue();
  return ci;
}

v1::Scenario OtherPoolCosts(const v1::Scenario& s) {
  v1::Scenario own;
  *own.mutable_cost() = s.cost();
  own.mutable_cost()->clear_card_price_usd();
  own.mutable_cost()->clear_server_price_usd();
  own.mutable_cost()->clear_server_overhead_watts();
  return own;
}

}  // namespace etchsim::cost
