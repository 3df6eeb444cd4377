// Registration of every etchsim subcommand.
#ifndef ETCHSIM_TOOLS_COMMANDS_H_
#define ETCHSIM_TOOLS_COMMANDS_H_

#include "absl/status/statusor.h"
#include "cost/availability.h"
#include "plan/planner.h"
#include "rpc/tls.h"
#include "tools/cli.h"

namespace etchsim::tools {

void RegisterModelCommands(Cli& cli);
void RegisterPartitionCommands(Cli& cli);
void RegisterSimulateCommands(Cli& cli);
void RegisterServeCommands(Cli& cli);
void RegisterSweepCommands(Cli& cli);
void RegisterCostCommands(Cli& cli);
void RegisterPlanCommands(Cli& cli);
void RegisterVerifyCommands(Cli& cli);
void RegisterAvailabilityCommands(Cli& cli);
void RegisterChipCommands(Cli& cli);

// --tls-cert/--tls-key/--tls-ca, and the credentials they give.
rpc::TlsFiles TlsFilesFromFlags();
absl::StatusOr<rpc::Credentials> CredentialsFromFlags();
// --chips-per-process, checked: [1, 4096].
absl::StatusOr<int> ChipsPerProcessFromFlags();
// The availability model of `cost availability` for a cluster, from its
// flags (--spares, --chip-fit, ...): its inputs, and what it does to one
// replica of `etchsim plan` (availability, extra cost of spares and
// replacements per hour).
absl::StatusOr<cost::AvailabilityInputs> AvailabilityInputsFor(const v1::Scenario& s);
// GPU (roofline) candidates get the H100 HBM failure rate unless
// `hbm_fit_given`.
absl::StatusOr<plan::ReplicaAvailability> ReplicaAvailabilityFor(const v1::Scenario& s,
                                                                 bool hbm_fit_given);
// --liveness-timeout, checked: 0 (off) or [0.5, 3600] s.
absl::Status LivenessTimeoutFromFlags(double& out);
// The whole etchsim command set.
Cli MakeEtchsimCli();

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_COMMANDS_H_
