#include "serving/engine.h"

namespace etchsim::engine {
template class EventQueue<serving::Message>;
template class Kernel<serving::Message>;
template class ProcessExecutor<serving::Message>;
}  // namespace etchsim::engine
