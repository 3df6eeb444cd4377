// A partitioned run over in-memory mailboxes: one engine::ProcessExecutor and one
// RunProtocol per rank (the same control code the gRPC processes run),
// batches, controls and statuses delivered in a fixed round-robin as a
// stand-in for the network. Tests check it against the in-process kernel;
// bench/pdes_bench counts the batches a layout of ranks costs, which is
// what a distributed run pays per message.
#ifndef ETCHSIM_SIM_PDES_MEMORY_H_
#define ETCHSIM_SIM_PDES_MEMORY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "sim/simulation.h"

namespace etchsim::sim {

struct InMemoryStats {
  int64_t rounds = 0;        // round-robin passes over every rank
  int64_t batches = 0;       // batches between ranks (events or promises)
  int64_t null_batches = 0;  // of which carried no event (null messages)
  int64_t events = 0;        // events processed by every rank
};

// REQUIRES: stages_per_rank >= 1.
absl::StatusOr<SimulationResult> RunPartitionedInMemory(const Simulation& sim,
                                                        int stages_per_rank = 1,
                                                        InMemoryStats* stats = nullptr);

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_PDES_MEMORY_H_
