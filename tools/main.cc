#include <iostream>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
  // Debian's Abseil checks every absl::Mutex acquisition for lock-order
  // cycles (a debug aid); gRPC takes several per message, and a profile of
  // a 30-process run spent ~8% of its CPU in that bookkeeping
  // (GraphCycles, docs/BENCHMARKS.md). ThreadSanitizer builds keep it.
#if !defined(__SANITIZE_THREAD__)
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
#endif
  std::vector<std::string> args(argv, argv + argc);
  return etchsim::tools::MakeEtchsimCli().Run(args, std::cout, std::cerr);
}
