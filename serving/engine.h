// The generic engine (engine/) instantiated for the serving model's
// messages, once, in engine.cc: the sequential Kernel, the
// ProcessExecutor of a distributed run, and the channel plan's types.
#ifndef ETCHSIM_SERVING_ENGINE_H_
#define ETCHSIM_SERVING_ENGINE_H_

#include "engine/channel_plan.h"
#include "engine/event_queue.h"
#include "engine/kernel.h"
#include "engine/process_executor.h"
#include "serving/message.h"

namespace etchsim::engine {
extern template class EventQueue<serving::Message>;
extern template class Kernel<serving::Message>;
extern template class ProcessExecutor<serving::Message>;
}  // namespace etchsim::engine

namespace etchsim::serving {

using Kernel = engine::Kernel<Message>;
using ProcessExecutor = engine::ProcessExecutor<Message>;
using OutBatch = engine::OutBatch<Message>;
using engine::Channel;
using engine::ChannelPlan;

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_ENGINE_H_
