// A small subcommand layer over Abseil flags.
//
// Flags are ordinary ABSL_FLAGs (typed parsing, defaults, help strings); a
// Command lists which of them it accepts, so `etchsim models show --rate=3`
// is an error naming the flag rather than silently ignored. Flags are
// written with dashes on the command line (--kv-dtype) and underscores in
// code (FLAGS_kv_dtype). Every Run starts from the flags' defaults, so the
// CLI can be driven repeatedly in one process (the tests do).
//
// Exit codes: 0 success; 2 bad input (usage, unknown names, invalid files,
// impossible plans: absl InvalidArgument, NotFound, FailedPrecondition,
// OutOfRange, PermissionDenied, AlreadyExists); 3 a plan with no candidate
// meeting its SLO (ResourceExhausted); 1 any other failure (a dead peer, an
// internal error).
#ifndef ETCHSIM_TOOLS_CLI_H_
#define ETCHSIM_TOOLS_CLI_H_

#include <functional>
#include <iosfwd>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace etchsim::tools {

struct Invocation {
  std::vector<std::string> args;  // positional arguments
  std::ostream& out;
  std::ostream& err;
  std::set<std::string> given;  // flags set on the command line
  // Every value of every flag, in command-line order: a flag given more
  // than once (--axis a=1 --axis b=2) keeps all its values here, while the
  // ABSL_FLAG holds the last.
  std::map<std::string, std::vector<std::string>> values;
  bool Given(const std::string& flag) const { return given.contains(flag); }
  std::vector<std::string> All(const std::string& flag) const {
    auto it = values.find(flag);
    return it == values.end() ? std::vector<std::string>{} : it->second;
  }
};

struct Command {
  std::string name;                // words after "etchsim", e.g. "models show"
  std::string args_usage;          // e.g. "NAME|PATH"
  std::string summary;             // one line for the command list
  std::string details;             // paragraph(s) for --help
  std::vector<std::string> flags;  // accepted flag names (underscored)
  // Defaults that differ from the flag's global default for this command.
  std::map<std::string, std::string> flag_defaults;
  // Help text that differs from the flag's own for this command (a flag
  // shared by commands that use it differently, e.g. --out-dir).
  std::map<std::string, std::string> flag_help;
  int min_args = 0;
  int max_args = 0;
  std::function<absl::Status(const Invocation&)> run;
};

class Cli {
 public:
  // `version` is what `--version` prints after the program's name.
  explicit Cli(std::string program, std::string version = "")
      : program_(std::move(program)), version_(std::move(version)) {}
  void Add(Command c) { commands_.push_back(std::move(c)); }
  // Runs argv[1..].
  int Run(const std::vector<std::string>& argv, std::ostream& out, std::ostream& err) const;

 private:
  const Command* Find(const std::vector<std::string>& words, size_t* used) const;
  std::string Help(const Command& c) const;
  std::string TopHelp() const;
  // The commands whose names start with `words` ("cost" -> "cost
  // breakeven", "cost availability"): a group's list.
  std::string GroupHelp(const std::vector<std::string>& words) const;

  std::string program_;
  std::string version_;
  std::vector<Command> commands_;
};

int ExitCodeFor(const absl::Status& s);

}  // namespace etchsim::tools

#endif  // ETCHSIM_TOOLS_CLI_H_
