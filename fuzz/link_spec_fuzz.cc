// libFuzzer target: a LinkSpec file (a preset or topology.*_link FILE) from
// parse to a built topology. What parses and validates is written to a
// file and named as the chip-to-chip and card links of a small two-level
// cluster, which is built and estimated: bandwidth and latency become
// picoseconds per byte and hop delays there.
#include <cstddef>
#include <cstdint>
#include <fstream>
#include <string>

#include <unistd.h>

#include "fabric/topology.h"
#include "google/protobuf/stubs/logging.h"
#include "report/analytic.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace {
std::string path;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse noise, not findings
  path = "/tmp/link_spec_fuzz." + std::to_string(getpid()) + ".textproto";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto link = etchsim::fabric::ParseLinkSpec(text, "fuzz.textproto");
  if (!link.ok()) return 0;
  {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f << text;
  }
  etchsim::v1::Scenario s = etchsim::sim::DefaultScenario();
  s.set_model("qwen2.5-0.5b");
  s.set_chip("hc1");
  s.set_chips(4);
  s.set_max_requests(1);
  s.mutable_topology()->set_kind("two-level");
  s.mutable_topology()->set_cards_per_server(2);
  s.mutable_topology()->set_chip_link(path);
  s.mutable_topology()->set_card_link(path);
  auto sim = etchsim::sim::Simulation::Build(s);
  if (sim.ok()) (void)etchsim::report::Analyze(**sim);
  return 0;
}
