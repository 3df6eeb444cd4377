#include "fabric/topology.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/embedded.h"
#include "base/preset.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "fabric/link_validate.h"

namespace etchsim::fabric {

const std::vector<base::EmbeddedFile>& EmbeddedLinkPresets();

namespace {

const base::PresetSet& LinkPresets() {
  static const base::PresetSet set{&EmbeddedLinkPresets(), ".textproto", "link"};
  return set;
}

}  // namespace

absl::StatusOr<v1::LinkSpec> ParseLinkSpec(const std::string& text, const std::string& src) {
  ASSIGN_OR_RETURN(v1::LinkSpec spec, base::ParseTextProto<v1::LinkSpec>(text, src));
  RETURN_IF_ERROR(ValidateLinkSpec(spec, src));
  return spec;
}

std::vector<std::string> LinkPresetNames() { return base::PresetNames(LinkPresets()); }

absl::StatusOr<v1::LinkSpec> LoadLinkSpec(const std::string& name_or_path) {
  ASSIGN_OR_RETURN(base::PresetText p, base::ReadPreset(LinkPresets(), name_or_path));
  return ParseLinkSpec(p.text, p.source);
}

int TopologyBuilder::AddChip(int index, SimTime forward_latency) {
  return t_.AddNode(NodeKind::kChip, index, absl::StrCat("chip", index), forward_latency);
}

int TopologyBuilder::AddSwitch(int index, std::string name, SimTime forward_latency) {
  return t_.AddNode(NodeKind::kSwitch, index, std::move(name), forward_latency);
}

void TopologyBuilder::Connect(int a, int b, const v1::LinkSpec& link) { t_.Connect(a, b, link); }

void TopologyBuilder::set_num_servers(int n) { t_.num_servers_ = n; }

void TopologyBuilder::RouteAsRing() { t_.ring_ = true; }

int Topology::AddNode(NodeKind kind, int index, std::string name, SimTime fwd) {
  nodes_.push_back(Node{kind, index, std::move(name), fwd, {}});
  return static_cast<int>(nodes_.size() - 1);
}

void Topology::Connect(int a, int b, const v1::LinkSpec& spec) {
  for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
    Link l;
    l.from = x;
    l.to = y;
    l.name = absl::StrCat(nodes_[x].name, "->", nodes_[y].name);
    l.bytes_per_ps = spec.bandwidth_bytes_per_s() * 1e-12;
    l.ps_per_byte = 1.0 / l.bytes_per_ps;
    l.latency = SimTime::FromNanos(spec.latency_ns());
    nodes_[x].out_links.push_back(static_cast<int>(links_.size()));
    links_.push_back(l);
  }
}

void ApplyTopologyDefaults(v1::TopologySpec& s) {
  if (s.kind().empty()) s.set_kind("two-level");
  if (s.cards_per_server() == 0) s.set_cards_per_server(10);
  if (s.card_link().empty()) s.set_card_link("pcie5-x16");
  if (s.server_link().empty()) s.set_server_link("eth-400g");
  if (s.chip_link().empty()) s.set_chip_link("serdes-d2d");
}

int TopologyBuilder::ServerOf(int i, int cps) const {
  const int f = second_.first_chip;
  if (f < 0 || i < f) return i / cps;
  return (f + cps - 1) / cps + (i - f) / std::max(1, second_.cards_per_server);
}

int TopologyBuilder::Servers(int n, int cps) const { return ServerOf(n - 1, cps) + 1; }

absl::StatusOr<Topology> Topology::Build(const v1::TopologySpec& in, int num_chips,
                                         SecondPoolLayout second) {
  if (num_chips < 1) {
    return absl::InvalidArgumentError(absl::StrCat("topology needs >= 1 chip, got ", num_chips));
  }
  Topology t;
  t.spec_ = in;
  v1::TopologySpec& s = t.spec_;
  ApplyTopologyDefaults(s);
  if (s.cards_per_server() < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("topology.cards_per_server must be >= 1, got ", s.cards_per_server()));
  }
  t.num_chips_ = num_chips;
  t.AddNode(NodeKind::kHost, 0, "host", SimTime::Zero());
  ASSIGN_OR_RETURN(const TopologyKind* kind, TopologyKindNamed(s.kind()));
  if (second.first_chip >= 0 &&
      (second.first_chip < 1 || second.first_chip >= num_chips || second.cards_per_server < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("topology: a second pool from chip ", second.first_chip, " of ", num_chips,
                     " in servers of ", second.cards_per_server, " cards"));
  }
  TopologyBuilder builder(t, second);
  RETURN_IF_ERROR(kind->build(s, num_chips, builder));
  if (t.ring_) {
    ASSIGN_OR_RETURN(t.routes_, Routes::ForRing(num_chips, t.links_));
  } else {
    ASSIGN_OR_RETURN(t.routes_, Routes::ForTree(t.nodes_, t.links_));
  }
  return t;
}

NextHop Topology::NextReceiver(int from, int dst) const {
  NextHop h;
  h.link = NextLink(from, dst);
  const Link& link = links_[h.link];
  h.receiver = link.to;
  const Node& next = nodes_[link.to];
  if (link.to != dst && next.kind == NodeKind::kSwitch && nodes_[dst].models_ingress) {
    const int last = NextLink(link.to, dst);
    if (links_[last].to == dst) {
      h.receiver = dst;
      h.ingress = last;
      h.forward_latency = next.forward_latency;
    }
  }
  return h;
}

std::vector<int> Topology::Route(int from, int to) const {
  std::vector<int> r;
  while (from != to) {
    const int li = NextLink(from, to);
    r.push_back(li);
    from = links_[li].to;
  }
  return r;
}

SimTime Topology::UncontendedDelay(int from, int to, int64_t bytes) const {
  SimTime t = SimTime::Zero();
  int at = from;
  while (at != to) {
    if (at != from) t += nodes_[at].forward_latency;
    const Link& l = links_[NextLink(at, to)];
    t += l.Serialization(bytes) + l.latency;
    at = l.to;
  }
  return t;
}

}  // namespace etchsim::fabric
