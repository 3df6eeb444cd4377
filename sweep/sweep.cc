#include "sweep/sweep.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "fabric/topology.h"
#include "google/protobuf/text_format.h"
#include "model/model_spec.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"
#include "silicon/reference.h"
#include "sim/scenario.h"
#include "sim/scenario_validate.h"
#include "sweep/journal.h"
#include "sweep/rows.h"

namespace etchsim::sweep {
namespace {

uint64_t Fnv1a(absl::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Describe(const SweepSpec& spec, const std::vector<std::string>& values) {
  std::vector<std::string> parts;
  for (size_t i = 0; i < spec.axes.size(); ++i) {
    parts.push_back(absl::StrCat(spec.axes[i].name, "=", values[i]));
  }
  return absl::StrJoin(parts, " ");
}

std::string ShardName(const RunOptions& o) {
  return o.shard_count > 1 ? absl::StrCat("shard-", o.shard_index, "-of-", o.shard_count) : "sweep";
}

// Names the outputs and checks that each may be written, before any work.
absl::Status OutputPaths(const std::string& dir, const std::string& name, RunSummary& sum) {
  sum.csv_path = (std::filesystem::path(dir) / (name + ".csv")).string();
  sum.jsonl_path = (std::filesystem::path(dir) / (name + ".jsonl")).string();
  RETURN_IF_ERROR(base::CheckOutputTarget(sum.csv_path));
  return base::CheckOutputTarget(sum.jsonl_path);
}

// The CSV and the JSONL: both or neither.
absl::Status WriteOutputs(const v1::SweepJournalHeader& h, const std::vector<v1::SweepRow>& rows,
                          const RunSummary& sum) {
  const std::string csv = RenderCsv(h, rows);
  const std::string jsonl = RenderJsonl(h, rows);
  return base::WriteFilesAtomically({{sum.csv_path, csv}, {sum.jsonl_path, jsonl}});
}

absl::Status MakeDir(const std::string& dir) {
  if (dir.empty()) return absl::InvalidArgumentError("--out-dir: give an output folder");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    // Classified as any write error: a full disk is not a bad flag.
    return absl::Status(
        base::WriteError(dir, ec.value()).code(),
        absl::StrCat("--out-dir ", dir, ": cannot create the folder: ", ec.message()));
  }
  return absl::OkStatus();
}

// "1,000 x 1,000 x 1,000 = 1,000,000,000", or "... = 1.84e+19" past int64.
std::string ProductText(const std::vector<Axis>& axes, int64_t product, bool overflow) {
  std::vector<std::string> sizes;
  double approx = 1;
  for (const Axis& a : axes) {
    sizes.push_back(base::WithCommas(static_cast<int64_t>(a.values.size())));
    approx *= static_cast<double>(a.values.size());
  }
  return absl::StrCat(absl::StrJoin(sizes, " x "), " = ",
                      overflow ? absl::StrFormat("%.3g", approx) : base::WithCommas(product));
}

// Evaluates `points` at `mode` on `jobs` threads; rows reach `sink` on this
// thread, in completion order.
absl::Status RunPass(const SweepSpec& spec, Evaluator& ev, Mode mode,
                     const std::vector<int64_t>& points, const RunOptions& opt,
                     const std::function<absl::Status(v1::SweepRow)>& sink) {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<v1::SweepRow> ready;
  absl::Status failure;
  std::atomic<size_t> next{0};
  std::atomic<bool> abort{false};
  int running = std::max(1, std::min<int>(opt.jobs, static_cast<int>(points.size())));
  auto worker = [&] {
    while (!abort.load() && !(opt.stop != nullptr && opt.stop->load())) {
      const size_t i = next.fetch_add(1);
      if (i >= points.size()) break;
      v1::SweepRow row;
      row.set_point(points[i]);
      row.set_mode(ModeName(mode));
      std::vector<std::string> values;
      const v1::Scenario s = spec.Point(points[i], &values);
      for (std::string& v : values) row.add_axis_values(std::move(v));
      absl::StatusOr<PointResult> r = ev.Evaluate(s, mode);
      std::lock_guard<std::mutex> l(mu);
      if (!r.ok()) {
        if (failure.ok()) {
          failure = absl::Status(r.status().code(),
                                 absl::StrCat("point ", points[i], ": ", r.status().message()));
        }
        abort = true;
        break;
      }
      row.set_feasible(r->feasible);
      row.set_reason(r->reason);
      for (v1::SweepCell& c : r->cells) *row.add_cells() = std::move(c);
      ready.push_back(std::move(row));
      cv.notify_one();
    }
    std::lock_guard<std::mutex> l(mu);
    --running;
    cv.notify_one();
  };
  std::vector<std::thread> threads;
  const int n = running;
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  absl::Status sink_status;
  while (true) {
    std::unique_lock<std::mutex> l(mu);
    cv.wait(l, [&] { return !ready.empty() || running == 0; });
    if (ready.empty() && running == 0) break;
    std::deque<v1::SweepRow> batch;
    batch.swap(ready);
    l.unlock();
    for (v1::SweepRow& row : batch) {
      if (!sink_status.ok()) break;
      sink_status = sink(std::move(row));
      if (!sink_status.ok()) abort = true;
    }
  }
  for (std::thread& t : threads) t.join();
  RETURN_IF_ERROR(failure);
  return sink_status;
}

// A verified journal of this sweep's header may still hold a row this
// sweep would not write (a forged or hand-edited record): its mode must be
// one this sweep runs and its axis values this sweep's for its point.
// Rows are on lines 3, 4, ... of the journal.
absl::Status CheckResumedRows(const SweepSpec& spec, const std::vector<v1::SweepRow>& rows,
                              const std::string& path) {
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::SweepRow& r = rows[i];
    const std::string where = absl::StrCat(path, ":", i + 3, ": point ", r.point());
    if ((r.mode() == "analytic" && !spec.analytic) || (r.mode() == "event" && !spec.event)) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": a row of mode ", r.mode(), ", which this sweep does not run"));
    }
    const std::vector<std::string> values = spec.Values(r.point());
    if (!std::equal(values.begin(), values.end(), r.axis_values().begin(), r.axis_values().end())) {
      return absl::FailedPreconditionError(
          absl::StrCat(where, ": axis values (", absl::StrJoin(r.axis_values(), ", "),
                       ") are not this sweep's (", absl::StrJoin(values, ", "), ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

int64_t SweepSpec::NumPoints() const {
  int64_t n = 1;
  for (const Axis& a : axes) n *= static_cast<int64_t>(a.values.size());
  return n;
}

std::vector<std::string> SweepSpec::Values(int64_t index) const {
  std::vector<std::string> values(axes.size());
  for (size_t k = axes.size(); k-- > 0;) {
    const int64_t n = static_cast<int64_t>(axes[k].values.size());
    values[k] = axes[k].values[index % n];
    index /= n;
  }
  return values;
}

v1::Scenario SweepSpec::Point(int64_t index, std::vector<std::string>* values,
                              absl::Status* status) const {
  v1::Scenario s = base;
  *values = Values(index);
  // Values were checked by ResolveAxis; design axes go last, onto the chip
  // the other axes chose, and fail only when it is no design (CheckPoints).
  for (bool design : {false, true}) {
    for (size_t k = 0; k < axes.size(); ++k) {
      if (axes[k].design_field.empty() == design) continue;
      absl::Status st = ApplyAxisValue(axes[k], (*values)[k], s);
      if (status != nullptr && status->ok()) *status = st;
    }
  }
  return s;
}

const std::vector<std::string>& SweepSpec::Columns() const {
  return Evaluator::Columns(event ? Mode::kEvent : Mode::kAnalytic);
}

std::string SweepSpec::Fingerprint() const {
  std::string text;
  google::protobuf::TextFormat::PrintToString(base, &text);
  for (const Axis& a : axes) absl::StrAppend(&text, "|", a.path, "=", absl::StrJoin(a.values, ","));
  absl::StrAppend(&text, "|", analytic, event, confirm_top, rank_by, rank_descending,
                  filter_infeasible);
  return absl::StrFormat("%016x", Fnv1a(text));
}

absl::StatusOr<SweepSpec> MakeSpec(const v1::Sweep* file, const std::string& source,
                                   const std::vector<std::string>& axis_flags,
                                   const std::string& mode, const std::string& rank_by,
                                   int confirm_top) {
  SweepSpec spec;
  std::vector<std::pair<v1::SweepAxis, std::string>> specs;
  std::string m = mode;
  std::string rank = rank_by;
  if (file != nullptr) {
    spec.base = file->has_base() ? file->base() : sim::DefaultScenario();
    for (const v1::SweepAxis& a : file->axes()) specs.emplace_back(a, source);
    if (m.empty()) m = file->mode();
    if (rank.empty()) rank = file->rank_by();
    if (confirm_top == 0) confirm_top = file->confirm_top();
    spec.filter_infeasible = file->filter_infeasible();
  } else {
    spec.base = sim::DefaultScenario();
  }
  for (const std::string& f : axis_flags) {
    ASSIGN_OR_RETURN(v1::SweepAxis a, ParseAxisFlag(f));
    specs.emplace_back(a, "--axis");
  }
  std::set<std::string> paths;
  for (const auto& [a, src] : specs) {
    ASSIGN_OR_RETURN(Axis axis, ResolveAxis(a, src));
    if (!paths.insert(axis.path).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(src, " ", axis.name, ": ", axis.path, " is already an axis"));
    }
    spec.axes.push_back(std::move(axis));
  }
  // Before anything walks the cross product: its size, overflow-checked.
  int64_t points = 1;
  bool overflow = false;
  for (const Axis& a : spec.axes) {
    overflow =
        overflow || __builtin_mul_overflow(points, static_cast<int64_t>(a.values.size()), &points);
  }
  if (overflow || points > kMaxSweepPoints) {
    return absl::InvalidArgumentError(
        absl::StrCat("sweep: ", ProductText(spec.axes, points, overflow),
                     " points, more than the limit of ", base::WithCommas(kMaxSweepPoints)));
  }
  if (m.empty() || m == "analytic") {
    spec.analytic = true;
    spec.event = false;
  } else if (m == "event") {
    spec.analytic = false;
    spec.event = true;
  } else if (m == "both") {
    spec.analytic = spec.event = true;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--mode must be analytic, event or both, got \"", m, "\""));
  }
  if (confirm_top < 0) {
    return absl::InvalidArgumentError(absl::StrCat("--top must be >= 1, got ", confirm_top));
  }
  if (confirm_top > 0) spec.confirm_top = confirm_top;
  if (!rank.empty()) {
    std::vector<std::string> p = absl::StrSplit(rank, ':');
    if (p.size() > 2 || (p.size() == 2 && p[1] != "min" && p[1] != "max")) {
      return absl::InvalidArgumentError(
          absl::StrCat("--rank-by \"", rank, "\": expected COLUMN or COLUMN:min|max"));
    }
    spec.rank_by = p[0];
    spec.rank_descending = p.size() == 2 && p[1] == "max";
  }
  const auto& cols = Evaluator::Columns(Mode::kAnalytic);
  if (std::find(cols.begin(), cols.end(), spec.rank_by) == cols.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--rank-by: \"", spec.rank_by,
                                                   "\" is not an analytic column (",
                                                   absl::StrJoin(cols, ", "), ")"));
  }
  return spec;
}

