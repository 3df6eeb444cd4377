// The etchsim command line run in process, for the CLI tests.
#ifndef ETCHSIM_TOOLS_CLI_TEST_UTIL_H_
#define ETCHSIM_TOOLS_CLI_TEST_UTIL_H_

#include <sstream>
#include <string>
#include <vector>

#include "tools/commands.h"

namespace etchsim::tools {

struct CliResult {
  int code;
  std::string out, err;
};

// Runs `etchsim ARGS...` and returns its exit code, stdout and stderr.
inline CliResult RunCli(std::vector<std::string> args) {
  args.insert(args.begin(), "etchsim");
  std::ostringstream out, err;
  const int code = MakeEtchsimCli().Run(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_CLI_TEST_UTIL_H_
