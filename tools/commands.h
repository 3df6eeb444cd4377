// Registration of every etchsim subcommand.
#ifndef ETCHSIM_TOOLS_COMMANDS_H_
#define ETCHSIM_TOOLS_COMMANDS_H_

#include "tools/cli.h"

namespace etchsim::tools {

void RegisterModelCommands(Cli& cli);
void RegisterPartitionCommands(Cli& cli);
void RegisterSimulateCommands(Cli& cli);
void RegisterServeCommands(Cli& cli);
void RegisterSweepCommands(Cli& cli);
void RegisterCostCommands(Cli& cli);
void RegisterPlanCommands(Cli& cli);
// The whole etchsim command set.
Cli MakeEtchsimCli();

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_COMMANDS_H_
