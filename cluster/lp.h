// The logical-process interface every simulated entity implements.
#ifndef ETCHSIM_CLUSTER_LP_H_
#define ETCHSIM_CLUSTER_LP_H_

#include "cluster/event.h"

namespace etchsim::cluster {

// What an LP may do while handling an event. Messages to another LP must be
// stamped at least `now + lookahead` (the link or processing delay the
// topology guarantees); messages to itself at least `now`.
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual SimTime now() const = 0;
  virtual LpId self() const = 0;
  // REQUIRES: at >= now(); for another LP, at >= now() + the lookahead
  // the channel plan promised (cluster/channels.h); `target` is a valid
  // LP id of the run.
  virtual void Send(LpId target, SimTime at, const Message& m) = 0;
  // Ends the run at the current virtual time (the host, when enough
  // requests have completed). Statistics are clipped at that time.
  // REQUIRES: t >= now().
  virtual void StopAt(SimTime t) = 0;
};

class Lp {
 public:
  virtual ~Lp() = default;
  // Called for events in (time, key) order only. REQUIRES: e.target is
  // this LP; e.time >= the time of every event handled before.
  virtual void Handle(const Event& e, Outbox& out) = 0;
  // Folds statistics older than `horizon` (no event before it can still
  // arrive) so memory stays bounded during long runs.
  // REQUIRES: horizon is non-decreasing across calls and no event earlier
  // than it will be handled.
  virtual void Compact(SimTime horizon) {}
};

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_LP_H_
