// RunProtocol: the control half of a conservative parallel run, beside the
// event exchange engine::ProcessExecutor does. Transport-independent: the gRPC
// processes (rpc::SimNode) and the in-memory test drive the same code.
//
//   coordinator (rank 0, hosts the host LP)        chips (ranks 1..N-1)
//   Start: seed the workload, broadcast end  ───>  OnControl: SetEnd
//   Advance: the host stopped → broadcast the
//            lowered end time                ───>  OnControl: SetEnd
//   OnStatus <─── chips' (lvt, finished, events)   Status()
//   GVT = min(own lvt, every chip's lvt);
//   broadcast when it moved                  ───>  OnControl: Compact(gvt)
//   all_finished: every rank processed every event before the end time.
//   Idle time: every status also carries the rank's earliest queued event
//   and its per-channel event counts. When each channel's sender has sent
//   as many events as its receiver has received, no event is in flight,
//   so nothing anywhere can happen before the earliest queued event: the
//   coordinator broadcasts it as a floor and every rank raises its input
//   clocks to it (engine::ProcessExecutor::RaiseClocks). Without this a quiet
//   stretch (a think time, a sparse arrival process) is crossed one
//   null-message round trip of lookahead at a time: ~0.06 virtual s per
//   wall second on loopback, where the in-process kernel jumps at once.
//
// Statistics older than the GVT are final and may be folded (Compact); the
// run ends when every rank is finished, at end() (the host's stop time, or
// the scenario's end).
#ifndef ETCHSIM_SIM_RUN_PROTOCOL_H_
#define ETCHSIM_SIM_RUN_PROTOCOL_H_

#include <map>
#include <optional>
#include <vector>

#include "serving/engine.h"
#include "sim/simulation.h"

namespace etchsim::sim {

using base::SimTime;

// Coordinator -> every chip. Any field may be unset.
struct RunControl {
  std::optional<SimTime> end;    // the run ends here (only ever lowered)
  std::optional<SimTime> gvt;    // statistics before this are final
  std::optional<SimTime> floor;  // no event anywhere is earlier (idle time)
};

// Chip -> coordinator.
struct RankStatus {
  SimTime lvt;  // lower bound on the rank's next event time
  bool finished = false;
  uint64_t events = 0;
  // Taken at one moment with the rest (false: not sent, keep the last):
  // the earliest queued event and engine::ProcessExecutor::events_sent/_received.
  bool has_counts = false;
  SimTime next_event = SimTime::Max();
  std::vector<uint64_t> sent, received;
};

class RunProtocol {
 public:
  // REQUIRES: `exec` outlives this object.
  RunProtocol(serving::ProcessExecutor& exec, int num_ranks);

  bool coordinator() const { return exec_.rank() == 0; }

  // Coordinator: seeds the workload's first events into the host LP and
  // returns the control to send every chip (the end time).
  // REQUIRES: coordinator(); called once, before Advance.
  RunControl Start(const Simulation& sim);
  // Chip: the coordinator's control.
  void OnControl(const RunControl& c);
  // Coordinator: a chip's status (statuses may arrive out of date; only
  // progress is kept).
  void OnStatus(int from, const RankStatus& s);
  // Events and a promise from rank `from`.
  void OnBatch(int from, SimTime promise, const std::vector<serving::Event>& events) {
    exec_.Receive(from, promise, events);
  }

  struct Step {
    std::vector<serving::OutBatch> batches;
    // Coordinator: control to send every chip, if any.
    std::optional<RunControl> broadcast;
  };
  // Processes every safe event. The coordinator's broadcast carries a
  // lowered end time whenever the host stopped the run, and, when
  // `publish_gvt` (callers rate-limit it: it bounds memory, feeds metrics
  // and skips idle time, never correctness), a GVT that moved and a floor
  // when the statuses show no event in flight.
  Step Advance(bool publish_gvt);

  // This rank's status, for the coordinator.
  RankStatus Status();
  // Coordinator: every rank has finished; the run is over.
  bool all_finished();
  // Coordinator: the unfinished chip with the lowest lvt (rank, lvt), or
  // rank -1 when all have finished.
  std::pair<int, SimTime> Slowest() const;
  // Coordinator: the global virtual time; chips: the last one received.
  SimTime gvt() const { return gvt_; }
  // Coordinator: events processed by every rank, as last reported.
  uint64_t total_events() const;
  SimTime end() const { return exec_.end(); }

 private:
  // Coordinator: the earliest queued event anywhere, if the latest
  // statuses and this rank's own counts show every channel empty.
  std::optional<SimTime> IdleFloor() const;

  serving::ProcessExecutor& exec_;
  std::map<int, RankStatus> chips_;  // coordinator: by rank
  // Coordinator, by index in plan().channels: the channel's position among
  // its sender's outputs and its receiver's inputs.
  std::vector<int> out_index_, in_index_;
  SimTime end_sent_ = SimTime::Max();
  SimTime gvt_;
  SimTime gvt_sent_;
  SimTime floor_sent_;
};

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_RUN_PROTOCOL_H_