absl::Status CheckPoints(const SweepSpec& spec) {
  // A name that does not exist (a chip, a KV dtype, a link preset) is a
  // typo in the sweep, not an infeasible point: refused before anything
  // runs. Each distinct name is checked (or its file loaded) once;
  // validation runs per point (it is cheap).
  std::set<std::pair<std::string, std::string>> seen;  // (kind, name)
  const int64_t n = spec.NumPoints();
  std::vector<std::string> values;
  for (int64_t i = 0; i < n; ++i) {
    absl::Status applied;
    v1::Scenario s = spec.Point(i, &values, &applied);
    sim::ApplyDefaults(s);
    auto fail = [&](const absl::Status& st) {
      return absl::Status(st.code(), absl::StrCat("sweep point ", i, " (", Describe(spec, values),
                                                  "): ", st.message()));
    };
    if (!applied.ok()) return fail(applied);
    if (absl::Status st = sim::ValidateScenario(s); !st.ok()) {
      return absl::InvalidArgumentError(fail(st).message());
    }
    auto check = [&](const std::string& kind, const std::string& name,
                     auto&& load) -> absl::Status {
      if (name.empty() || !seen.insert({kind, name}).second) return absl::OkStatus();
      absl::Status st = load(name);
      return st.ok() ? st : fail(st);
    };
    // A design that cannot be built (past the reticle, no good die) is an
    // infeasible point with its reason, not a typo.
    auto chip = [](const std::string& x) {
      absl::Status st = silicon::LoadChip(x).status();
      return silicon::IsDesignReference(x) && st.code() == absl::StatusCode::kFailedPrecondition
                 ? absl::OkStatus()
                 : st;
    };
    auto link = [](const std::string& x) { return fabric::LoadLinkSpec(x).status(); };
    RETURN_IF_ERROR(check("model", s.model(),
                          [](const std::string& x) { return model::LoadModelConfig(x).status(); }));
    RETURN_IF_ERROR(check("chip", s.chip(), chip));
    RETURN_IF_ERROR(check("chip", s.disaggregation().prefill_chip(), chip));
    RETURN_IF_ERROR(check("chip", s.attention_ffn().attention_chip(), chip));
    RETURN_IF_ERROR(check("kv_dtype", s.kv_dtype(),
                          [](const std::string& x) { return model::ParseKvDtype(x).status(); }));
    auto strategy = [](const std::string& x) { return partitioner::StrategyNamed(x).status(); };
    RETURN_IF_ERROR(check("strategy", s.strategy(), strategy));
    RETURN_IF_ERROR(check("strategy", s.disaggregation().prefill_strategy(), strategy));
    v1::TopologySpec topo = s.topology();
    fabric::ApplyTopologyDefaults(topo);
    RETURN_IF_ERROR(check("topology", topo.kind(), [](const std::string& x) {
      return fabric::TopologyKindNamed(x).status();
    }));
    RETURN_IF_ERROR(check("link", topo.chip_link(), link));
    RETURN_IF_ERROR(check("link", topo.card_link(), link));
    RETURN_IF_ERROR(check("link", topo.server_link(), link));
  }
  return absl::OkStatus();
}

