#include "fabric/routes.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "fabric/topology.h"

namespace etchsim::fabric {

absl::StatusOr<Routes> Routes::ForTree(const std::vector<Node>& nodes,
                                       const std::vector<Link>& links) {
  const int n = static_cast<int>(nodes.size());
  Routes r;
  r.pre_.assign(n, -1);
  r.pre_end_.assign(n, -1);
  r.parent_.assign(n, -1);
  r.up_.assign(n, -1);
  r.down_.assign(n, -1);
  // Depth-first from node 0, numbering nodes in preorder: a subtree is
  // then the range [pre_[v], pre_end_[v]).
  std::vector<int> preorder;
  preorder.reserve(n);
  std::vector<std::pair<int, size_t>> stack = {{0, 0}};
  r.pre_[0] = 0;
  preorder.push_back(0);
  while (!stack.empty()) {
    const int v = stack.back().first;
    const size_t i = stack.back().second++;
    if (i == nodes[v].out_links.size()) {
      r.pre_end_[v] = static_cast<int>(preorder.size());
      stack.pop_back();
      continue;
    }
    const int li = nodes[v].out_links[i];
    const int w = links[li].to;
    if (w == r.parent_[v] && r.up_[v] < 0) r.up_[v] = li;
    if (r.pre_[w] >= 0) continue;
    r.pre_[w] = static_cast<int>(preorder.size());
    preorder.push_back(w);
    r.parent_[w] = v;
    r.down_[w] = li;
    stack.push_back({w, 0});
  }
  for (int v = 0; v < n; ++v) {
    if (r.pre_[v] < 0) {
      return absl::InternalError(
          absl::StrCat("topology: ", nodes[v].name, " cannot reach ", nodes[0].name));
    }
  }
  // Connected with one physical link fewer than nodes, and every link's
  // way back found: a tree, so each route is its one path.
  const bool tree =
      links.size() == 2 * static_cast<size_t>(n - 1) &&
      std::all_of(preorder.begin() + 1, preorder.end(), [&](int v) { return r.up_[v] >= 0; });
  if (!tree) {
    return absl::InternalError(
        "topology: the links hold a cycle; its kind must name its routing (fabric/routes.h)");
  }
  // Children of each node in preorder (ascending), for a binary search.
  r.child_begin_.assign(n + 1, 0);
  for (int v = 1; v < n; ++v) ++r.child_begin_[r.parent_[v] + 1];
  for (int v = 0; v < n; ++v) r.child_begin_[v + 1] += r.child_begin_[v];
  r.child_.resize(n - 1);
  r.child_pre_.resize(n - 1);
  std::vector<int> fill(r.child_begin_.begin(), r.child_begin_.end() - 1);
  for (int v : preorder) {
    if (v == 0) continue;
    const int at = fill[r.parent_[v]]++;
    r.child_[at] = v;
    r.child_pre_[at] = r.pre_[v];
  }
  return r;
}

int Routes::TreeNext(int from, int to) const {
  const int t = pre_[to];
  if (t <= pre_[from] || t >= pre_end_[from]) return up_[from];  // not below: go up
  if (parent_[to] == from) return down_[to];
  // The child whose subtree holds `to`: the last with preorder <= t.
  const auto first = child_pre_.begin() + child_begin_[from];
  const auto last = child_pre_.begin() + child_begin_[from + 1];
  const auto it = std::upper_bound(first, last, t) - 1;
  return down_[child_[it - child_pre_.begin()]];
}

absl::StatusOr<Routes> Routes::ForRing(int num_chips, const std::vector<Link>& links) {
  const int n = num_chips;
  Routes r;
  r.ring_.assign(n, RingHops{});
  auto not_a_ring = [&](const Link& l) {
    return absl::InternalError(
        absl::StrCat("topology: link ", l.name, " is not one of a ring of ", n, " chips"));
  };
  for (int li = 0; li < static_cast<int>(links.size()); ++li) {
    const Link& l = links[li];
    if (l.from == 0 || l.to == 0) {
      if (l.from + l.to != 1) return not_a_ring(l);
      (l.from == 0 ? r.host_out_ : r.host_in_) = li;
      continue;
    }
    const int i = l.from - 1, j = l.to - 1;
    if (i >= n || j >= n) return not_a_ring(l);
    if (j == (i + 1) % n) {
      r.ring_[i].next = li;
    } else if (j == (i + n - 1) % n) {
      r.ring_[i].prev = li;
    } else {
      return not_a_ring(l);
    }
  }
  const bool complete = links.size() == 2 * static_cast<size_t>(n + 1) && r.host_out_ >= 0 &&
                        r.host_in_ >= 0 &&
                        std::all_of(r.ring_.begin(), r.ring_.end(),
                                    [](const RingHops& h) { return h.next >= 0 && h.prev >= 0; });
  if (!complete) {
    return absl::InternalError(
        absl::StrCat("topology: the links are not a ring of ", n, " chips with the host on chip0"));
  }
  return r;
}

int Routes::RingNext(int from, int to) const {
  if (from == 0) return host_out_;
  const int n = static_cast<int>(ring_.size());
  const int i = from - 1;
  if (to == 0 && i == 0) return host_in_;
  const int d = to == 0 ? 0 : to - 1;  // the host is reached through chip 0
  const int ahead = (d - i + n) % n;   // hops going i -> i+1
  const int behind = n - ahead;
  if (ahead != behind) return ahead < behind ? ring_[i].next : ring_[i].prev;
  // The chip opposite the destination in an even ring. The search grew
  // from the destination over links in id order. From chip d > 0 it
  // reached chip d-1 (the link "d-1 -> d" comes first) before chip d+1, so
  // the far chip is reached from the side below d and steps to i+1. From
  // chip 0 (and the host, through it) chip 1's link comes before the
  // ring's closing link from chip n-1, so the far chip steps to i-1.
  return d == 0 ? ring_[i].prev : ring_[i].next;
}

}  // namespace etchsim::fabric
