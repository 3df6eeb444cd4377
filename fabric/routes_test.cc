#include "fabric/routes.h"

#include <deque>

#include "absl/strings/str_cat.h"
#include "fabric/topology.h"
#include "gtest/gtest.h"

namespace etchsim::fabric {
namespace {

// The oracle: the search fabric routed by before fabric/routes.h, kept
// as it was. Breadth-first from `dst` over reversed links; a node takes
// the link on which it was first reached, links scanned in id order.
std::vector<int> SearchNextLinks(const Topology& t, int dst) {
  const int n = static_cast<int>(t.nodes().size());
  const std::vector<Link>& links = t.links();
  std::vector<int> next(n, -1), dist(n, -1);
  std::deque<int> q{dst};
  dist[dst] = 0;
  while (!q.empty()) {
    const int v = q.front();
    q.pop_front();
    for (int li = 0; li < static_cast<int>(links.size()); ++li) {
      const Link& l = links[li];
      if (l.to != v || dist[l.from] >= 0) continue;
      dist[l.from] = dist[v] + 1;
      next[l.from] = li;
      q.push_back(l.from);
    }
  }
  return next;
}

// NextLink equals the search toward each of `dsts` (all nodes when empty)
// from every other node.
void ExpectSearchRoutes(const v1::TopologySpec& spec, int chips, SecondPoolLayout second = {},
                        std::vector<int> dsts = {}) {
  auto t = Topology::Build(spec, chips, second);
  ASSERT_TRUE(t.ok()) << t.status();
  const int n = static_cast<int>(t->nodes().size());
  if (dsts.empty()) {
    for (int v = 0; v < n; ++v) dsts.push_back(v);
  }
  int mismatches = 0;
  for (int dst : dsts) {
    const std::vector<int> want = SearchNextLinks(*t, dst);
    for (int from = 0; from < n; ++from) {
      if (from == dst || t->NextLink(from, dst) == want[from]) continue;
      if (++mismatches <= 3) {
        ADD_FAILURE() << spec.kind() << " of " << chips << " chips (" << spec.cards_per_server()
                      << " per server, second pool from " << second.first_chip
                      << "): " << t->nodes()[from].name << " -> " << t->nodes()[dst].name
                      << " takes " << t->links()[t->NextLink(from, dst)].name << ", the search "
                      << t->links()[want[from]].name;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

v1::TopologySpec Kind(const std::string& kind, int cards_per_server = 10) {
  v1::TopologySpec s;
  s.set_kind(kind);
  s.set_cards_per_server(cards_per_server);
  return s;
}

TEST(RoutesTest, EqualTheSearchOnEveryKind) {
  for (const TopologyKind& k : TopologyKinds()) {
    for (int chips = 1; chips <= 41; ++chips) {
      ExpectSearchRoutes(Kind(std::string(k.name)), chips);
    }
  }
}

TEST(RoutesTest, EqualTheSearchInServersOfEverySize) {
  for (int cps : {1, 2, 3, 4, 7}) {
    for (int chips = 1; chips <= 30; ++chips) ExpectSearchRoutes(Kind("two-level", cps), chips);
  }
}

TEST(RoutesTest, EqualTheSearchWithASecondPool) {
  for (const TopologyKind& k : TopologyKinds()) {
    for (int cps : {2, 3, 10}) {
      for (int chips : {2, 5, 13, 24}) {
        for (int first = 1; first < chips; ++first) {
          for (int cps2 : {1, 3}) {
            ExpectSearchRoutes(Kind(std::string(k.name), cps), chips, {first, cps2});
          }
        }
      }
    }
  }
}

// At the largest size, toward the ends, the middle and the host; the ring
// of 4,096 is even, so its opposite chips test the tie.
TEST(RoutesTest, EqualTheSearchAtFourThousandChips) {
  for (const TopologyKind& k : TopologyKinds()) {
    const v1::TopologySpec spec = Kind(std::string(k.name));
    for (int chips : {4095, 4096}) {
      ExpectSearchRoutes(spec, chips, {}, {0, 1, 2, chips / 2, chips / 2 + 1, chips});
    }
  }
}

TEST(RoutesTest, RefuseWhatTheyCannotRoute) {
  // A triangle of three nodes, routed as a tree.
  std::vector<Node> nodes(3);
  std::vector<Link> links;
  for (auto [a, b] : {std::pair{0, 1}, std::pair{1, 2}, std::pair{2, 0}}) {
    for (auto [x, y] : {std::pair{a, b}, std::pair{b, a}}) {
      nodes[x].out_links.push_back(static_cast<int>(links.size()));
      links.push_back(Link{.from = x, .to = y, .name = absl::StrCat(x, "->", y)});
    }
  }
  EXPECT_EQ(Routes::ForTree(nodes, links).status().message(),
            "topology: the links hold a cycle; its kind must name its routing (fabric/routes.h)");
  // The triangle is no ring: node 0 is the host, on chip 0 (node 1) only.
  EXPECT_EQ(Routes::ForRing(3, links).status().message(),
            "topology: link 2->0 is not one of a ring of 3 chips");
  // Node 2 left out.
  nodes[2].name = "chip1";
  nodes[0].name = "host";
  std::vector<Link> two(links.begin(), links.begin() + 2);
  nodes[0].out_links = {0};
  nodes[1].out_links = {1};
  nodes[2].out_links = {};
  EXPECT_EQ(Routes::ForTree(nodes, two).status().message(), "topology: chip1 cannot reach host");
}

}  // namespace
}  // namespace etchsim::fabric