absl::Status ParseShard(const std::string& s, int* index, int* count) {
  std::vector<std::string> p = absl::StrSplit(s, '/');
  if (p.size() != 2 || !absl::SimpleAtoi(p[0], index) || !absl::SimpleAtoi(p[1], count) ||
      *count < 1 || *index < 0 || *index >= *count) {
    return absl::InvalidArgumentError(
        absl::StrCat("--shard \"", s, "\": expected I/N with 0 <= I < N"));
  }
  return absl::OkStatus();
}

absl::StatusOr<RunSummary> RunSweep(const SweepSpec& spec, const RunOptions& opt) {
  RETURN_IF_ERROR(MakeDir(opt.out_dir));
  RunSummary sum;
  const std::string name = ShardName(opt);
  sum.journal_path = (std::filesystem::path(opt.out_dir) / (name + ".journal")).string();
  v1::SweepJournalHeader header;
  header.set_fingerprint(spec.Fingerprint());
  for (const Axis& a : spec.axes) header.add_axes(a.name);
  for (const std::string& c : spec.Columns()) header.add_columns(c);
  header.set_points(spec.NumPoints());
  header.set_shard_index(opt.shard_index);
  header.set_shard_count(opt.shard_count);
  header.set_filter_infeasible(spec.filter_infeasible);

  RETURN_IF_ERROR(base::CheckOutputTarget(sum.journal_path));
  RETURN_IF_ERROR(OutputPaths(opt.out_dir, name, sum));

  std::vector<v1::SweepRow> rows;
  int64_t resume_bytes = 0;
  absl::StatusOr<Journal> old = ReadJournal(sum.journal_path);
  if (old.ok()) {
    if (old->header.SerializeAsString() != header.SerializeAsString()) {
      return absl::FailedPreconditionError(
          absl::StrCat(sum.journal_path, " belongs to a different sweep (fingerprint ",
                       old->header.fingerprint(), ", this one ", header.fingerprint(),
                       "); use another --out-dir or delete it"));
    }
    RETURN_IF_ERROR(CheckResumedRows(spec, old->rows, sum.journal_path));
    rows = std::move(old->rows);
    resume_bytes = old->valid_bytes;
  } else if (!absl::IsNotFound(old.status())) {
    return old.status();
  }
  sum.resumed = static_cast<int64_t>(rows.size());
  std::set<std::pair<int64_t, std::string>> done;
  for (const v1::SweepRow& r : rows) done.emplace(r.point(), r.mode());
  ASSIGN_OR_RETURN(JournalWriter writer,
                   JournalWriter::Open(sum.journal_path, header, resume_bytes));

  std::vector<int64_t> mine;
  for (int64_t i = opt.shard_index; i < spec.NumPoints(); i += opt.shard_count) mine.push_back(i);
  sum.points = static_cast<int64_t>(mine.size());
  const int64_t total =
      sum.points * (spec.analytic ? 1 : 0) +
      (spec.event ? (spec.analytic ? std::min<int64_t>(spec.confirm_top, sum.points) : sum.points)
                  : 0);
  int64_t finished = sum.resumed;
  Evaluator ev;
  auto sink = [&](v1::SweepRow row) -> absl::Status {
    if (absl::Status st = writer.Append(row); !st.ok()) {
      return absl::Status(st.code(), absl::StrCat(st.message(), "; ", rows.size(),
                                                  " row(s) kept in the journal, rerun to resume"));
    }
    if (!row.feasible()) ++sum.infeasible;
    ++sum.evaluated;
    rows.push_back(std::move(row));
    if (opt.progress) opt.progress(++finished, total);
    return absl::OkStatus();
  };
  auto todo = [&](const std::vector<int64_t>& pts, Mode m) {
    std::vector<int64_t> out;
    for (int64_t p : pts) {
      if (!done.contains({p, ModeName(m)})) out.push_back(p);
    }
    return out;
  };
  if (spec.analytic) {
    RETURN_IF_ERROR(RunPass(spec, ev, Mode::kAnalytic, todo(mine, Mode::kAnalytic), opt, sink));
  }
  if (opt.stop != nullptr && opt.stop->load()) {
    return absl::CancelledError(absl::StrCat("interrupted: ", rows.size(), " row(s) kept in ",
                                             sum.journal_path, "; rerun to resume"));
  }
  if (spec.event) {
    std::vector<int64_t> confirm = mine;
    if (spec.analytic) {
      // The best confirm_top feasible analytic rows by rank_by; ties by point.
      const auto& cols = Evaluator::Columns(Mode::kAnalytic);
      const size_t c = std::find(cols.begin(), cols.end(), spec.rank_by) - cols.begin();
      std::vector<std::pair<double, int64_t>> ranked;
      for (const v1::SweepRow& r : rows) {
        double v;
        if (r.mode() != "analytic" || !r.feasible() || static_cast<int>(c) >= r.cells_size() ||
            !CellNumber(r.cells(c), &v)) {
          continue;
        }
        ranked.emplace_back(spec.rank_descending ? -v : v, r.point());
      }
      std::sort(ranked.begin(), ranked.end());
      confirm.clear();
      for (size_t i = 0; i < ranked.size() && static_cast<int>(i) < spec.confirm_top; ++i) {
        confirm.push_back(ranked[i].second);
      }
      std::sort(confirm.begin(), confirm.end());
    }
    RETURN_IF_ERROR(RunPass(spec, ev, Mode::kEvent, todo(confirm, Mode::kEvent), opt, sink));
  }
  if (opt.stop != nullptr && opt.stop->load()) {
    return absl::CancelledError(absl::StrCat("interrupted: ", rows.size(), " row(s) kept in ",
                                             sum.journal_path, "; rerun to resume"));
  }
  sum.builds = ev.builds();
  if (absl::Status st = WriteOutputs(header, rows, sum); !st.ok()) {
    return absl::Status(st.code(), absl::StrCat(st.message(), "; every row is in ",
                                                sum.journal_path, ", rerun to write them"));
  }
  return sum;
}

