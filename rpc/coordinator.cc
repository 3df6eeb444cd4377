#include "rpc/coordinator.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "cost/energy.h"
#include "model/zoo.h"
#include "report/analytic.h"
#include "report/report.h"
#include "rpc/batch_validate.h"
#include "rpc/liveness.h"
#include "rpc/peer.h"
#include "rpc/sim_node.h"
#include "rpc/status.h"
#include "rpc/wire.h"
#include "serving/faults.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::rpc {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::system_clock::time_point Deadline(double s) {
  return std::chrono::system_clock::now() +
         std::chrono::milliseconds(static_cast<int64_t>(s * 1000));
}

std::string NewRunId() {
  std::random_device rd;
  return absl::StrFormat("run-%08x%08x", rd(), rd());
}

}  // namespace

absl::StatusOr<int> ProcessesNeeded(const v1::Scenario& scenario, int chips_per_process) {
  ASSIGN_OR_RETURN(auto sim, sim::Simulation::Build(scenario));
  return sim::NumRanks(sim->num_stages(), chips_per_process) - 1;
}

namespace {

// One run over chip processes, in the order RunDistributed takes its steps.
class DistributedRun {
 public:
  DistributedRun(std::shared_ptr<const sim::Simulation> sim, const DistributedOptions& opt,
                 std::string model_json)
      : sim_(std::move(sim)),
        opt_(opt),
        model_json_(std::move(model_json)),
        run_id_(NewRunId()),
        creds_(opt.channel_credentials ? opt.channel_credentials
                                       : grpc::InsecureChannelCredentials()),
        stages_(sim_->num_stages()),
        per_(opt.chips_per_process),
        procs_(sim::NumRanks(stages_, per_) - 1),
        node_(io_, sim_, 0, run_id_, per_) {}

  // 1. Every chip builds the same run and hosts its stage.
  absl::Status LoadShards();
  // 2. Rank 0 on this thread's io_context; a stream to every chip.
  void OpenStreams();
  // Static run figures for the metrics.
  absl::Status PublishRunInfo();
  // 3. Runs until every rank finished, with progress, metrics and a stall
  // watchdog on a timer; on failure, cancels and shuts the chips down.
  absl::Status RunToEnd();
  // 4. Every rank's statistics, clipped at the end time, as the report.
  absl::StatusOr<v1::Report> Collect();

 private:
  // Chip process p (rank p + 1): "chip 3 (ADDR)" or "chips 10-19 (ADDR)".
  std::string Name(int p) const {
    return absl::StrCat(NameOfRank(node_.plan(), *sim_, p + 1), " (", opt_.chip_addresses[p], ")");
  }
  void ShutdownAll(double deadline_s);
  void Tick();
  // Health checks on the side: a process that stops answering them fails
  // the run; a chip's report that it lost another is checked against the
  // lost one's answer (dead, or a network cut between two live ones).
  void ProbeAll();
  void OnLossReport(int reporter, int lost, const std::string& error);
  double WallSeconds() const {
    return std::chrono::duration<double>(Clock::now() - started_).count();
  }

