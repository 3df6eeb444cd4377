// The serving model's messages: what its logical processes (chips, the
// host, switches) send one another through the generic engine (engine/),
// and the engine's types instantiated for them.
#ifndef ETCHSIM_SERVING_MESSAGE_H_
#define ETCHSIM_SERVING_MESSAGE_H_

#include <cstdint>

#include "base/sim_time.h"
#include "engine/event.h"
#include "engine/lp.h"

namespace etchsim::serving {

using base::SimTime;
using engine::KeySender;
using engine::LpId;
using engine::MakeKey;

enum class MsgType : uint8_t {
  kNone = 0,
  kWork = 1,        // tokens to process (prefill chunk, decode or verify step)
  kTokenOut = 2,    // tokens emitted, last chip -> host
  kDispatch = 3,    // home -> expert holder: compute selected experts
  kCombine = 4,     // expert holder -> home: partial sum
  kTimer = 5,       // LP-internal (self) event; `aux` says which
  kArrival = 6,     // host-internal: a request arrives
  kFault = 7,       // host-internal: an outage is detected or ends (faults.h)
  kAbort = 8,       // host -> stage: discard requests with id < `request`
                    // (kFlagPreempt: only request `request`)
  kKvTransfer = 9,  // prefill pool -> decode stage: a piece of a prompt's KV
                    // (kFlagLastChunk on the last piece)
};

// Flags on kWork.
inline constexpr uint8_t kFlagPrefill = 1;    // a prompt chunk (not decode)
inline constexpr uint8_t kFlagLastChunk = 2;  // last chunk of the prompt
inline constexpr uint8_t kFlagFinal = 4;      // the request's last step
// On kAbort: paged KV preempted one request (KvPolicy); drop its work.
inline constexpr uint8_t kFlagPreempt = 8;
// On kWork: a disaggregated request's first decode step, which waits at
// each decode stage holding KV for that stage's share (kKvTransfer).
inline constexpr uint8_t kFlagKvGate = 16;
// Largest piece of KV one kKvTransfer message carries (Message::bytes is
// 32-bit); a share is sent as consecutive pieces on one route.
inline constexpr int32_t kMaxKvPieceBytes = int32_t{1} << 30;

// A fixed-size, trivially copyable payload (no allocation per event).
struct Message {
  MsgType type = MsgType::kNone;
  uint8_t flags = 0;
  uint16_t layer = 0;  // MoE layer for dispatch/combine
  int32_t dst = -1;    // final destination LP (forwarded until reached)
  int32_t request = -1;
  int32_t context = 0;    // KV positions before this item
  int32_t count = 0;      // tokens in the item (dispatch: experts)
  int32_t remaining = 0;  // tokens still to generate after this item
  int32_t step = 0;       // decode step index of the request
  int32_t origin = -1;    // LP that created the message
  int32_t aux = 0;        // type-specific (timer kind, segment, ...)
  int32_t bytes = 0;      // size on the wire
  // A switch's last link to the destination, whose queue the destination
  // models on receipt (see NodeLp::Transmit); -1 = already delivered.
  int32_t ingress = -1;
};

using Event = engine::Event<Message>;
using Lp = engine::Lp<Message>;
using Outbox = engine::Outbox<Message>;
using engine::EarlierThan;

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_MESSAGE_H_
