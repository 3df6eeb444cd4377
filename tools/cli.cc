#include "tools/cli.h"

#include <algorithm>
#include <ostream>

#include "absl/flags/commandlineflag.h"
#include "absl/flags/reflection.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace etchsim::tools {
namespace {

std::string Dashed(const std::string& s) { return absl::StrReplaceAll(s, {{"_", "-"}}); }
std::string Underscored(const std::string& s) { return absl::StrReplaceAll(s, {{"-", "_"}}); }

// Wraps text at ~76 columns with a hanging indent.
std::string Wrap(const std::string& text, size_t indent) {
  std::string out, line;
  for (absl::string_view word : absl::StrSplit(text, ' ', absl::SkipEmpty())) {
    if (!line.empty() && line.size() + 1 + word.size() + indent > 78) {
      out += line + "\n" + std::string(indent, ' ');
      line.clear();
    }
    if (!line.empty()) line += " ";
    line += std::string(word);
  }
  return out + line;
}

}  // namespace

int ExitCodeFor(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kOk:
      return 0;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kAlreadyExists:
      return 2;
    case absl::StatusCode::kResourceExhausted:
      return 3;
    default:
      return 1;
  }
}

const Command* Cli::Find(const std::vector<std::string>& words, size_t* used) const {
  const Command* best = nullptr;
  size_t best_len = 0;
  for (const Command& c : commands_) {
    std::vector<std::string> parts = absl::StrSplit(c.name, ' ');
    if (parts.size() > words.size() || parts.size() <= best_len) continue;
    if (std::equal(parts.begin(), parts.end(), words.begin())) {
      best = &c;
      best_len = parts.size();
    }
  }
  *used = best_len;
  return best;
}

std::string Cli::Help(const Command& c) const {
  std::string out = absl::StrCat("usage: ", program_, " ", c.name);
  if (!c.args_usage.empty()) absl::StrAppend(&out, " ", c.args_usage);
  if (!c.flags.empty()) absl::StrAppend(&out, " [flags]");
  absl::StrAppend(&out, "\n\n", Wrap(c.summary, 0), "\n");
  if (!c.details.empty()) {
    for (absl::string_view para : absl::StrSplit(c.details, "\n\n")) {
      absl::StrAppend(&out, "\n", Wrap(std::string(para), 0), "\n");
    }
  }
  if (!c.flags.empty()) {
    absl::StrAppend(&out, "\nflags:\n");
    for (const std::string& name : c.flags) {
      const absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
      if (f == nullptr) continue;
      std::string head = absl::StrCat("  --", Dashed(name));
      auto over = c.flag_defaults.find(name);
      std::string def = over != c.flag_defaults.end() ? over->second : f->DefaultValue();
      // A computed default (a failure rate from an MTBF) prints as its
      // shortest round trip, 17 digits: show six significant ones.
      double v = 0;
      if (f->IsOfType<double>() && def.size() > 12 && absl::SimpleAtod(def, &v)) {
        def = absl::StrFormat("%.6g", v);
      }
      if (!f->IsOfType<bool>()) absl::StrAppend(&head, "=", def.empty() ? "\"\"" : def);
      auto help = c.flag_help.find(name);
      const std::string text = help != c.flag_help.end() ? help->second : f->Help();
      absl::StrAppend(&out, head, "\n      ", Wrap(text, 6), "\n");
    }
  }
  absl::StrAppend(&out, "  --help\n      Show this help.\n");
  return out;
}

namespace {

// "commands:" and one aligned line per command, then where to look next:
// the top-level help and a group's share it.
std::string CommandList(const std::vector<const Command*>& commands, absl::string_view program) {
  size_t width = 0;
  for (const Command* c : commands) width = std::max(width, c->name.size());
  std::string out = "commands:\n";
  for (const Command* c : commands) {
    absl::StrAppend(&out, "  ", c->name, std::string(width - c->name.size() + 2, ' '), c->summary,
                    "\n");
  }
  absl::StrAppend(&out, "\nRun '", program, " COMMAND --help' for a command's flags.\n");
  return out;
}

}  // namespace

std::string Cli::TopHelp() const {
  std::vector<const Command*> all;
  for (const Command& c : commands_) all.push_back(&c);
  return absl::StrCat("usage: ", program_, " COMMAND [args] [flags]\n\n",
                      "etchsim simulates clusters of hard-wired-weight inference chips.\n\n",
                      CommandList(all, program_));
}

std::string Cli::GroupHelp(const std::vector<std::string>& words) const {
  std::vector<const Command*> members;
  for (const Command& c : commands_) {
    const std::vector<std::string> parts = absl::StrSplit(c.name, ' ');
    if (parts.size() > words.size() && std::equal(words.begin(), words.end(), parts.begin())) {
      members.push_back(&c);
    }
  }
  if (members.empty()) return "";
  return absl::StrCat("usage: ", program_, " ", absl::StrJoin(words, " "),
                      " COMMAND [args] [flags]\n\n", CommandList(members, program_));
}