  std::shared_ptr<const sim::Simulation> sim_;
  const DistributedOptions& opt_;
  std::string model_json_;
  std::string run_id_;
  std::shared_ptr<grpc::ChannelCredentials> creds_;
  int stages_;
  int per_;    // chips (stages) per process
  int procs_;  // chip processes
  asio::io_context io_;
  SimNode node_;
  std::vector<std::shared_ptr<grpc::Channel>> channels_;  // one per chip process
  std::vector<std::unique_ptr<v1::ChipService::Stub>> stubs_;
  std::vector<std::shared_ptr<ClientPeer>> streams_;
  std::string failure_;
  bool finished_ = false;
  Clock::time_point started_;
  // Stall watchdog.
  std::optional<asio::steady_timer> timer_;
  Clock::time_point last_progress_at_;
  SimTime last_gvt_;
  uint64_t last_events_ = 0;
  // Declared after io_: destroyed (in-flight checks cancelled and waited
  // for) before the io_context their answers are posted to.
  std::unique_ptr<LivenessProbe> probe_;
};

absl::Status DistributedRun::LoadShards() {
  for (int k = 0; k < procs_; ++k) {
    channels_.push_back(
        grpc::CreateCustomChannel(opt_.chip_addresses[k], creds_, PeerChannelArgs()));
    stubs_.push_back(v1::ChipService::NewStub(channels_.back()));
  }
  for (int k = 0; k < procs_; ++k) {
    v1::LoadShardRequest req;
    req.set_run_id(run_id_);
    *req.mutable_scenario() = sim_->scenario();
    req.set_model_config_json(model_json_);
    *req.mutable_chip() = sim_->chip();
    if (sim_->has_second_pool()) *req.mutable_second_chip() = sim_->second_chip();
    req.set_stage(k * per_);
    req.set_stages_per_process(per_);
    for (int s = k * per_; s < std::min(stages_, (k + 1) * per_); ++s) {
      *req.add_shards() = sim_->shard(s);
    }
    for (const std::string& a : opt_.chip_addresses) req.add_process_addresses(a);
    req.set_wire_version(kWireVersion);
    req.set_event_bytes(kEventBytes);
    // Not wait_for_ready: a dead address fails at once with the reason
    // (connection refused), retried for connect_timeout_s in case the chip
    // is still starting, instead of a bare deadline after rpc_deadline_s.
    const auto give_up = std::chrono::steady_clock::now() +
                         std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                             std::chrono::duration<double>(opt_.connect_timeout_s));
    grpc::Status s;
    while (true) {
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(opt_.rpc_deadline_s));
      v1::LoadShardResponse resp;
      s = stubs_[k]->LoadShard(&ctx, req, &resp);
      if (s.error_code() != grpc::StatusCode::UNAVAILABLE ||
          std::chrono::steady_clock::now() >= give_up) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) {
      if (opt_.metrics) opt_.metrics->RpcError();
      return absl::UnavailableError(absl::StrCat(
          Name(k), ": unavailable for ", opt_.connect_timeout_s, " s: ", s.error_message()));
    }
    if (!s.ok()) {
      // The chip's own code: its INVALID_ARGUMENT is the scenario's fault.
      if (opt_.metrics) opt_.metrics->RpcError();
      return FromGrpcStatus(s, absl::StrCat(Name(k), ": LoadShard failed"));
    }
  }
  return absl::OkStatus();
}

void DistributedRun::OpenStreams() {
  node_.on_failure = [this](const std::string& why) {
    failure_ = why;
    io_.stop();
  };
  node_.on_all_finished = [this] {
    finished_ = true;
    io_.stop();
  };
  probe_ = std::make_unique<LivenessProbe>(
      channels_, opt_.liveness_timeout_s > 0 ? opt_.liveness_timeout_s : opt_.rpc_deadline_s);
  node_.on_peer_loss_report = [this](int reporter, int lost, const std::string& error) {
    OnLossReport(reporter, lost, error);
  };
  const auto limits = std::make_shared<const PeerLimits>(LimitsFor(*sim_, 0, per_));
  for (int k = 0; k < procs_; ++k) {
    v1::Batch hello;
    hello.set_run_id(run_id_);
    hello.set_from_rank(0);
    hello.set_hello(true);
    const int rank = k + 1;
    // Reads of one stream come one at a time, so its check needs no lock.
    auto check = std::make_shared<StreamCheck>(*limits, rank);
    auto peer = ClientPeer::Open(
        grpc::CreateCustomChannel(opt_.chip_addresses[k], creds_, PeerChannelArgs()), rank, hello,
        opt_.stream_deadline_s,
        [this, limits, check, rank](std::shared_ptr<v1::Batch> b) {
          // A chip is a peer like any other: its batches are checked before
          // they reach the host and switch LPs.
          if (absl::Status v = check->Check(*b); !v.ok()) {
            asio::post(io_, [this, rank, v] {
              node_.Fail(absl::StrCat("bad batch from ", Name(rank - 1), ": ", v.message()));
            });
            return;
          }
          asio::post(io_, [this, b] { node_.OnBatch(b); });
        },
        [this, rank](const grpc::Status& s) {
          asio::post(io_, [this, rank, s] { node_.OnPeerClosed(rank, s); });
        });
    streams_.push_back(peer);
    node_.AddPeer(peer);
  }
}

