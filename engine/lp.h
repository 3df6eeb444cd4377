// A logical process (LP) and the outbox it sends through: the one interface
// between the engine and a model. An executor (Kernel in one process,
// ProcessExecutor across processes) calls Handle for each event in order.
#ifndef ETCHSIM_ENGINE_LP_H_
#define ETCHSIM_ENGINE_LP_H_

#include "engine/event.h"

namespace etchsim::engine {

template <class M>
class Outbox {
 public:
  virtual ~Outbox() = default;
  virtual SimTime now() const = 0;
  virtual LpId self() const = 0;
  // REQUIRES: at >= now(); for another LP, at >= now() + the lookahead
  // the channel plan promised (engine/channel_plan.h); `target` is a valid
  // LP id of the run.
  virtual void Send(LpId target, SimTime at, const M& m) = 0;
  // Ends the run at the current virtual time (the host, when enough
  // requests have completed). Statistics are clipped at that time.
  // REQUIRES: t >= now().
  virtual void StopAt(SimTime t) = 0;
};

template <class M>
class Lp {
 public:
  virtual ~Lp() = default;
  // Called for events in (time, key) order only. REQUIRES: e.target is
  // this LP; e.time >= the time of every event handled before.
  virtual void Handle(const Event<M>& e, Outbox<M>& out) = 0;
  // Folds statistics older than `horizon` (no event before it can still
  // arrive) so memory stays bounded during long runs.
  // REQUIRES: horizon is non-decreasing across calls and no event earlier
  // than it will be handled.
  virtual void Compact(SimTime horizon) {}
};

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_LP_H_
