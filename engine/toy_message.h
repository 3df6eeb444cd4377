// The engine's own tests run it with this toy message: the check that the
// engine needs nothing of the serving model's.
#ifndef ETCHSIM_ENGINE_TOY_MESSAGE_H_
#define ETCHSIM_ENGINE_TOY_MESSAGE_H_

#include <cstdint>

#include "engine/event.h"
#include "engine/lp.h"

namespace etchsim::engine_test {

struct Message {
  int32_t count = 0;
};
using base::SimTime;
using engine::KeySender;
using engine::LpId;
using engine::MakeKey;
using Event = engine::Event<Message>;
using Lp = engine::Lp<Message>;
using Outbox = engine::Outbox<Message>;

}  // namespace etchsim::engine_test

#endif  // ETCHSIM_ENGINE_TOY_MESSAGE_H_