absl::Status DistributedRun::PublishRunInfo() {
  if (!opt_.metrics) return absl::OkStatus();
  // The run's identity as the report will name it (its scenario summary),
  // and the report's cost computation at the two ends of the power range:
  // every device idle and every device active.
  const v1::Scenario& sc = sim_->scenario();
  const sim::SimulationResult skeleton = sim_->Skeleton();
  ASSIGN_OR_RETURN(const v1::Report names, report::BuildReport(skeleton, report::Analyze(*sim_)));
  cost::CostInputs ci = report::HardwareCostInputs(skeleton, sc, 1.0);
  const double active_w = ci.it_power_watts;
  const double idle_w = report::HardwareCostInputs(skeleton, sc, 0.0).it_power_watts;
  ci.it_power_watts = active_w;
  ASSIGN_OR_RETURN(const cost::CostBreakdown active, cost::ComputeCost(ci));
  ci.it_power_watts = idle_w;
  ASSIGN_OR_RETURN(const cost::CostBreakdown idle, cost::ComputeCost(ci));
  RunInfo info;
  info.run_id = run_id_;
  info.names = names;
  info.kv_capacity_tokens = static_cast<double>(sim_->kv_capacity_tokens());
  info.cost_usd_per_hour_active = active.total_usd_per_hour;
  info.cost_usd_per_hour_idle = idle.total_usd_per_hour;
  info.power_watts_active = active_w;
  info.power_watts_idle = idle_w;
  opt_.metrics->SetRunInfo(info);
  return absl::OkStatus();
}

void DistributedRun::Tick() {
  timer_->expires_after(std::chrono::milliseconds(500));
  timer_->async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    const NodeSnapshot snap = node_.Snapshot();
    const double wall = WallSeconds();
    if (opt_.metrics) opt_.metrics->Update(snap, wall);
    if (opt_.progress) {
      v1::RunProgress p;
      p.set_run_id(run_id_);
      p.set_virtual_s(node_.gvt().ToSeconds());
      p.set_wall_s(wall);
      p.set_events(static_cast<int64_t>(node_.total_events()));
      p.set_requests_completed(snap.completed);
      opt_.progress(p);
    }
    if (opt_.cancelled && opt_.cancelled()) {
      node_.Fail("the run was cancelled");
      return;
    }
    if (opt_.liveness_timeout_s > 0) ProbeAll();
    if (node_.gvt() > last_gvt_ || snap.events != last_events_) {
      last_gvt_ = node_.gvt();
      last_events_ = snap.events;
      last_progress_at_ = Clock::now();
    } else if (std::chrono::duration<double>(Clock::now() - last_progress_at_).count() >
               opt_.stall_timeout_s) {
      const auto [slow, t] = node_.slowest();
      node_.Fail(absl::StrFormat("no progress for %.0f s at virtual time %s; waiting on %s (at %s)",
                                 opt_.stall_timeout_s, node_.gvt().ToString(),
                                 slow > 0 ? Name(slow - 1) : std::string("the coordinator"),
                                 t.ToString()));
      return;
    }
    Tick();
  });
}

void DistributedRun::ProbeAll() {
  for (int p = 0; p < procs_; ++p) {
    probe_->Check(p, [this, p](const grpc::Status& s) {
      if (s.ok()) return;
      asio::post(io_, [this, p, s] {
        if (node_.failed() || finished_) return;
        const bool silent = s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
        const std::string what =
            silent ? absl::StrFormat(
                         "no answer to a health check within %g s: its process is paused "
                         "(SIGSTOP, docker pause) or the network to it is cut; check "
                         "docker-compose ps / kubectl get pods and the network between here "
                         "and there",
                         opt_.liveness_timeout_s)
                   : std::string(
                         "its health check failed: its process exited or is "
                         "unreachable (check that it is running and its log for why it "
                         "stopped)");
        node_.Fail(absl::StrFormat("%s stopped answering at virtual time %s: %s; gRPC said: %s",
                                   Name(p), node_.gvt().ToString(), what, s.error_message()),
                   p + 1);
      });
    });
  }
}

