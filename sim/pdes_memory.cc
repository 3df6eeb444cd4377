#include "sim/pdes_memory.h"

#include <deque>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "serving/engine.h"
#include "sim/channels.h"
#include "sim/run_protocol.h"

namespace etchsim::sim {

absl::StatusOr<SimulationResult> RunPartitionedInMemory(const Simulation& sim, int stages_per_rank,
                                                        InMemoryStats* stats) {
  const serving::ChannelPlan plan = PlanChannels(sim, stages_per_rank);
  std::vector<std::unique_ptr<serving::ProcessExecutor>> ex;
  std::vector<std::unique_ptr<RunProtocol>> proto;
  for (int r = 0; r < plan.num_ranks; ++r) {
    std::vector<std::unique_ptr<serving::Lp>> lps(sim.num_lps());
    for (serving::LpId id : plan.LpsOf(r)) lps[id] = sim.MakeLp(id);
    ex.push_back(
        std::make_unique<serving::ProcessExecutor>(r, plan, std::move(lps), sim.EndTime()));
    proto.push_back(std::make_unique<RunProtocol>(*ex.back(), plan.num_ranks));
  }
  const RunControl start = proto[0]->Start(sim);
  for (int r = 1; r < plan.num_ranks; ++r) proto[r]->OnControl(start);
  struct Mail {
    int from;
    serving::OutBatch batch;
  };
  std::vector<std::deque<Mail>> mail(plan.num_ranks);
  std::deque<RunControl> control;  // coordinator -> every chip, in order
  InMemoryStats st;
  while (true) {
    for (int r = 0; r < plan.num_ranks; ++r) {
      while (!mail[r].empty()) {
        Mail& mm = mail[r].front();
        proto[r]->OnBatch(mm.from, mm.batch.promise, mm.batch.events);
        mail[r].pop_front();
      }
      if (r > 0) {
        for (const RunControl& c : control) proto[r]->OnControl(c);
      }
      RunProtocol::Step step = proto[r]->Advance(/*publish_gvt=*/true);
      for (serving::OutBatch& b : step.batches) {
        ++st.batches;
        if (b.events.empty()) ++st.null_batches;
        mail[b.to].push_back({r, std::move(b)});
      }
      if (step.broadcast) control.push_back(*step.broadcast);
      if (r > 0) proto[0]->OnStatus(r, proto[r]->Status());
      if (!ex[r]->error().empty()) {
        return absl::InternalError(absl::StrCat("rank ", r, ": ", ex[r]->error()));
      }
    }
    control.clear();  // rank 0 runs first in a round: every chip has seen it
    ++st.rounds;
    if (proto[0]->all_finished()) break;
    if (st.rounds > 50000000) return absl::InternalError("no termination after 5e7 rounds");
  }
  std::vector<std::unique_ptr<serving::Lp>> all(sim.num_lps());
  SimTime last = SimTime::Zero();
  for (int r = 0; r < plan.num_ranks; ++r) {
    for (serving::LpId id : plan.LpsOf(r)) all[id] = std::move(ex[r]->lps()[id]);
    st.events += static_cast<int64_t>(ex[r]->events_processed());
    last = base::Max(last, ex[r]->last_event_time());
  }
  SimTime end = ex[0]->stop_requested() ? ex[0]->stop_time() : sim.EndTime();
  if (end == SimTime::Max()) end = last;
  if (stats != nullptr) *stats = st;
  return sim.Collect(all, end, static_cast<uint64_t>(st.events));
}

}  // namespace etchsim::sim
