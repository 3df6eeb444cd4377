// Links and topologies: who is wired to whom, and the route a message
// takes between any two nodes.
//
// Nodes are the host, the chips (or roofline stages) and switches. Every
// link is full duplex: each direction is a separate Link with its own queue,
// owned by the node that transmits on it. A message of b bytes entering a
// link at time t leaves the sender at max(t, link free) + b / bandwidth and
// reaches the next node `latency` later (store-and-forward, as ns-3's
// point-to-point channel); a switch adds its switch latency before
// forwarding.
#ifndef ETCHSIM_FABRIC_TOPOLOGY_H_
#define ETCHSIM_FABRIC_TOPOLOGY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "base/sim_time.h"
#include "fabric/routes.h"
#include "proto/etchsim/v1/fabric.pb.h"

namespace etchsim::fabric {

using base::SimTime;

std::vector<std::string> LinkPresetNames();
absl::StatusOr<v1::LinkSpec> LoadLinkSpec(const std::string& name_or_path);
// Parses and validates LinkSpec text; errors carry `src` and the position.
absl::StatusOr<v1::LinkSpec> ParseLinkSpec(const std::string& text, const std::string& src);

// Fills the blanks of `spec` with the defaults, the one home of them: kind
// "two-level", cards_per_server 10 (an HC1-style server of 10 cards),
// links pcie5-x16 (card), eth-400g (server), serdes-d2d (chip to chip).
void ApplyTopologyDefaults(v1::TopologySpec& spec);

enum class NodeKind { kHost, kChip, kSwitch };

struct Node {
  NodeKind kind = NodeKind::kChip;
  int index = 0;            // chip index, or switch ordinal
  std::string name;         // "host", "chip7", "server0", "spine"
  SimTime forward_latency;  // added when a message passes through
  std::vector<int> out_links;
  // The node's LP models the queue of the switch link that reaches it, so
  // senders may skip that switch as an event (serving::NodeLp::Transmit).
  bool models_ingress = false;
};

struct Link {
  int from = 0;
  int to = 0;
  std::string name;         // "chip3->server0"
  double bytes_per_ps = 0;  // bandwidth
  double ps_per_byte = 0;   // its inverse, precomputed (hot path)
  SimTime latency;
  // Serialisation time of `bytes`, rounded up to whole picoseconds.
  SimTime Serialization(int64_t bytes) const {
    const double ps = static_cast<double>(bytes) * ps_per_byte;
    const int64_t whole = static_cast<int64_t>(ps);
    return SimTime::Picos(whole + (static_cast<double>(whole) < ps));
  }
};

// The FIFO queue of one link direction, the fabric's queueing law: a
// message of b bytes ready at t starts at max(t, free), occupies the link
// for b / bandwidth (rounded up to whole picoseconds) and reaches the far
// end `latency` after it has left.
class LinkQueue {
 public:
  struct Slot {
    SimTime start;    // enters the link
    SimTime end;      // has left the sender (the link is free again)
    SimTime arrival;  // reaches the far end
  };
  // REQUIRES: `link` is the same link on every call.
  Slot Enqueue(const Link& link, SimTime ready, int64_t bytes) {
    Slot s;
    s.start = base::Max(ready, free_);
    s.end = s.start + link.Serialization(bytes);
    s.arrival = s.end + link.latency;
    free_ = s.end;
    return s;
  }
  SimTime free() const { return free_; }