void DistributedRun::OnLossReport(int reporter, int lost, const std::string& error) {
  // The lost chip's process answers the coordinator: both ends are alive
  // and the network between them failed. Otherwise the report stands.
  probe_->Check(lost - 1, [this, reporter, lost, error](const grpc::Status& s) {
    asio::post(io_, [this, reporter, lost, error, s] {
      if (node_.failed() || finished_) return;
      const std::string by = NameOfRank(node_.plan(), *sim_, reporter);
      if (s.ok()) {
        node_.Fail(absl::StrCat("the network between ", Name(reporter - 1), " and ", Name(lost - 1),
                                " is cut: both processes answer the coordinator, but ", by,
                                " lost its stream to ", NameOfRank(node_.plan(), *sim_, lost),
                                " (check firewalls, network policies and the network between "
                                "their containers or hosts); ",
                                by, " said: ", error),
                   lost, reporter);
      } else {
        node_.Fail(absl::StrCat(error, " (reported by ", by, ")"), lost, reporter);
      }
    });
  });
}

absl::Status DistributedRun::RunToEnd() {
  started_ = Clock::now();
  last_progress_at_ = Clock::now();
  timer_.emplace(io_);
  Tick();
  io_.run();
  timer_->cancel();
  if (opt_.metrics) {
    opt_.metrics->Update(node_.Snapshot(), WallSeconds());
    opt_.metrics->EndRun();
  }
  if (finished_) return absl::OkStatus();
  if (failure_.empty()) failure_ = "the run stopped without finishing";
  // Writes are queued, not sent on the spot: let the error batches go out
  // (a second at most in all) before the streams are cancelled.
  const auto drain_until = Clock::now() + std::chrono::seconds(1);
  for (auto& s : streams_) {
    s->Drain(std::max(0.0, std::chrono::duration<double>(drain_until - Clock::now()).count()));
  }
  for (auto& s : streams_) s->Cancel();
  ShutdownAll(2);
  for (auto& s : streams_) s->CloseAndJoin();
  if (opt_.metrics) opt_.metrics->RpcError();
  return absl::UnavailableError(failure_);
}

