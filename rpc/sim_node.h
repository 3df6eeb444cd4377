// SimNode: one process's running share of a distributed simulation.
//
// It owns a serving::ProcessExecutor (the LPs this rank hosts) and the
// peers it exchanges batches with, and lives entirely on the process's
// io_context: readers post batches here, the node advances the executor
// and writes the resulting batches. Rank 0 (the coordinator) also tracks
// every chip's status, lowers the end time when the host stops the run,
// and broadcasts the global virtual time below which statistics are final.
#ifndef ETCHSIM_RPC_SIM_NODE_H_
#define ETCHSIM_RPC_SIM_NODE_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>  // Asio 1.81 awaitable.hpp uses std::exchange unincluded
#include <vector>

#include "boost/asio.hpp"
#include "rpc/peer.h"
#include "serving/engine.h"
#include "serving/host_lp.h"
#include "sim/channels.h"
#include "sim/run_protocol.h"
#include "sim/simulation.h"

namespace etchsim::rpc {

namespace asio = boost::asio;
using base::SimTime;

// Live figures for metrics and progress (not the report's clipped ones).
struct NodeSnapshot {
  SimTime lvt;
  SimTime gvt;
  SimTime end;
  uint64_t events = 0;
  size_t queue = 0;
  struct StageSample {
    int stage = 0;
    int64_t tokens = 0;   // tokens entered so far
    int64_t busy_ps = 0;  // entry occupancy so far
  };
  std::vector<StageSample> stages;  // the stage LPs this rank hosts
  int64_t kv_tokens = 0;            // host LP: context tokens held
  int64_t completed = 0;            // host LP: requests completed
  int64_t output_tokens = 0;        // host LP: output tokens delivered
  int64_t in_flight = 0;            // host LP: requests admitted, not complete
  struct LinkSample {
    std::string name, from, to;  // "chip3->server0", "chip3", "server0"
    int64_t bytes = 0;           // sent so far (not clipped to the window)
    double bytes_per_s = 0;      // bandwidth of this direction
  };
  std::vector<LinkSample> links;
  // Host LP (coordinator): the measured results so far. Points into the
  // node; valid only until the node runs again, so read it in the same io
  // handler that took the snapshot. Null on ranks without the host.
  const serving::HostResult* host = nullptr;
  uint64_t batches_sent = 0, batches_received = 0;
};

// A rank's status on a batch to the coordinator, and back (the counts only
// when the status has them).
void SetStatus(const sim::RankStatus& s, v1::Batch& b);
sim::RankStatus StatusOf(const v1::Batch& b);

// What a person calls rank `rank`: "the coordinator", "chip 3" (one chip
// per process) or "chips 10-19" (a process hosting several).
std::string NameOfRank(const serving::ChannelPlan& plan, const sim::Simulation& sim, int rank);

class SimNode {
 public:
  // `stages_per_rank`: K consecutive stages per chip process (ChannelPlan).
  SimNode(asio::io_context& io, std::shared_ptr<const sim::Simulation> sim, int rank,
          std::string run_id, int stages_per_rank = 1);

  // Everything below runs on the io_context thread.
  int rank() const { return rank_; }
  const serving::ChannelPlan& plan() const { return plan_; }
  const std::string& run_id() const { return run_id_; }
  // Ranks this node must have a stream with before the run can start.
  const std::set<int>& expected_peers() const { return expected_; }
  void AddPeer(std::shared_ptr<Peer> peer);
  bool ready() const;
  void OnBatch(std::shared_ptr<v1::Batch> b);
  void OnPeerClosed(int rank, const grpc::Status& s);
  // Starts the run (rank 0: injects the workload and signals the chips).
  void Go();
  // Fails the run: tells every peer, then on_failure. `lost_rank` >= 0 says
  // the failure is `reporter`'s loss of its stream to that rank (reporter
  // -1: this rank).
  void Fail(const std::string& why, int lost_rank = -1, int reporter = -1);
  // The run is over (stats collected): closed streams are no longer errors.
  void Quiesce() { done_ = true; }

  bool finished() { return exec_.Finished(); }
  bool failed() const { return failed_; }
  SimTime end() const { return exec_.end(); }
  SimTime gvt() const { return protocol_.gvt(); }
  NodeSnapshot Snapshot();
  // Finalises this rank's LPs clipped at `end` (after everyone finished).
  std::vector<sim::LpResult> Finalize(SimTime end);
  serving::ProcessExecutor& executor() { return exec_; }
  std::vector<std::shared_ptr<Peer>> peers() const;

  // Rank 0: the unfinished chip with the lowest lvt (rank, lvt).
  std::pair<int, SimTime> slowest() const { return protocol_.Slowest(); }
  // Coordinator: events processed by every process, as last reported (the
  // chips report theirs with each status).
  uint64_t total_events() const { return protocol_.total_events(); }

  std::function<void()> on_ready;         // all expected peers attached
  std::function<void()> on_all_finished;  // rank 0: run complete
  std::function<void(const std::string&)> on_failure;
  // Rank 0: a chip reports that it lost its stream to another chip
  // (reporter, lost rank, its message). When set, the run is not failed
  // here: the callee finds out whether the lost chip still answers (a dead
  // chip, or a network cut between two live ones) and calls Fail.
  std::function<void(int, int, const std::string&)> on_peer_loss_report;

 private:
  void MaybeGo();  // rank 0: start once every chip and stream is ready
  void SchedulePump();
  void Pump();
  void SendStatus(bool force);
  void Broadcast(const sim::RunControl& c);
  void Write(int rank, const v1::Batch& b);
  std::string Describe(int rank) const;

  asio::io_context& io_;
  std::shared_ptr<const sim::Simulation> sim_;
  serving::ChannelPlan plan_;
  int rank_;
  std::string run_id_;
  serving::ProcessExecutor exec_;
  sim::RunProtocol protocol_;
  std::set<int> expected_;
  std::map<int, std::shared_ptr<Peer>> peers_;
  bool started_ = false;
  bool pump_scheduled_ = false;
  bool failed_ = false;
  bool done_ = false;
  bool loss_reported_ = false;  // rank 0: a peer-loss report is being checked
  // Rank 0: chips that said hello.
  std::set<int> ready_chips_;
  // Chips.
  SimTime lvt_sent_;
  bool finished_sent_ = false;
  std::chrono::steady_clock::time_point last_status_;
  uint64_t batches_sent_ = 0, batches_received_ = 0;
};

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_SIM_NODE_H_
