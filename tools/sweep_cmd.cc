// etchsim sweep [--sweep FILE] [--axis FIELD=VALUES ...] [scenario flags]
// etchsim sweep merge JOURNAL...
#include <atomic>
#include <chrono>
#include <csignal>
#include <iostream>
#include <thread>

#include <unistd.h>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_proto.h"
#include "base/text_table.h"
#include "sweep/axis.h"
#include "sweep/sweep.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/scenario_flags.h"

namespace etchsim::tools {
namespace {

// Set by SIGINT / SIGTERM: workers stop taking points, finished rows stay.
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop.store(true); }

class StopSignals {
 public:
  StopSignals() {
    g_stop = false;
    old_int_ = std::signal(SIGINT, OnStopSignal);
    old_term_ = std::signal(SIGTERM, OnStopSignal);
  }
  ~StopSignals() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }

 private:
  void (*old_int_)(int);
  void (*old_term_)(int);
};

// A bar redrawn in place on a terminal; a plain line every 5 s otherwise.
class Progress {
 public:
  Progress(std::ostream& err, bool tty) : err_(err), tty_(tty) {}
  void Update(int64_t done, int64_t total) {
    const auto now = std::chrono::steady_clock::now();
    const double since = std::chrono::duration<double>(now - last_).count();
    if (done < total && since < (tty_ ? 0.1 : 5.0)) return;
    last_ = now;
    const double wall = std::chrono::duration<double>(now - start_).count();
    const double rate = wall > 0 ? done / wall : 0;
    const double eta = rate > 0 ? (total - done) / rate : 0;
    const double frac = total > 0 ? static_cast<double>(done) / total : 1;
    if (tty_) {
      const int width = 30, fill = static_cast<int>(frac * width);
      err_ << absl::StrFormat("\r[%s%s] %3.0f%% %s/%s  %.0f points/s  ETA %.0f s ",
                              std::string(fill, '#'), std::string(width - fill, '.'), frac * 100,
                              base::WithCommas(done), base::WithCommas(total), rate, eta);
      if (done >= total) err_ << "\n";
    } else {
      err_ << absl::StrFormat("sweep: %d/%d points (%.0f%%), %.0f points/s, ETA %.0f s\n", done,
                              total, frac * 100, rate, eta);
    }
    err_.flush();
  }

 private:
  std::ostream& err_;
  bool tty_;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point last_ = start_;
};

const std::vector<std::string> kBaseFlags = {
    "scenario",        "model", "chip",      "chips",      "strategy",   "topology",
    "users",           "rate",  "input_len", "output_len", "duration",   "requests",
    "warmup",          "seed",  "kv_dtype",  "draft_len",  "acceptance", "tensor_parallel",
    "cards_per_server"};

absl::Status RunSweepCmd(const Invocation& inv) {
  std::optional<v1::Sweep> file;
  const std::string path = absl::GetFlag(FLAGS_sweep);
  if (inv.Given("sweep")) {
    for (const std::string& f : kBaseFlags) {
      if (inv.Given(f)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--sweep ", path, ": set --", f, " in the file's base scenario (or as an --axis)"));
      }
    }
    ASSIGN_OR_RETURN(std::string text, base::ReadFile(path));
    // The one text-proto parser: line and column, nothing logged.
    ASSIGN_OR_RETURN(file, base::ParseTextProto<v1::Sweep>(text, path));
  }
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(
      sweep::SweepSpec spec,
      sweep::MakeSpec(file ? &*file : nullptr, path, inv.All("axis"), absl::GetFlag(FLAGS_mode),
                      absl::GetFlag(FLAGS_rank_by), absl::GetFlag(FLAGS_top)));
  if (!file) {
    ASSIGN_OR_RETURN(spec.base, ScenarioFromFlags(inv));
  }
  if (inv.Given("filter")) spec.filter_infeasible = absl::GetFlag(FLAGS_filter);
  if (spec.axes.empty()) {
    return absl::InvalidArgumentError("sweep: give at least one --axis (or axes in --sweep)");
  }
  sweep::RunOptions opt;
  RETURN_IF_ERROR(
      sweep::ParseShard(absl::GetFlag(FLAGS_shard), &opt.shard_index, &opt.shard_count));
  const int jobs = absl::GetFlag(FLAGS_jobs);
  if (jobs < 0) return absl::InvalidArgumentError(absl::StrCat("--jobs must be >= 0, got ", jobs));
  opt.jobs = jobs > 0 ? jobs : std::max(1u, std::thread::hardware_concurrency());
  opt.out_dir = absl::GetFlag(FLAGS_out_dir);
  RETURN_IF_ERROR(sweep::CheckPoints(spec));
  Progress progress(inv.err, &inv.err == &std::cerr && ::isatty(STDERR_FILENO));
  opt.progress = [&progress](int64_t done, int64_t total) { progress.Update(done, total); };
  StopSignals signals;
  opt.stop = &g_stop;
  const auto wall0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(sweep::RunSummary sum, sweep::RunSweep(spec, opt));
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["points"] = sum.points;
    j["shard"] = {{"index", opt.shard_index}, {"count", opt.shard_count}};
    j["evaluated"] = sum.evaluated;
    j["resumed"] = sum.resumed;
    j["infeasible"] = sum.infeasible;
    j["builds"] = sum.builds;
    j["wall_s"] = wall;
    j["csv"] = sum.csv_path;
    j["jsonl"] = sum.jsonl_path;
    PrintJson(inv.out, j);
    return absl::OkStatus();
  }
  inv.out << absl::StrFormat(
      "%d point(s)%s: %d evaluated, %d resumed from the journal, %d infeasible, %d distinct "
      "build(s), %.3f wall s\n%s\n%s\n",
      sum.points,
      opt.shard_count > 1 ? absl::StrCat(" in shard ", opt.shard_index, "/", opt.shard_count) : "",
      sum.evaluated, sum.resumed, sum.infeasible, sum.builds, wall, sum.csv_path, sum.jsonl_path);
  return absl::OkStatus();
}

