// libFuzzer target: what a chip process does with a message from a peer.
//
// The input is a serialized v1::Batch as it arrives on an Exchange stream
// to rank 2 (stage 1) of a 4-stage Llama 3.1 70B pipeline, from rank 1.
// It is checked exactly as ChipServer::Exchange checks it; a batch that
// passes is handed to that rank's ProcessExecutor and run, as SimNode
// does. Any crash, sanitizer report or hang here is a remote crash.
#include <cstddef>
#include <cstdint>
#include <memory>

#include "cluster/channels.h"
#include "cluster/pdes.h"
#include "cluster/scenario.h"
#include "cluster/simulation.h"
#include "proto/etchsim/v1/service.pb.h"
#include "rpc/batch_validate.h"
#include "rpc/wire.h"

namespace {

using namespace etchsim;

struct World {
  std::unique_ptr<cluster::Simulation> sim;
  cluster::ChannelPlan plan;
  rpc::PeerLimits limits;
};

const World& TheWorld() {
  static const World* w = [] {
    auto* world = new World;
    v1::Scenario s = cluster::DefaultScenario();
    s.set_model("llama-3.1-70b");
    s.set_chips(4);
    world->sim = std::move(cluster::Simulation::Build(s).value());
    world->plan = cluster::PlanChannels(*world->sim);
    world->limits = rpc::LimitsFor(*world->sim, 2);
    return world;
  }();
  return *w;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const World& w = TheWorld();
  v1::Batch b;
  if (!b.ParseFromArray(data, static_cast<int>(size))) return 0;
  if (!rpc::ValidateBatch(b, 1, w.limits).ok()) return 0;
  auto events = rpc::DecodeEvents(b.events());
  if (!events.ok()) return 0;
  std::vector<std::unique_ptr<cluster::Lp>> lps(w.sim->num_lps());
  for (cluster::LpId id : w.plan.LpsOf(2)) lps[id] = w.sim->MakeLp(id);
  cluster::ProcessExecutor exec(2, w.plan, std::move(lps), w.sim->EndTime());
  exec.Receive(1, base::SimTime::Picos(b.promise_ps()), *events);
  for (int i = 0; i < 4 && exec.error().empty(); ++i) (void)exec.Advance();
  return 0;
}
