#include "cluster/engine.h"

namespace etchsim::engine {
template class EventQueue<cluster::Message>;
template class Kernel<cluster::Message>;
template class ProcessExecutor<cluster::Message>;
}  // namespace etchsim::engine
