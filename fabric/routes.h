// Next hops by the shape of the topology, not by a graph search: the link
// a node sends on toward any other node, in O(nodes + links) memory and
// O(log degree) time a query, so 4,096 chips cost what 30 do.
//
// Two shapes cover every kind in fabric/topology_kinds.cc: a tree (chain,
// switch, two-level, and rings of one or two chips), where the route is
// the one path; and the ring, where it is the shorter way round. The
// routes equal those of the breadth-first search they replace (from each
// destination over reversed links in id order), ties included; the
// search is fabric/routes_test.cc's oracle on every kind and many sizes.
#ifndef ETCHSIM_FABRIC_ROUTES_H_
#define ETCHSIM_FABRIC_ROUTES_H_

#include <vector>

#include "absl/status/statusor.h"

namespace etchsim::fabric {

struct Link;
struct Node;

class Routes {
 public:
  // Any tree over `nodes` (each physical link a pair of Links, one per
  // direction, listed in the sender's out_links). InternalError naming
  // the first node that cannot reach node 0, or saying the links hold a
  // cycle.
  static absl::StatusOr<Routes> ForTree(const std::vector<Node>& nodes,
                                        const std::vector<Link>& links);
  // fabric's ring: chips at nodes 1 .. num_chips, chip i joined to chip
  // i+1 and chip num_chips-1 to chip 0, the host (node 0) on chip 0 only.
  // InternalError when `links` are not that. REQUIRES: num_chips >= 3.
  static absl::StatusOr<Routes> ForRing(int num_chips, const std::vector<Link>& links);

  // The link `from` sends on to reach `to`. REQUIRES: from != to, both
  // nodes of the topology the routes were made for.
  int NextLink(int from, int to) const {
    return ring_.empty() ? TreeNext(from, to) : RingNext(from, to);
  }

 private:
  int TreeNext(int from, int to) const;
  int RingNext(int from, int to) const;

  // Tree, rooted at node 0: preorder number, one past the subtree's last,
  // the parent, the links to and from it, and each node's children (from
  // child_begin_[v] to child_begin_[v + 1]) with their preorder numbers.
  std::vector<int> pre_, pre_end_, parent_, up_, down_;
  std::vector<int> child_begin_, child_pre_, child_;
  // Ring: per chip, the link to chip i+1 and to chip i-1 (mod the count),
  // and the host's link to chip 0 and back.
  struct RingHops {
    int next = -1;
    int prev = -1;
  };
  std::vector<RingHops> ring_;
  int host_out_ = -1;
  int host_in_ = -1;
};

}  // namespace etchsim::fabric

#endif  // ETCHSIM_FABRIC_ROUTES_H_
