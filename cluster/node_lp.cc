#include "cluster/node_lp.h"

namespace etchsim::cluster {

NodeLp::NodeLp(const fabric::Topology& topo, int node, SimTime window_start)
    : topo_(topo), node_(node), window_start_(window_start) {
  port_of_link_.assign(topo.links().size(), -1);
  for (int li : topo.nodes()[node].out_links) PortFor(li);
}

NodeLp::Port& NodeLp::AddPort(int link) {
  port_of_link_[link] = static_cast<int>(ports_.size());
  ports_.push_back(Port{link, SimTime::Zero(), WorkStat(window_start_), 0});
  return ports_.back();
}

void NodeLp::Transmit(const Message& m, SimTime ready, Outbox& out) {
  const int li = topo_.NextLink(node_, m.dst);
  const fabric::Link& link = topo_.links()[li];
  Port& p = PortFor(li);
  const SimTime start = base::Max(ready, p.free);
  const SimTime end = start + link.Serialization(m.bytes);
  p.free = end;
  p.sent.Add(start, end, m.bytes);
  p.live_bytes += m.bytes;
  const SimTime at_next = end + link.latency;
  const fabric::Node& next = topo_.nodes()[link.to];
  if (link.to != m.dst && next.kind == fabric::NodeKind::kSwitch &&
      topo_.nodes()[m.dst].models_ingress) {
    const int last = topo_.NextLink(link.to, m.dst);
    if (topo_.links()[last].to == m.dst) {
      Message direct = m;
      direct.ingress = last;
      out.Send(m.dst, at_next + next.forward_latency, direct);
      return;
    }
  }
  Message hop = m;
  hop.ingress = -1;
  out.Send(link.to, at_next, hop);
}

SimTime NodeLp::Received(const Event& e) {
  if (e.msg.ingress < 0) return e.time;
  const fabric::Link& link = topo_.links()[e.msg.ingress];
  Port& p = PortFor(e.msg.ingress);
  const SimTime start = base::Max(e.time, p.free);
  const SimTime end = start + link.Serialization(e.msg.bytes);
  p.free = end;
  p.sent.Add(start, end, e.msg.bytes);
  p.live_bytes += e.msg.bytes;
  return end + link.latency;
}

void NodeLp::Compact(SimTime horizon) {
  for (Port& p : ports_) p.sent.Compact(horizon);
}

std::vector<LinkResult> NodeLp::FinalizeLinks(SimTime end) {
  std::vector<LinkResult> r;
  for (Port& p : ports_) {
    const WorkStat::Result s = p.sent.Finalize(end);
    r.push_back({p.link, s.busy_ps, s.amount, s.items});
  }
  return r;
}

std::vector<std::pair<int, int64_t>> NodeLp::LiveLinkBytes() const {
  std::vector<std::pair<int, int64_t>> r;
  for (const Port& p : ports_) r.emplace_back(p.link, p.live_bytes);
  return r;
}

SimTime NodeLp::MinDelayOut() const {
  return MinReaction() + topo_.MinLinkLatency(node_);
}


void SwitchLp::Handle(const Event& e, Outbox& out) {
  Transmit(e.msg, e.time + topo().nodes()[node()].forward_latency, out);
}

SimTime SwitchLp::MinReaction() const { return topo().nodes()[node()].forward_latency; }

}  // namespace etchsim::cluster
