#include "serving/node_lp.h"

#include <cmath>

namespace etchsim::serving {

NodeLp::NodeLp(const fabric::Topology& topo, int node, SimTime window_start)
    : topo_(topo), node_(node), window_start_(window_start) {
  port_of_link_.assign(topo.links().size(), -1);
  for (int li : topo.nodes()[node].out_links) PortFor(li);
}

NodeLp::Port& NodeLp::AddPort(int link) {
  port_of_link_[link] = static_cast<int>(ports_.size());
  ports_.push_back(Port{link, {}, WorkStat(window_start_), 0});
  return ports_.back();
}

void NodeLp::Transmit(const Message& m, SimTime ready, Outbox& out) {
  const fabric::NextHop hop = topo_.NextReceiver(node_, m.dst);
  if (faults_ != nullptr && (faults_->Link(hop.link, ready).down ||
                             (hop.ingress >= 0 && faults_->Link(hop.ingress, ready).down))) {
    ++dropped_;  // a dropped link loses what enters it
    return;
  }
  const SimTime at_next = Enqueue(PortFor(hop.link), ready, m.bytes);
  Message sent = m;
  sent.ingress = hop.ingress;
  out.Send(hop.receiver, at_next + hop.forward_latency, sent);
}

SimTime NodeLp::Received(const Event& e) {
  if (e.msg.ingress < 0) return e.time;
  return Enqueue(PortFor(e.msg.ingress), e.time, e.msg.bytes);
}

SimTime NodeLp::Enqueue(Port& p, SimTime ready, int32_t bytes) {
  const fabric::Link& link = topo_.links()[p.link];
  fabric::LinkQueue::Slot s;
  if (faults_ != nullptr && faults_->LinkAffected(p.link)) {
    // A degraded link: latency x k, bandwidth / k for what enters now.
    const FaultPlan::LinkState st = faults_->Link(p.link, ready);
    fabric::Link slow = link;
    slow.latency =
        SimTime::Picos(std::llround(static_cast<double>(link.latency.picos()) * st.latency_factor));
    slow.bytes_per_ps = link.bytes_per_ps / st.bandwidth_factor;
    slow.ps_per_byte = link.ps_per_byte * st.bandwidth_factor;
    s = p.queue.Enqueue(slow, ready, bytes);
  } else {
    s = p.queue.Enqueue(link, ready, bytes);
  }
  p.sent.Add(s.start, s.end, bytes);
  p.live_bytes += bytes;
  return s.arrival;
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

void SwitchLp::Handle(const Event& e, Outbox& out) {
  Transmit(e.msg, e.time + topo().nodes()[node()].forward_latency, out);
}

SimTime SwitchLp::MinReaction() const { return topo().nodes()[node()].forward_latency; }

}  // namespace etchsim::serving
