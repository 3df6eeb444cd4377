// The generic engine (engine/) instantiated for the serving model's
// messages, once, in engine.cc: the sequential Kernel, the
// ProcessExecutor of a distributed run, and the channel plan's types.
#ifndef ETCHSIM_CLUSTER_ENGINE_H_
#define ETCHSIM_CLUSTER_ENGINE_H_

#include "cluster/message.h"
#include "engine/channel_plan.h"
#include "engine/event_queue.h"
#include "engine/kernel.h"
#include "engine/process_executor.h"

namespace etchsim::engine {
extern template class EventQueue<cluster::Message>;
extern template class Kernel<cluster::Message>;
extern template class ProcessExecutor<cluster::Message>;
}  // namespace etchsim::engine

namespace etchsim::cluster {

using Kernel = engine::Kernel<Message>;
using ProcessExecutor = engine::ProcessExecutor<Message>;
using OutBatch = engine::OutBatch<Message>;
using engine::Channel;
using engine::ChannelPlan;

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_ENGINE_H_
