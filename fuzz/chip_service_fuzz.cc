// libFuzzer target: what a chip process does with a message from a peer.
//
// The input is a serialized v1::Batch as it arrives on an Exchange stream
// to rank 2 (stage 1) of a 4-stage Llama 3.1 70B pipeline, from rank 1.
// It is checked exactly as ChipServer::Exchange checks it; a batch that
// passes is handed to that rank's ProcessExecutor and run, as SimNode
// does. Any crash, sanitizer report or hang here is a remote crash.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "google/protobuf/stubs/logging.h"
#include "proto/etchsim/v1/service.pb.h"
#include "rpc/batch_validate.h"
#include "rpc/wire.h"
#include "serving/engine.h"
#include "sim/channels.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace {

using namespace etchsim;

struct World {
  std::unique_ptr<sim::Simulation> sim;
  serving::ChannelPlan plan;
  rpc::PeerLimits limits;
};

const World& TheWorld() {
  static const World* w = [] {
    auto* world = new World;
    v1::Scenario s = sim::DefaultScenario();
    s.set_model("llama-3.1-70b");
    s.set_chips(4);
    world->sim = std::move(sim::Simulation::Build(s).value());
    world->plan = sim::PlanChannels(*world->sim);
    world->limits = rpc::LimitsFor(*world->sim, 2);
    return world;
  }();
  return *w;
}

// Seeds: batches of well-formed records aimed at this rank's LPs, one per
// message kind that crosses processes, written by
//   ETCHSIM_FUZZ_WRITE_SEEDS=DIR chip_service_fuzz -runs=0
// (scripts/fuzz.sh does this), so the corpus follows the real LP layout.
void WriteSeeds(const char* dir) {
  const World& w = TheWorld();
  std::vector<serving::LpId> mine = w.plan.LpsOf(2), theirs = w.plan.LpsOf(1);
  int n = 0;
  for (serving::MsgType kind : {serving::MsgType::kWork, serving::MsgType::kDispatch,
                                serving::MsgType::kCombine, serving::MsgType::kTokenOut}) {
    for (serving::LpId target : mine) {
      std::vector<serving::Event> events;
      for (int k = 0; k < 3; ++k) {
        serving::Event e;
        e.time = base::SimTime::Nanos(100 * (k + 1));
        e.key = serving::MakeKey(theirs.front(), k + 1);
        e.target = target;
        e.msg.type = kind;
        e.msg.flags = k == 0 ? serving::kFlagPrefill : 0;
        e.msg.dst = target;
        e.msg.origin = theirs.front();
        e.msg.request = k;
        e.msg.count = 1 + k;
        e.msg.context = 64 * k;
        e.msg.remaining = 8;
        e.msg.bytes = 16384;
        events.push_back(e);
      }
      v1::Batch b;
      b.set_run_id("run-1");
      b.set_from_rank(1);
      b.set_promise_ps(base::SimTime::Micros(1).picos());
      rpc::EncodeEvents(events, b.mutable_events());
      std::ofstream(std::string(dir) + "/batch" + std::to_string(n++), std::ios::binary)
          << b.SerializeAsString();
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);  // parse noise, not findings
  if (const char* dir = std::getenv("ETCHSIM_FUZZ_WRITE_SEEDS")) WriteSeeds(dir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const World& w = TheWorld();
  v1::Batch b;
  if (!b.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!rpc::ValidateBatch(b, 1, w.limits).ok()) return 0;
  auto events = rpc::DecodeEvents(b.events());
  if (!events.ok()) return 0;
  std::vector<std::unique_ptr<serving::Lp>> lps(w.sim->num_lps());
  for (serving::LpId id : w.plan.LpsOf(2)) lps[id] = w.sim->MakeLp(id);
  serving::ProcessExecutor exec(2, w.plan, std::move(lps), w.sim->EndTime());
  exec.Receive(1, base::SimTime::Picos(b.promise_ps()), *events);
  for (int i = 0; i < 4 && exec.error().empty(); ++i) (void)exec.Advance();
  return 0;
}
