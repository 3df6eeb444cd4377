// NodeLp: an LP that sits on a fabric node and transmits on the links that
// leave it. SwitchLp: a switch, which only forwards.
#ifndef ETCHSIM_SERVING_NODE_LP_H_
#define ETCHSIM_SERVING_NODE_LP_H_

#include <vector>

#include "fabric/topology.h"
#include "serving/faults.h"
#include "serving/message.h"
#include "serving/time_stats.h"

namespace etchsim::serving {

// Wire size of a message header (ids, positions, routing).
inline constexpr int kHeaderBytes = 64;

struct LinkResult {
  int link = 0;
  int64_t busy_ps = 0;
  int64_t bytes = 0;
  int64_t messages = 0;
};

class NodeLp : public Lp {
 public:
  NodeLp(const fabric::Topology& topo, int node, SimTime window_start);
  void Compact(SimTime horizon) override;
  std::vector<LinkResult> FinalizeLinks(SimTime end);
  // Bytes this node has put on (or received over) each link so far, not
  // clipped to the measurement window: for live metrics only.
  std::vector<std::pair<int, int64_t>> LiveLinkBytes() const;
  int node() const { return node_; }
  // The run's fault schedule; null (the default) = no faults.
  // REQUIRES: outlives the LP; set before the first event.
  void set_faults(const FaultPlan* faults) { faults_ = faults; }
  // Messages lost on dropped links (faults).
  int64_t dropped() const { return dropped_; }

 protected:
  // Sends `m` one hop toward m.dst, entering the link no earlier than
  // `ready`. Callers pass non-decreasing `ready` times per link.
  //
  // The receiver is fabric::Topology::NextReceiver's: a switch whose link
  // to the destination is the last hop is skipped as an event, and the
  // destination models that link's queue itself (Received), at the same
  // times the switch would have produced, with one event fewer per hop.
  void Transmit(const Message& m, SimTime ready, Outbox& out);
  // When a message addressed to this node actually arrives: after its
  // last link's queueing and serialisation, if the sender left those to
  // the receiver. Every handler takes arrival times from here.
  SimTime Received(const Event& e);
  // Least time between receiving a message and transmitting one.
  virtual SimTime MinReaction() const { return SimTime::Zero(); }
  const fabric::Topology& topo() const { return topo_; }
  const FaultPlan* faults() const { return faults_; }

 private:
  struct Port {
    int link;
    fabric::LinkQueue queue;
    WorkStat sent;  // busy intervals, bytes, messages
    int64_t live_bytes = 0;
  };
  // Queues `bytes` on `p` and records it; returns the far end's arrival.
  SimTime Enqueue(Port& p, SimTime ready, int32_t bytes);
  const fabric::Topology& topo_;
  int node_;
  Port& PortFor(int link) {
    const int p = port_of_link_[link];
    return p >= 0 ? ports_[p] : AddPort(link);
  }
  Port& AddPort(int link);
  std::vector<Port> ports_;        // links this node transmits on or receives
  std::vector<int> port_of_link_;  // global link id -> index in ports_ or -1
  SimTime window_start_;
  const FaultPlan* faults_ = nullptr;
  int64_t dropped_ = 0;
};

class SwitchLp : public NodeLp {
 public:
  using NodeLp::NodeLp;
  void Handle(const Event& e, Outbox& out) override;

 protected:
  SimTime MinReaction() const override;
};

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_NODE_LP_H_
