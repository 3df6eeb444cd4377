#include "sim/channels.h"

#include <functional>
#include <map>
#include <queue>
#include <set>

#include "serving/node_lp.h"

namespace etchsim::sim {
namespace {

// The LP that receives the event when `from` sends toward `dst`, and the
// least delay of that hop (a header's serialisation and the link latency,
// plus the switch's forwarding when the switch is skipped), by the same
// rule serving::NodeLp::Transmit follows. Always > 0, which keeps every cycle's
// lookahead > 0.
std::pair<serving::LpId, SimTime> FirstHop(const fabric::Topology& t, serving::LpId from,
                                           serving::LpId dst) {
  const fabric::NextHop hop = t.NextReceiver(from, dst);
  const fabric::Link& link = t.links()[hop.link];
  return {hop.receiver,
          link.Serialization(serving::kHeaderBytes) + link.latency + hop.forward_latency};
}

using Graph = std::vector<std::vector<std::pair<serving::LpId, SimTime>>>;  // edges and weights

// Shortest paths over `graph` from the LPs whose distance in `dist` is not
// Max (their starting distances), into `dist` (Dijkstra; weights >= 0).
void Relax(const Graph& graph, std::vector<SimTime>& dist) {
  using Item = std::pair<SimTime, serving::LpId>;
  std::priority_queue<Item, std::vector<Item>, std::greater<Item>> frontier;
  for (serving::LpId id = 0; id < static_cast<serving::LpId>(dist.size()); ++id) {
    if (dist[id] != SimTime::Max()) frontier.push({dist[id], id});
  }
  while (!frontier.empty()) {
    const auto [d, id] = frontier.top();
    frontier.pop();
    if (d > dist[id]) continue;
    for (const auto& [next, w] : graph[id]) {
      const SimTime nd = d.SaturatingAdd(w);
      if (nd < dist[next]) {
        dist[next] = nd;
        frontier.push({nd, next});
      }
    }
  }
}

}  // namespace

int NumRanks(int stages, int stages_per_rank) {
  return 1 + (stages + stages_per_rank - 1) / stages_per_rank;
}

serving::ChannelPlan PlanChannels(const Simulation& sim, int stages_per_rank) {
  const fabric::Topology& t = sim.topology();
  const int n = sim.num_lps();
  serving::ChannelPlan plan;
  plan.num_ranks = NumRanks(sim.num_stages(), stages_per_rank);
  plan.rank_of_lp.assign(n, 0);
  for (int s = 0; s < sim.num_stages(); ++s) {
    plan.rank_of_lp[sim.stage_lp(s)] = RankOfStage(s, stages_per_rank);
  }

  // Least time between an LP receiving anything and sending a message it
  // originates (its own work: the host's overhead, a stage's compute), and
  // between receiving a message in transit and forwarding it. A chip in a
  // chain forwards others' messages quickly, but its own output always
  // takes at least one segment of compute; keeping the two apart keeps the
  // lookahead on a pipeline channel at the stage's compute time.
  std::vector<SimTime> originate(n, SimTime::Zero()), forward(n, SimTime::Zero());
  for (serving::LpId id = 0; id < n; ++id) {
    const fabric::Node& node = t.nodes()[id];
    forward[id] = node.forward_latency;
    if (node.kind == fabric::NodeKind::kHost) {
      originate[id] = SimTime::FromNanos(sim.scenario().host_overhead_ns());
    } else if (node.kind == fabric::NodeKind::kSwitch) {
      originate[id] = node.forward_latency;
    } else {
      originate[id] = sim.stage_model(node.index).MinReaction();
    }
  }

  // Every (origin, final destination) pair a run can produce.
  std::set<std::pair<serving::LpId, serving::LpId>> flows;
  const serving::LpId host = t.host();
  const int stages = sim.num_stages();
  // Prompts enter the prefill pool (or the only pool); each pool is a
  // pipeline; decode steps loop from the decode pool's last stage to its
  // first; a prefill pool's last stage sends tokens to the host, the first
  // decode step to the decode pool's first stage and KV to its stages.
  flows.insert({host, sim.stage_lp(sim.prefill_begin())});
  const int decode = sim.decode_stages();
  if (sim.attention_ffn()) {
    // The attention group sends tokens to the host and each layer's
    // activations to its FFN chip, which sends them back.
    const serving::LpId group = sim.stage_lp(decode);
    flows.insert({group, host});
    for (const serving::LpId ffn : sim.constants().ffn_lps) {
      flows.insert({group, ffn});
      flows.insert({ffn, group});
    }
  }
  for (int s = 0; s < stages && !sim.attention_ffn(); ++s) {
    const serving::LpId lp = sim.stage_lp(s);
    const int end = s < decode ? decode : stages;
    if (s + 1 < end) {
      flows.insert({lp, sim.stage_lp(s + 1)});
      continue;
    }
    flows.insert({lp, host});
    if (lp != sim.stage_lp(0)) flows.insert({lp, sim.stage_lp(0)});
    if (s >= decode) {
      for (int d = 0; d < decode; ++d) {
        if (sim.HoldsDecodeKv(d)) flows.insert({lp, sim.stage_lp(d)});
      }
    }
  }
  for (int s = 0; s < stages; ++s) {
    // Each pool's dispatches go from a layer's home to its holders there.
    if (s != 0 && s != decode) continue;
    const int end = s == 0 ? decode : stages;
    for (const auto& [layer, holders] : sim.experts_of(s).layers) {
      serving::LpId home = -1;
      for (int h = s; h < end; ++h) {
        for (const v1::LayerSlice& sl : sim.shard(h).layers()) {
          if (sl.layer() == layer && sl.core()) home = sim.stage_lp(h);
        }
      }
      for (const serving::ExpertHolder& x : holders) {
        if (x.lp == home || home < 0) continue;
        flows.insert({home, x.lp});  // dispatch
        flows.insert({x.lp, home});  // combine
      }
    }
  }
  // Follow every flow hop by hop. A hop between ranks is a channel; a hop
  // inside a rank is an edge of that rank's internal graph, weighted by the
  // least time from the sender receiving a message to the receiver
  // receiving the next (its reaction in that role plus the hop's delay).
  struct Crossing {
    serving::LpId at, next;
    SimTime reaction, delay;
    int to;
  };
  std::vector<Crossing> crossings;
  Graph internal(n);                              // reaction + delay
  Graph internal_delay(n);                        // delay alone
  std::vector<SimTime> reach(n, SimTime::Max());  // 0 where messages enter a rank
  for (auto [origin, dst] : flows) {
    serving::LpId at = origin;
    while (at != dst) {
      const auto [next, delay] = FirstHop(t, at, dst);
      const SimTime reaction = at == origin ? originate[at] : forward[at];
      const int from = plan.rank_of_lp[at], to = plan.rank_of_lp[next];
      if (from != to) {
        crossings.push_back({at, next, reaction, delay, to});
        reach[next] = SimTime::Zero();
      } else {
        internal[at].push_back({next, reaction + delay});
        internal_delay[at].push_back({next, delay});
      }
      at = next;
    }
  }
  // Inside a rank, a message from another rank needs at least the shortest
  // internal path from where it enters to the LP that sends on a channel:
  // with K chips of a pipeline in one process, a token entering at the
  // first chip leaves only after all K have computed, so the channel's
  // lookahead is K segments rather than one (what events already queued
  // may send is bounded by the queue head, not by this). Shortest paths
  // from every entry LP at once.
  Relax(internal, reach);
  // Each channel's lookahead is the least over the hops that use it.
  std::map<std::pair<int, int>, serving::Channel> edges;
  for (const Crossing& c : crossings) {
    const int from = plan.rank_of_lp[c.at];
    // An LP no message from another rank can reach sends only what its own
    // queued events cause: the queue head bounds that (reaction = Max).
    const SimTime reaction = reach[c.at].SaturatingAdd(c.reaction);
    auto [it, inserted] =
        edges.emplace(std::make_pair(from, c.to), serving::Channel{from, c.to, reaction, c.delay});
    if (!inserted) {
      it->second.reaction = base::Min(it->second.reaction, reaction);
      it->second.hop_delay = base::Min(it->second.hop_delay, c.delay);
    }
  }
  // Where each channel's messages can lead inside the receiving rank, and
  // which events of the sending rank can lead to it, how soon.
  Graph reverse(n);  // z <- x, reaction + delay
  for (serving::LpId x = 0; x < n; ++x) {
    for (const auto& [z, w] : internal[x]) reverse[z].push_back({x, w});
  }
  for (auto& [ft, c] : edges) {
    c.reach.assign(n, SimTime::Max());
    // g[x]: least time from x receiving a message to a message on c.
    std::vector<SimTime> g(n, SimTime::Max());
    for (const Crossing& x : crossings) {
      if (plan.rank_of_lp[x.at] != ft.first || x.to != ft.second) continue;
      c.reach[x.next] = SimTime::Zero();
      g[x.at] = base::Min(g[x.at], x.reaction);
    }
    Relax(internal, c.reach);
    Relax(reverse, g);
    // An event firing at y (a timer: no reaction needed) sends on c at
    // once if y is a sender, else first reaches a neighbour inside the rank.
    c.lead.assign(n, SimTime::Max());
    for (const Crossing& x : crossings) {
      if (plan.rank_of_lp[x.at] == ft.first && x.to == ft.second) c.lead[x.at] = SimTime::Zero();
    }
    for (serving::LpId y = 0; y < n; ++y) {
      if (plan.rank_of_lp[y] != ft.first) continue;
      for (const auto& [z, delay] : internal_delay[y]) {
        c.lead[y] = base::Min(c.lead[y], delay.SaturatingAdd(g[z]));
      }
    }
  }
  for (const auto& [ft, c] : edges) plan.channels.push_back(c);
  return plan;
}

}  // namespace etchsim::sim
