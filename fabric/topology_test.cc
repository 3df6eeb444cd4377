#include "fabric/topology.h"

#include "gtest/gtest.h"

namespace etchsim::fabric {
namespace {

std::vector<std::string> RouteNames(const Topology& t, int from, int to) {
  std::vector<std::string> names;
  for (int li : t.Route(from, to)) names.push_back(t.links()[li].name);
  return names;
}

TEST(TopologyTest, PresetsLoad) {
  for (const std::string& n : LinkPresetNames()) {
    auto l = LoadLinkSpec(n);
    ASSERT_TRUE(l.ok()) << l.status();
    EXPECT_GT(l->bandwidth_bytes_per_s(), 0);
    EXPECT_FALSE(l->sources().empty()) << n;
  }
  EXPECT_EQ(LoadLinkSpec("infiniband").status().code(), absl::StatusCode::kNotFound);
}

TEST(TopologyTest, TwoLevelRoutesThroughTheSpine) {
  v1::TopologySpec spec;  // defaults: two-level, 10 per server
  auto t = Topology::Build(spec, 30);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->num_servers(), 3);
  EXPECT_EQ(RouteNames(*t, t->chip(8), t->chip(9)),
            (std::vector<std::string>{"chip8->server0", "server0->chip9"}));
  EXPECT_EQ(RouteNames(*t, t->chip(9), t->chip(10)),
            (std::vector<std::string>{"chip9->server0", "server0->spine", "spine->server1",
                                      "server1->chip10"}));
  EXPECT_EQ(RouteNames(*t, t->chip(29), t->host()),
            (std::vector<std::string>{"chip29->server2", "server2->spine", "spine->server0",
                                      "server0->host"}));
  // Idle delay of 14,336 bytes chip9 -> chip10: two PCIe hops, two Ethernet
  // hops, switch latencies of server0, spine and server1.
  const double pcie = 14336 / 53.6e9 * 1e12 + 250e3;  // ps
  const double eth = 14336 / 48.5e9 * 1e12 + 1000e3;
  const double expected = 2 * pcie + 2 * eth + 115e3 + 600e3 + 115e3;
  EXPECT_NEAR(static_cast<double>(t->UncontendedDelay(t->chip(9), t->chip(10), 14336).picos()),
              expected, 4.0);
}

TEST(TopologyTest, ChainRingAndSwitch) {
  v1::TopologySpec chain;
  chain.set_kind("chain");
  auto c = Topology::Build(chain, 4);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(RouteNames(*c, c->chip(3), c->chip(0)),
            (std::vector<std::string>{"chip3->chip2", "chip2->chip1", "chip1->chip0"}));
  v1::TopologySpec ring;
  ring.set_kind("ring");
  auto r = Topology::Build(ring, 4);
  EXPECT_EQ(RouteNames(*r, r->chip(3), r->chip(0)), (std::vector<std::string>{"chip3->chip0"}));
  v1::TopologySpec sw;
  sw.set_kind("switch");
  auto s = Topology::Build(sw, 3);
  EXPECT_EQ(RouteNames(*s, s->chip(2), s->chip(0)),
            (std::vector<std::string>{"chip2->switch", "switch->chip0"}));
  v1::TopologySpec bad;
  bad.set_kind("torus");
  EXPECT_EQ(Topology::Build(bad, 3).status().message(),
            "unknown topology \"torus\" (known: chain, ring, switch, two-level)");
}

TEST(TopologyTest, SerializationRoundsUp) {
  Link l;
  l.bytes_per_ps = 0.064;  // 64 GB/s
  l.ps_per_byte = 1 / 0.064;
  EXPECT_EQ(l.Serialization(64).picos(), 1000);
  EXPECT_EQ(l.Serialization(65).picos(), 1016);
}

TEST(LinkQueueTest, FifoThenLatency) {
  Link l;
  l.bytes_per_ps = 0.064;  // 64 GB/s: 64 bytes take 1 ns
  l.ps_per_byte = 1 / 0.064;
  l.latency = SimTime::FromNanos(100);
  LinkQueue q;
  const LinkQueue::Slot a = q.Enqueue(l, SimTime::FromNanos(10), 64);
  EXPECT_EQ(a.start.picos(), 10000);
  EXPECT_EQ(a.end.picos(), 11000);
  EXPECT_EQ(a.arrival.picos(), 111000);
  // Ready before the link is free: waits for it.
  const LinkQueue::Slot b = q.Enqueue(l, SimTime::FromNanos(10.5), 128);
  EXPECT_EQ(b.start.picos(), 11000);
  EXPECT_EQ(b.end.picos(), 13000);
  EXPECT_EQ(b.arrival.picos(), 113000);
  // Ready after: starts at once.
  const LinkQueue::Slot c = q.Enqueue(l, SimTime::FromNanos(20), 64);
  EXPECT_EQ(c.start.picos(), 20000);
  EXPECT_EQ(q.free().picos(), 21000);
}

TEST(TopologyTest, NextReceiverSkipsOnlyALastHopSwitch) {
  v1::TopologySpec spec;  // two-level, 10 per server
  auto t = Topology::Build(spec, 30);
  ASSERT_TRUE(t.ok()) << t.status();
  // Without ingress modelling every switch is an event.
  NextHop h = t->NextReceiver(t->chip(8), t->chip(9));
  EXPECT_EQ(t->nodes()[h.receiver].name, "server0");
  EXPECT_EQ(h.ingress, -1);
  EXPECT_EQ(h.forward_latency.picos(), 0);

  t->set_models_ingress(t->chip(9), true);
  t->set_models_ingress(t->chip(10), true);
  // chip8 -> server0 -> chip9: server0 is the last hop, skipped.
  h = t->NextReceiver(t->chip(8), t->chip(9));
  EXPECT_EQ(h.receiver, t->chip(9));
  EXPECT_EQ(t->links()[h.link].name, "chip8->server0");
  EXPECT_EQ(t->links()[h.ingress].name, "server0->chip9");
  EXPECT_EQ(h.forward_latency, t->nodes()[t->links()[h.link].to].forward_latency);
  // chip9 -> server0 -> spine -> ...: server0 is not the last hop.
  h = t->NextReceiver(t->chip(9), t->chip(10));
  EXPECT_EQ(t->nodes()[h.receiver].name, "server0");
  EXPECT_EQ(h.ingress, -1);
  // spine -> server1 -> chip10: server1 is skipped.
  const int spine = t->links()[t->NextLink(h.receiver, t->chip(10))].to;
  h = t->NextReceiver(spine, t->chip(10));
  EXPECT_EQ(h.receiver, t->chip(10));
  EXPECT_EQ(t->links()[h.ingress].name, "server1->chip10");
}

}  // namespace
}  // namespace etchsim::fabric
