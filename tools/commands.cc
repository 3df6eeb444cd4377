#include "tools/commands.h"

namespace etchsim::tools {

Cli MakeEtchsimCli() {
  Cli cli("etchsim");
  RegisterModelCommands(cli);
  RegisterPartitionCommands(cli);
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
