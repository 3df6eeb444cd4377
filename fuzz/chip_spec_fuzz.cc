// libFuzzer target: a ChipSpec file (a preset or --chip FILE) from parse to
// timing. What parses and validates must also size the chip and carry a
// small model through the simulation's construction and the analytic
// estimate without a crash, a hang or an absurd allocation: that is where
// a chip's numbers (clock, ROM bytes, bandwidths, overheads) are divided,
// rounded to picoseconds and multiplied by token counts.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chip/chip_spec.h"
#include "google/protobuf/stubs/logging.h"
#include "report/analytic.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse noise, not findings
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto chip = etchsim::chip::ParseChipSpec(text, "fuzz.textproto");
  if (!chip.ok()) return 0;
  (void)etchsim::chip::CapacityOf(*chip);
  etchsim::v1::Scenario s = etchsim::sim::DefaultScenario();
  s.set_model("qwen2.5-0.5b");
  s.set_chip(chip->name());
  s.set_chips(2);
  s.set_max_requests(1);
  auto sim = etchsim::sim::Simulation::Build(s, {.chip = &*chip});
  if (sim.ok()) (void)etchsim::report::Analyze(**sim);
  return 0;
}