absl::StatusOr<RunSummary> MergeShards(const std::vector<std::string>& journals,
                                       const std::string& out_dir) {
  if (journals.empty()) {
    return absl::InvalidArgumentError("sweep merge: give the shard journals to merge");
  }
  std::map<int, Journal> shards;
  v1::SweepJournalHeader first;
  std::string first_path;
  for (const std::string& path : journals) {
    ASSIGN_OR_RETURN(Journal j, ReadJournal(path));
    v1::SweepJournalHeader h = j.header;
    h.clear_shard_index();
    if (shards.empty()) {
      first = h;
      first_path = path;
    } else if (h.fingerprint() != first.fingerprint()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": a shard of a different sweep (fingerprint ", h.fingerprint(),
                       ", but ", first_path, " has ", first.fingerprint(), ")"));
    } else if (h.shard_count() != first.shard_count()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": shard ", j.header.shard_index(), " of ", h.shard_count(), ", but ", first_path,
          " is a shard of ", first.shard_count(), "; merge the shards of one --shard I/N run"));
    } else if (h.SerializeAsString() != first.SerializeAsString()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": the same fingerprint as ", first_path,
                       " but other axes, columns or points (an etchsim of another version?)"));
    }
    const int index = j.header.shard_index();
    if (shards.contains(index)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": shard ", index, " given twice"));
    }
    shards.emplace(index, std::move(j));
  }
  const int count = first.shard_count();
  std::vector<int> missing;
  for (int i = 0; i < count; ++i) {
    if (!shards.contains(i)) missing.push_back(i);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "sweep merge: shard(s) ", absl::StrJoin(missing, ", "), " of ", count, " missing"));
  }
  RETURN_IF_ERROR(MakeDir(out_dir));
  RunSummary sum;
  RETURN_IF_ERROR(OutputPaths(out_dir, "sweep", sum));
  std::vector<v1::SweepRow> rows;
  std::set<int64_t> analytic_points, points;
  for (auto& [index, j] : shards) {
    for (v1::SweepRow& r : j.rows) {
      points.insert(r.point());
      rows.push_back(std::move(r));
    }
  }
  // A shard is complete when each of its points has a row.
  for (int i = 0; i < count; ++i) {
    for (int64_t p = i; p < first.points(); p += count) {
      if (!points.contains(p)) {
        return absl::FailedPreconditionError(absl::StrCat("sweep merge: shard ", i,
                                                          " is incomplete (no row for point ", p,
                                                          "); rerun it to resume"));
      }
    }
  }
  sum.points = first.points();
  v1::SweepJournalHeader h = first;
  h.set_shard_count(1);
  RETURN_IF_ERROR(WriteOutputs(h, rows, sum));
  return sum;
}

}  // namespace etchsim::sweep