 private:
  SimTime free_;
};

// Who receives, as an event, a message that `from` sends toward `dst`.
struct NextHop {
  int link = -1;      // the link `from` transmits on
  int receiver = -1;  // the next node, or `dst` when the switch is skipped
  // When the switch after `link` is skipped: the switch's link to `dst`,
  // whose queue `dst` models on receipt; -1 otherwise.
  int ingress = -1;
  // Added on the way: the skipped switch's forwarding latency, else zero.
  SimTime forward_latency;
};

class Topology;

// A run with a second pool of another chip kind (cluster's prefill pool or
// attention group): its chips are the last ones, from `first_chip`, and
// sit in servers of their own of `cards_per_server` cards.
struct SecondPoolLayout {
  int first_chip = -1;  // -1: one pool
  int cards_per_server = 0;
};

// What a topology kind builds with: chips and switches after the host
// (node 0), and full-duplex links between them.
class TopologyBuilder {
 public:
  int AddChip(int index, SimTime forward_latency);  // named "chip<index>"
  int AddSwitch(int index, std::string name, SimTime forward_latency);
  void Connect(int a, int b, const v1::LinkSpec& link);
  void set_num_servers(int n);
  // The links form fabric's ring (Routes::ForRing); without this call
  // they must form a tree (Routes::ForTree).
  void RouteAsRing();
  int host() const { return 0; }
  int chip(int i) const { return 1 + i; }
  // Kinds with servers: the server of chip `i` of `n`, and how many
  // servers there are, `cps` cards each (a second pool after the first's
  // servers, in servers of its own).
  int ServerOf(int i, int cps) const;
  int Servers(int n, int cps) const;

 private:
  friend class Topology;
  TopologyBuilder(Topology& t, SecondPoolLayout second) : t_(t), second_(second) {}
  Topology& t_;
  SecondPoolLayout second_;
};

// A topology kind, looked up by name. Adding one is a function in
// fabric/topology_kinds.cc plus one line in its registry.
struct TopologyKind {
  absl::string_view name;
  absl::string_view summary;
  // Adds `num_chips` chips (in order, so chip i is node 1 + i), switches
  // and links. REQUIRES: num_chips >= 1; `spec` has its defaults applied.
  absl::Status (*build)(const v1::TopologySpec& spec, int num_chips, TopologyBuilder& b);
};
const std::vector<TopologyKind>& TopologyKinds();
const TopologyKind* FindTopologyKind(absl::string_view name);  // null if unknown
std::string TopologyKindNames();                               // "chain, ring, switch, two-level"
// FindTopologyKind, or InvalidArgument naming `name` and the known ones.
absl::StatusOr<const TopologyKind*> TopologyKindNamed(absl::string_view name);

class Topology {
 public:
  // `num_chips` chips (or stages), named by `spec`; ApplyTopologyDefaults
  // fills its blanks.
  static absl::StatusOr<Topology> Build(const v1::TopologySpec& spec, int num_chips,
                                        SecondPoolLayout second = {});

  const std::vector<Node>& nodes() const { return nodes_; }
  void set_models_ingress(int node, bool v) { nodes_[node].models_ingress = v; }
  const std::vector<Link>& links() const { return links_; }
  const v1::TopologySpec& spec() const { return spec_; }
  int host() const { return 0; }
  int chip(int i) const { return 1 + i; }
  int num_chips() const { return num_chips_; }
  int num_servers() const { return num_servers_; }

  // The link node `from` sends on to reach `to` (from != to): a shortest
  // route, computed from the topology's shape (fabric/routes.h).
  int NextLink(int from, int to) const { return routes_.NextLink(from, to); }
  // The one rule for which hop skips a switch: when the next node is a
  // switch whose link to `dst` is the last hop and `dst` models its
  // ingress, that switch is not an event (only messages for `dst` use that
  // link, so `dst` models its queue at the same times the switch would).
  // REQUIRES: from != dst.
  NextHop NextReceiver(int from, int dst) const;
  // Links on the route, in order.
  std::vector<int> Route(int from, int to) const;
  // Delivery time of `bytes` from `from` to `to` on an idle fabric.
  SimTime UncontendedDelay(int from, int to, int64_t bytes) const;

 private:
  int AddNode(NodeKind kind, int index, std::string name, SimTime fwd);
  void Connect(int a, int b, const v1::LinkSpec& spec);

  v1::TopologySpec spec_;
  int num_chips_ = 0;
  int num_servers_ = 1;
  std::vector<Node> nodes_;
  std::vector<Link> links_;
  bool ring_ = false;  // TopologyBuilder::RouteAsRing
  Routes routes_;

  friend class TopologyBuilder;
};

}  // namespace etchsim::fabric

#endif  // ETCHSIM_FABRIC_TOPOLOGY_H_