int Cli::Run(const std::vector<std::string>& argv_in, std::ostream& out, std::ostream& err) const {
  std::vector<std::string> argv(argv_in.begin() + std::min<size_t>(1, argv_in.size()),
                                argv_in.end());
  if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
    out << TopHelp();
    return 0;
  }
  if (argv.size() == 1 && (argv[0] == "--version" || argv[0] == "version")) {
    out << program_ << " " << (version_.empty() ? "(no version)" : version_) << "\n";
    return 0;
  }
  // Command words are the leading arguments that are not flags.
  std::vector<std::string> words;
  for (const std::string& a : argv) {
    if (absl::StartsWith(a, "-")) break;
    words.push_back(a);
  }
  size_t used = 0;
  const Command* cmd = Find(words, &used);
  if (cmd == nullptr) {
    // A group's word alone ("etchsim cost"): its commands; with --help
    // that is the answer, without it the command is incomplete.
    if (const std::string group = words.empty() ? "" : GroupHelp(words); !group.empty()) {
      const bool help = argv.size() > words.size() &&
                        (argv[words.size()] == "--help" || argv[words.size()] == "-h");
      (help ? out : err) << group;
      return help ? 0 : 2;
    }
    err << program_ << ": unknown command \"" << argv[0] << "\"; run '" << program_
        << " --help' for the list\n";
    return 2;
  }
  // Start from defaults for every flag this command accepts.
  for (const std::string& name : cmd->flags) {
    absl::CommandLineFlag* f = absl::FindCommandLineFlag(name);
    if (f == nullptr) {
      err << program_ << ": internal error: flag --" << Dashed(name) << " is not defined\n";
      return 1;
    }
    std::string e;
    auto over = cmd->flag_defaults.find(name);
    f->ParseFrom(over != cmd->flag_defaults.end() ? over->second : f->DefaultValue(), &e);
  }
  std::set<std::string> given;
  std::map<std::string, std::vector<std::string>> values;
  std::vector<std::string> positional;
  bool only_positional = false;
  for (size_t i = used; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (only_positional || !absl::StartsWith(a, "-") || a == "-") {
      positional.push_back(a);
      continue;
    }
    if (a == "--") {
      only_positional = true;
      continue;
    }
    if (a == "--help" || a == "-h") {
      out << Help(*cmd);
      return 0;
    }
    absl::string_view body = a;
    if (!absl::ConsumePrefix(&body, "--")) absl::ConsumePrefix(&body, "-");
    std::string name(body), value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    std::string key = Underscored(name);
    bool negated = false;
    auto accepted = [&](const std::string& k) {
      return std::find(cmd->flags.begin(), cmd->flags.end(), k) != cmd->flags.end();
    };
    if (!accepted(key) && absl::StartsWith(key, "no") && accepted(key.substr(2))) {
      key = key.substr(2);
      negated = true;
    }
    if (!accepted(key)) {
      err << program_ << " " << cmd->name << ": unknown flag --" << name << " (see '" << program_
          << " " << cmd->name << " --help')\n";
      return 2;
    }
    absl::CommandLineFlag* f = absl::FindCommandLineFlag(key);
    if (f->IsOfType<bool>()) {
      if (negated && has_value) {
        err << program_ << " " << cmd->name << ": --" << name << " takes no value\n";
        return 2;
      }
      if (!has_value) value = negated ? "false" : "true";
    } else if (!has_value) {
      if (negated || i + 1 >= argv.size()) {
        err << program_ << " " << cmd->name << ": flag --" << name << " needs a value\n";
        return 2;
      }
      value = argv[++i];
    }
    std::string error;
    given.insert(key);
    values[key].push_back(value);
    if (!f->ParseFrom(value, &error)) {
      err << program_ << " " << cmd->name << ": invalid value \"" << value << "\" for --"
          << Dashed(key) << ": " << error << "\n";
      return 2;
    }
  }
  if (static_cast<int>(positional.size()) < cmd->min_args ||
      static_cast<int>(positional.size()) > cmd->max_args) {
    err << program_ << " " << cmd->name << ": expected "
        << (cmd->min_args == cmd->max_args ? absl::StrCat(cmd->min_args)
                                           : absl::StrCat(cmd->min_args, " to ", cmd->max_args))
        << " argument(s)" << (cmd->args_usage.empty() ? "" : " (" + cmd->args_usage + ")")
        << ", got " << positional.size()
        << (positional.empty() ? "" : ": " + absl::StrJoin(positional, " ")) << "\n";
    return 2;
  }
  const absl::Status s =
      cmd->run(Invocation{positional, out, err, std::move(given), std::move(values)});
  if (!s.ok()) {
    err << program_ << ": " << s.message() << "\n";
    return ExitCodeFor(s);
  }
  return 0;
}

}  // namespace etchsim::tools
