// Events of the discrete-event engine, generic over the message they carry.
//
// Logical processes (LPs) share no state; they only exchange messages
// stamped with a virtual time. Each event carries a key (sender LP, sender's
// message counter) and events are processed in (time, key) order. The key
// depends only on the sender's own history, so an LP sees the same events in
// the same order whether all LPs run in one process or each runs in its own
// (distributed mode): that is what makes the two byte-identical.
//
// The engine knows nothing of what a message means: `M` is any trivially
// copyable type (the serving model's is serving/message.h; the engine's own
// tests use a toy one).
#ifndef ETCHSIM_ENGINE_EVENT_H_
#define ETCHSIM_ENGINE_EVENT_H_

#include <cstdint>
#include <type_traits>

#include "base/sim_time.h"

namespace etchsim::engine {

using base::SimTime;
using LpId = int32_t;

// Ordering key: sender in the top 24 bits, the sender's counter below.
inline constexpr int kSeqBits = 40;
inline constexpr uint64_t MakeKey(LpId src, uint64_t seq) {
  return (static_cast<uint64_t>(src) << kSeqBits) | seq;
}
inline constexpr LpId KeySender(uint64_t key) { return static_cast<LpId>(key >> kSeqBits); }

template <class M>
struct Event {
  static_assert(std::is_trivially_copyable_v<M>, "a message is a fixed-size payload");
  SimTime time;
  uint64_t key = 0;
  LpId target = -1;
  M msg;
};

template <class M>
inline bool EarlierThan(const Event<M>& a, const Event<M>& b) {
  return a.time < b.time || (a.time == b.time && a.key < b.key);
}

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_EVENT_H_