void DistributedRun::ShutdownAll(double deadline_s) {
  // All at once: a paused or unreachable process costs one deadline, not
  // one each in turn.
  struct Call {
    grpc::ClientContext ctx;
    v1::ShutdownRequest req;
    v1::ShutdownResponse resp;
  };
  std::vector<Call> calls(procs_);
  std::mutex mu;
  std::condition_variable cv;
  int pending = procs_;
  for (int k = 0; k < procs_; ++k) {
    Call& c = calls[k];
    c.ctx.set_deadline(Deadline(deadline_s));
    c.req.set_run_id(run_id_);
    stubs_[k]->async()->Shutdown(&c.ctx, &c.req, &c.resp, [&](grpc::Status) {
      std::lock_guard<std::mutex> lock(mu);
      if (--pending == 0) cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return pending == 0; });
}

absl::StatusOr<v1::Report> DistributedRun::Collect() {
  const SimTime end = node_.end();
  std::vector<sim::LpResult> parts = node_.Finalize(end);
  uint64_t events = node_.executor().events_processed();
  for (int k = 0; k < procs_; ++k) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(opt_.rpc_deadline_s));
    v1::StatsRequest req;
    req.set_run_id(run_id_);
    req.set_end_ps(end.picos());
    v1::ProcessStats stats;
    const grpc::Status s = stubs_[k]->GetStats(&ctx, req, &stats);
    if (!s.ok()) {
      ShutdownAll(2);
      return absl::UnavailableError(
          absl::StrCat(Name(k), ": GetStats failed: ", s.error_message()));
    }
    // A peer's answer: exactly the stages this process hosts, in order,
    // with numbers its stages could have measured.
    const int first = k * per_, hosted = std::min(stages_, first + per_) - first;
    if (absl::Status v = ValidateProcessStats(stats, *sim_, first, hosted, end); !v.ok()) {
      ShutdownAll(2);
      return absl::DataLossError(absl::StrCat(Name(k), ": GetStats answered ", v.message()));
    }
    for (const v1::ChipStats& chip : stats.chips()) {
      parts.push_back(FromProto(chip, sim_->stage_lp(chip.stage())));
    }
    events += static_cast<uint64_t>(stats.events_processed());
  }
  node_.Quiesce();
  ShutdownAll(opt_.rpc_deadline_s);
  for (auto& s : streams_) s->CloseAndJoin();
  io_.restart();
  io_.poll();  // drain stream-closed notifications

  const sim::SimulationResult result = sim_->Assemble(parts, end, events);
  ASSIGN_OR_RETURN(v1::Report report, report::BuildReport(result, report::Analyze(*sim_)));
  if (opt_.metrics) opt_.metrics->PublishReport(report);
  if (opt_.progress) {
    v1::RunProgress p;
    p.set_run_id(run_id_);
    p.set_virtual_s(end.ToSeconds());
    p.set_wall_s(WallSeconds());
    p.set_events(static_cast<int64_t>(events));
    p.set_requests_completed(report.requests_completed());
    p.set_done(true);
    opt_.progress(p);
  }
  return report;
}

}  // namespace

absl::StatusOr<v1::Report> RunDistributed(const v1::Scenario& scenario,
                                          const DistributedOptions& opt) {
  RETURN_IF_ERROR(serving::CheckNoFaultsForDistributed(scenario));
  sim::BuildOverrides overrides;
  overrides.chip = opt.chip;
  overrides.model_config_json = opt.model_config_json;
  ASSIGN_OR_RETURN(std::unique_ptr<sim::Simulation> sim,
                   sim::Simulation::Build(scenario, overrides));
  if (opt.chips_per_process < 1 || opt.chips_per_process > serving::kMaxChips) {
    return absl::InvalidArgumentError(absl::StrCat(
        "chips per process must be in [1, ", serving::kMaxChips, "], got ", opt.chips_per_process));
  }
  const int stages = sim->num_stages();
  const int procs = sim::NumRanks(stages, opt.chips_per_process) - 1;
  if (static_cast<int>(opt.chip_addresses.size()) != procs) {
    return absl::InvalidArgumentError(absl::StrCat(
        "this scenario needs ", procs, " chip processes (", stages, " chips, ",
        opt.chips_per_process, " per process), got ", opt.chip_addresses.size(), " addresses"));
  }
  std::string model_json;
  if (opt.model_config_json != nullptr) {
    model_json = *opt.model_config_json;
  } else {
    ASSIGN_OR_RETURN(model_json, model::ModelConfigText(sim->scenario().model()));
  }
  DistributedRun run(std::move(sim), opt, std::move(model_json));
  // From here the previous run's figures are gone (a dashboard must not
  // show them as this run's), and every way out ends the run's series.
  if (opt.metrics) opt.metrics->StartRun(-1);
  auto ended = [&](absl::Status s) {
    if (opt.metrics) opt.metrics->EndRun();
    return s;
  };
  if (absl::Status s = run.LoadShards(); !s.ok()) return ended(s);
  run.OpenStreams();
  if (absl::Status s = run.PublishRunInfo(); !s.ok()) return ended(s);
  if (absl::Status s = run.RunToEnd(); !s.ok()) return s;  // RunToEnd ended them
  absl::StatusOr<v1::Report> report = run.Collect();
  if (!report.ok()) return ended(report.status());
  return report;
}