absl::Status RunMerge(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(sweep::RunSummary sum,
                   sweep::MergeShards(inv.args, absl::GetFlag(FLAGS_out_dir)));
  if (format == Format::kJson) {
    nlohmann::ordered_json j;
    j["points"] = sum.points;
    j["shards"] = inv.args.size();
    j["csv"] = sum.csv_path;
    j["jsonl"] = sum.jsonl_path;
    PrintJson(inv.out, j);
    return absl::OkStatus();
  }
  inv.out << absl::StrFormat("%d point(s) from %d shard(s)\n%s\n%s\n", sum.points, inv.args.size(),
                             sum.csv_path, sum.jsonl_path);
  return absl::OkStatus();
}

std::string AliasList() {
  std::vector<std::string> parts;
  for (const auto& [alias, path] : sweep::AxisAliases()) {
    parts.push_back(absl::StrCat(alias, " = ", path));
  }
  return absl::StrJoin(parts, "; ");
}

}  // namespace

void RegisterSweepCommands(Cli& cli) {
  std::vector<std::string> flags = kBaseFlags;
  flags.insert(flags.end(), {"sweep", "axis", "mode", "jobs", "out_dir", "shard", "top", "rank_by",
                             "filter", "format"});
  cli.Add({.name = "sweep",
           .summary = "Run a scenario over the cross product of axes, in parallel, to CSV "
                      "and JSONL.",
           .details = absl::StrCat(
               "Axes name any scalar field of etchsim.v1.Scenario by its path "
               "(cost.electricity_usd_per_kwh, topology.card_link) or an alias: ",
               AliasList(),
               ". An axis design.FIELD (FIELD as in 'etchsim chips design --help') "
               "replaces a design field of the point's chip, which must be a design "
               "(--chip @hc2, docs/silicon.md); it applies after every other axis. "
               "The base scenario is the --sweep file's, else the scenario flags'. "
               "A point that cannot be partitioned, or whose requests cannot fit, is a row "
               "with feasible=false and its reason. The output bytes depend only on the "
               "sweep, never on --jobs. At most ",
               base::WithCommas(sweep::kMaxSweepPoints),
               " points (the product of the axis sizes, checked first). Ctrl-C, SIGTERM or "
               "a crash keeps every finished row in the journal; rerunning the same command "
               "resumes. Each journal record carries a checksum: a journal that does not "
               "verify is refused, naming its line (a torn last record from a killed run is "
               "dropped and rerun). --shard I/N runs every N-th point; 'etchsim sweep merge' "
               "joins the shards' journals. sweep.csv and sweep.jsonl are written together "
               "or not at all; an output path that exists and is not a regular file (a "
               "symbolic link, a FIFO, a device other than /dev/null) is refused."),
           .flags = flags,
           .flag_defaults = {{"chips", "30"}},
           .run = RunSweepCmd});
  cli.Add({.name = "sweep merge",
           .args_usage = "JOURNAL...",
           .summary = "Join the journals of every shard of a sweep into one CSV and JSONL.",
           .details = "Each shard's out folder holds shard-I-of-N.journal; give all N. "
                      "Shards of different sweeps, a missing shard, an incomplete one or a "
                      "journal that does not verify are errors. sweep.csv and sweep.jsonl "
                      "are written together or not at all.",
           .flags = {"out_dir", "format"},
           .flag_help = {{"out_dir", "Folder for the merged sweep.csv and sweep.jsonl."}},
           .min_args = 1,
           .max_args = 1 << 20,
           .run = RunMerge});
}

}  // namespace etchsim::tools
