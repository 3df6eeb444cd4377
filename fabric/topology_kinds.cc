// The topology kinds and their registry.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/status_macros.h"
#include "fabric/topology.h"

namespace etchsim::fabric {
namespace {

// Chips in a line (ring: closed), the host on chip 0's card link; messages
// for others pass through the chips, which forward at the chip link's
// switch latency.
absl::Status BuildChain(const v1::TopologySpec& s, int n, TopologyBuilder& b, bool ring) {
  ASSIGN_OR_RETURN(v1::LinkSpec chip_link, LoadLinkSpec(s.chip_link()));
  ASSIGN_OR_RETURN(v1::LinkSpec card_link, LoadLinkSpec(s.card_link()));
  const SimTime fwd = SimTime::FromNanos(chip_link.switch_latency_ns());
  for (int i = 0; i < n; ++i) b.AddChip(i, fwd);
  b.Connect(b.host(), b.chip(0), card_link);
  for (int i = 0; i + 1 < n; ++i) b.Connect(b.chip(i), b.chip(i + 1), chip_link);
  if (ring && n > 2) {
    b.Connect(b.chip(n - 1), b.chip(0), chip_link);
    b.RouteAsRing();
  }
  return absl::OkStatus();
}

absl::Status Chain(const v1::TopologySpec& s, int n, TopologyBuilder& b) {
  return BuildChain(s, n, b, false);
}

absl::Status Ring(const v1::TopologySpec& s, int n, TopologyBuilder& b) {
  return BuildChain(s, n, b, true);
}

// One switch, every chip and the host on a card link.
absl::Status Switch(const v1::TopologySpec& s, int n, TopologyBuilder& b) {
  ASSIGN_OR_RETURN(v1::LinkSpec card_link, LoadLinkSpec(s.card_link()));
  for (int i = 0; i < n; ++i) b.AddChip(i, SimTime::Zero());
  const int sw = b.AddSwitch(0, "switch", SimTime::FromNanos(card_link.switch_latency_ns()));
  b.Connect(b.host(), sw, card_link);
  for (int i = 0; i < n; ++i) b.Connect(b.chip(i), sw, card_link);
  return absl::OkStatus();
}

// Servers of cards_per_server chips behind a server switch (card links),
// the servers on a spine (server links); the host sits in server 0.
absl::Status TwoLevel(const v1::TopologySpec& s, int n, TopologyBuilder& b) {
  ASSIGN_OR_RETURN(v1::LinkSpec card_link, LoadLinkSpec(s.card_link()));
  ASSIGN_OR_RETURN(v1::LinkSpec server_link, LoadLinkSpec(s.server_link()));
  const int cps = s.cards_per_server();
  const int servers = b.Servers(n, cps);
  b.set_num_servers(servers);
  for (int i = 0; i < n; ++i) b.AddChip(i, SimTime::Zero());
  std::vector<int> server_sw;
  for (int k = 0; k < servers; ++k) {
    server_sw.push_back(b.AddSwitch(k, absl::StrCat("server", k),
                                    SimTime::FromNanos(card_link.switch_latency_ns())));
  }
  b.Connect(b.host(), server_sw[0], card_link);
  for (int i = 0; i < n; ++i) b.Connect(b.chip(i), server_sw[b.ServerOf(i, cps)], card_link);
  if (servers > 1) {
    const int spine =
        b.AddSwitch(servers, "spine", SimTime::FromNanos(server_link.switch_latency_ns()));
    for (int k = 0; k < servers; ++k) b.Connect(server_sw[k], spine, server_link);
  }
  return absl::OkStatus();
}

}  // namespace

// The registry: one line per kind, in the order names are listed.
const std::vector<TopologyKind>& TopologyKinds() {
  static const std::vector<TopologyKind> kinds = {
      {"chain", "chips in a line, chip to chip links; the host on chip 0", Chain},
      {"ring", "a chain closed into a ring", Ring},
      {"switch", "every chip and the host on one switch", Switch},
      {"two-level", "cards in servers behind server switches, servers on a spine", TwoLevel},
  };
  return kinds;
}

const TopologyKind* FindTopologyKind(absl::string_view name) {
  for (const TopologyKind& k : TopologyKinds()) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::string TopologyKindNames() {
  std::vector<std::string> names;
  for (const TopologyKind& k : TopologyKinds()) names.emplace_back(k.name);
  return absl::StrJoin(names, ", ");
}

absl::StatusOr<const TopologyKind*> TopologyKindNamed(absl::string_view name) {
  if (const TopologyKind* k = FindTopologyKind(name)) return k;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown topology \"", name, "\" (known: ", TopologyKindNames(), ")"));
}

}  // namespace etchsim::fabric
