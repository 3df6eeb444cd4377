#include <iostream>
#include <string>
#include <vector>

#include "tools/commands.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  return etchsim::tools::MakeEtchsimCli().Run(args, std::cout, std::cerr);
}
