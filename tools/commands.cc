#include "tools/commands.h"

namespace etchsim::tools {

Cli MakeEtchsimCli() {
  Cli cli("etchsim", ETCHSIM_VERSION);
  RegisterModelCommands(cli);
  RegisterPartitionCommands(cli);
  RegisterChipCommands(cli);
  RegisterSimulateCommands(cli);
  RegisterServeCommands(cli);
  RegisterSweepCommands(cli);
  RegisterCostCommands(cli);
  RegisterPlanCommands(cli);
  RegisterVerifyCommands(cli);
  RegisterAvailabilityCommands(cli);
  return cli;
}

}  // namespace etchsim::tools