CoordinatorServer::CoordinatorServer(std::vector<std::string> chip_addresses,
                                     ProcessMetrics* metrics, double stall_timeout_s,
                                     std::shared_ptr<grpc::ChannelCredentials> channel_credentials,
                                     int chips_per_process, double liveness_timeout_s)
    : chips_(std::move(chip_addresses)),
      chips_per_process_(chips_per_process),
      metrics_(metrics),
      stall_timeout_s_(stall_timeout_s),
      liveness_timeout_s_(liveness_timeout_s),
      channel_credentials_(std::move(channel_credentials)) {}

grpc::Status CoordinatorServer::StartRun(grpc::ServerContext* ctx, const v1::RunRequest* req,
                                         grpc::ServerWriter<v1::RunProgress>* writer) {
  std::unique_lock<std::mutex> one_at_a_time(mu_, std::try_to_lock);
  if (!one_at_a_time.owns_lock()) {
    return ToGrpcStatus(absl::ResourceExhaustedError("a run is already in progress"));
  }
  if (req->scenario_textproto().size() > (size_t{1} << 20)) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("StartRun: scenario_textproto must be at most 1 MiB, got ",
                     req->scenario_textproto().size(), " bytes")));
  }
  auto scenario = sim::ParseScenario(req->scenario_textproto(), "scenario");
  if (!scenario.ok()) {
    return ToGrpcStatus(scenario.status());
  }
  // Before anything is dialled: the caller's input, not a transport fault.
  if (absl::Status s = serving::CheckNoFaultsForDistributed(*scenario); !s.ok()) {
    return ToGrpcStatus(s);
  }
  DistributedOptions opt;
  opt.chip_addresses = chips_;
  opt.chips_per_process = chips_per_process_;
  opt.metrics = metrics_;
  opt.stall_timeout_s = stall_timeout_s_;
  opt.liveness_timeout_s = liveness_timeout_s_;
  opt.channel_credentials = channel_credentials_;
  std::string run_id;
  opt.cancelled = [ctx] { return ctx->IsCancelled(); };
  opt.progress = [&](const v1::RunProgress& p) {
    run_id = p.run_id();
    if (!ctx->IsCancelled()) writer->Write(p);
  };
  // Scenarios needing more chip processes than there are fail here.
  auto procs = ProcessesNeeded(*scenario, chips_per_process_);
  if (!procs.ok()) {
    return ToGrpcStatus(procs.status());
  }
  if (*procs > static_cast<int>(chips_.size())) {
    return ToGrpcStatus(absl::FailedPreconditionError(absl::StrCat(
        "the scenario needs ", *procs, " chip processes",
        chips_per_process_ > 1 ? absl::StrCat(" (", chips_per_process_, " chips each)") : "",
        "; this coordinator has ", chips_.size())));
  }
  opt.chip_addresses.resize(*procs);
  auto report = RunDistributed(*scenario, opt);
  v1::RunProgress last;
  last.set_run_id(run_id);
  last.set_done(true);
  if (!report.ok()) {
    // The run's own code: bad input stays INVALID_ARGUMENT, a lost chip
    // UNAVAILABLE, a chip's impossible numbers DATA_LOSS.
    const grpc::Status s = ToGrpcStatus(report.status());
    last.set_error(s.error_message());
    writer->Write(last);
    return s;
  }
  *last.mutable_report() = *report;
  {
    std::lock_guard<std::mutex> l(report_mu_);
    last_run_id_ = run_id;
    last_report_ = *std::move(report);
  }
  writer->Write(last);
  return grpc::Status::OK;
}

grpc::Status CoordinatorServer::GetReport(grpc::ServerContext*, const v1::ReportRequest* req,
                                          v1::ReportResponse* resp) {
  std::lock_guard<std::mutex> l(report_mu_);
  if (!last_report_ || (!req->run_id().empty() && req->run_id() != last_run_id_)) {
    return ToGrpcStatus(absl::NotFoundError("no such report"));
  }
  resp->set_run_id(last_run_id_);
  *resp->mutable_report() = *last_report_;
  return grpc::Status::OK;
}

}  // namespace etchsim::rpc
