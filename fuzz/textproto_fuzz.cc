// libFuzzer target: the text-proto readers (chip presets, link presets,
// scenarios). Every input goes through all three; each rejects what is
// not its own quickly, so one corpus seeded with every bundled file covers
// them together.
#include <cstddef>
#include <cstdint>
#include <string>

#include "chip/chip_spec.h"
#include "fabric/topology.h"
#include "google/protobuf/stubs/logging.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse noise, not findings
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto chip = etchsim::chip::ParseChipSpec(text, "fuzz.textproto");
  if (chip.ok()) (void)etchsim::chip::CapacityOf(*chip);
  (void)etchsim::fabric::ParseLinkSpec(text, "fuzz.textproto");
  auto scenario = etchsim::sim::ParseScenario(text, "fuzz.textproto");
  if (scenario.ok()) {
    etchsim::sim::ApplyDefaults(*scenario);
    (void)etchsim::sim::ValidateScenario(*scenario);
  }
  return 0;
}
