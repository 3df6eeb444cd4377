#include "rpc/coordinator.h"

#include <chrono>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "cluster/analytic.h"
#include "cluster/report.h"
#include "cluster/scenario.h"
#include "cluster/simulation.h"
#include "cost/energy.h"
#include "model/zoo.h"
#include "rpc/peer.h"
#include "rpc/sim_node.h"
#include "rpc/status.h"
#include "rpc/wire.h"

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

absl::StatusOr<int> StagesNeeded(const v1::Scenario& scenario) {
  ASSIGN_OR_RETURN(auto sim, cluster::Simulation::Build(scenario));
  return sim->num_stages();
}

absl::StatusOr<v1::Report> RunDistributed(const v1::Scenario& scenario_in,
                                           const DistributedOptions& opt) {
  cluster::BuildOverrides overrides;
  overrides.chip = opt.chip;
  overrides.model_config_json = opt.model_config_json;
  ASSIGN_OR_RETURN(std::unique_ptr<cluster::Simulation> built,
                   cluster::Simulation::Build(scenario_in, overrides));
  std::shared_ptr<const cluster::Simulation> sim = std::move(built);
  const int stages = sim->num_stages();
  if (static_cast<int>(opt.chip_addresses.size()) != stages) {
    return absl::InvalidArgumentError(absl::StrCat(
        "this scenario needs ", stages, " chip processes (one per stage), got ",
        opt.chip_addresses.size(), " addresses"));
  }
  std::string model_json;
  if (opt.model_config_json != nullptr) {
    model_json = *opt.model_config_json;
  } else {
    ASSIGN_OR_RETURN(model_json, model::ModelConfigText(sim->scenario().model()));
  }
  const std::string run_id = NewRunId();
  auto name = [&](int stage) {
    return absl::StrCat("chip ", stage, " (", opt.chip_addresses[stage], ")");
  };

  // 1. Load every shard.
  std::vector<std::unique_ptr<v1::ChipService::Stub>> stubs;
  for (int k = 0; k < stages; ++k) {
    stubs.push_back(v1::ChipService::NewStub(grpc::CreateCustomChannel(
        opt.chip_addresses[k], grpc::InsecureChannelCredentials(), PeerChannelArgs())));
  }
  for (int k = 0; k < stages; ++k) {
    v1::LoadShardRequest req;
    req.set_run_id(run_id);
    *req.mutable_scenario() = sim->scenario();
    req.set_model_config_json(model_json);
    *req.mutable_chip() = sim->chip();
    req.set_stage(k);
    *req.mutable_shard() = sim->plan().chips(k);
    for (const std::string& a : opt.chip_addresses) req.add_stage_addresses(a);
    req.set_wire_version(kWireVersion);
    req.set_event_bytes(kEventBytes);
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(opt.rpc_deadline_s));
    ctx.set_wait_for_ready(true);
    v1::LoadShardResponse resp;
    const grpc::Status s = stubs[k]->LoadShard(&ctx, req, &resp);
    if (!s.ok()) {
      if (opt.metrics) opt.metrics->RpcError();
      return absl::UnavailableError(
          absl::StrCat(name(k), ": LoadShard failed: ", s.error_message()));
    }
  }

  // 2. Rank 0 on this thread's io_context; streams to every chip.
  asio::io_context io;
  SimNode node(io, sim, 0, run_id);
  std::string failure;
  bool finished = false;
  node.on_failure = [&](const std::string& why) {
    failure = why;
    io.stop();
  };
  node.on_all_finished = [&] {
    finished = true;
    io.stop();
  };
  std::vector<std::shared_ptr<ClientPeer>> streams;
  for (int k = 0; k < stages; ++k) {
    v1::Batch hello;
    hello.set_run_id(run_id);
    hello.set_from_rank(0);
    hello.set_hello(true);
    const int rank = k + 1;
    auto peer = ClientPeer::Open(
        grpc::CreateCustomChannel(opt.chip_addresses[k], grpc::InsecureChannelCredentials(),
                                  PeerChannelArgs()),
        rank, hello, opt.stream_deadline_s,
        [&io, &node](std::shared_ptr<v1::Batch> b) {
          asio::post(io, [&node, b] { node.OnBatch(b); });
        },
        [&io, &node, rank](const grpc::Status& s) {
          asio::post(io, [&node, rank, s] { node.OnPeerClosed(rank, s); });
        });
    streams.push_back(peer);
    node.AddPeer(peer);
  }
  if (opt.metrics) {
    opt.metrics->StartRun(-1);
    // Static cost rate for the $/M-tokens recording rule: the report's cost
    // inputs with every chip at active power.
    const v1::Scenario& sc = sim->scenario();
    const cluster::SimulationResult skeleton = sim->Skeleton();
    cost::CostInputs ci =
        cost::CostInputsFor(sc, sim->chip(), skeleton.num_devices, skeleton.num_servers);
    ci.it_power_watts = skeleton.num_devices * sim->chip().power().active_watts() +
                        skeleton.num_servers * cost::ServerOverheadWatts(sc, sim->chip());
    ASSIGN_OR_RETURN(const cost::CostBreakdown cb, cost::ComputeCost(ci));
    opt.metrics->SetRunInfo(
        static_cast<double>(sim->kv_capacity_tokens()),
        cb.total_usd_per_hour,
        sc.workload().kind_case() == v1::Workload::kClosedLoop
            ? static_cast<double>(sc.workload().closed_loop().users())
            : 0.0);
  }

  // 3. Run: progress, metrics and a stall watchdog on a timer.
  const auto started = Clock::now();
  auto last_progress_at = Clock::now();
  SimTime last_gvt;
  uint64_t last_events = 0;
  asio::steady_timer timer(io);
  std::function<void()> tick = [&] {
    timer.expires_after(std::chrono::milliseconds(500));
    timer.async_wait([&](const boost::system::error_code& ec) {
      if (ec) return;
      const NodeSnapshot snap = node.Snapshot();
      const double wall = std::chrono::duration<double>(Clock::now() - started).count();
      if (opt.metrics) opt.metrics->Update(snap, wall);
      if (opt.progress) {
        v1::RunProgress p;
        p.set_run_id(run_id);
        p.set_virtual_s(node.gvt().ToSeconds());
        p.set_wall_s(wall);
        p.set_events(static_cast<int64_t>(snap.events));
        opt.progress(p);
      }
      if (opt.cancelled && opt.cancelled()) {
        node.Fail("the run was cancelled");
        return;
      }
      if (node.gvt() > last_gvt || snap.events != last_events) {
        last_gvt = node.gvt();
        last_events = snap.events;
        last_progress_at = Clock::now();
      } else if (std::chrono::duration<double>(Clock::now() - last_progress_at).count() >
                 opt.stall_timeout_s) {
        const auto [slow, t] = node.slowest();
        node.Fail(absl::StrFormat(
            "no progress for %.0f s at virtual time %s; waiting on %s (at %s)",
            opt.stall_timeout_s, node.gvt().ToString(),
            slow > 0 ? name(slow - 1) : std::string("the coordinator"), t.ToString()));
        return;
      }
      tick();
    });
  };
  tick();
  io.run();
  timer.cancel();
  if (opt.metrics) {
    opt.metrics->Update(node.Snapshot(),
                        std::chrono::duration<double>(Clock::now() - started).count());
    opt.metrics->EndRun();
  }

  auto shutdown_all = [&](double deadline_s) {
    for (int k = 0; k < stages; ++k) {
      grpc::ClientContext ctx;
      ctx.set_deadline(Deadline(deadline_s));
      v1::ShutdownRequest req;
      req.set_run_id(run_id);
      v1::ShutdownResponse resp;
      stubs[k]->Shutdown(&ctx, req, &resp);
    }
  };
  if (!finished) {
    if (failure.empty()) failure = "the run stopped without finishing";
    for (auto& s : streams) s->Cancel();
    shutdown_all(2);
    for (auto& s : streams) s->CloseAndJoin();
    if (opt.metrics) opt.metrics->RpcError();
    return absl::UnavailableError(failure);
  }

  // 4. Collect every rank's statistics, clipped at the end time.
  const SimTime end = node.end();
  std::vector<cluster::LpResult> parts = node.Finalize(end);
  uint64_t events = node.executor().events_processed();
  for (int k = 0; k < stages; ++k) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(opt.rpc_deadline_s));
    v1::StatsRequest req;
    req.set_run_id(run_id);
    req.set_end_ps(end.picos());
    v1::ChipStats stats;
    const grpc::Status s = stubs[k]->GetStats(&ctx, req, &stats);
    if (!s.ok()) {
      shutdown_all(2);
      return absl::UnavailableError(
          absl::StrCat(name(k), ": GetStats failed: ", s.error_message()));
    }
    parts.push_back(FromProto(stats, sim->stage_lp(k)));
    events += static_cast<uint64_t>(stats.events_processed());
  }
  node.Quiesce();
  shutdown_all(opt.rpc_deadline_s);
  for (auto& s : streams) s->CloseAndJoin();
  io.restart();
  io.poll();  // drain stream-closed notifications

  const cluster::SimulationResult result = sim->Assemble(parts, end, events);
  ASSIGN_OR_RETURN(v1::Report report, cluster::BuildReport(result, cluster::Analyze(*sim)));
  if (opt.progress) {
    v1::RunProgress p;
    p.set_run_id(run_id);
    p.set_virtual_s(end.ToSeconds());
    p.set_wall_s(std::chrono::duration<double>(Clock::now() - started).count());
    p.set_events(static_cast<int64_t>(events));
    p.set_done(true);
    opt.progress(p);
  }
  return report;
}

CoordinatorServer::CoordinatorServer(std::vector<std::string> chip_addresses,
                                     ProcessMetrics* metrics, double stall_timeout_s)
    : chips_(std::move(chip_addresses)), metrics_(metrics), stall_timeout_s_(stall_timeout_s) {}

grpc::Status CoordinatorServer::StartRun(grpc::ServerContext* ctx, const v1::RunRequest* req,
                                         grpc::ServerWriter<v1::RunProgress>* writer) {
  std::unique_lock<std::mutex> one_at_a_time(mu_, std::try_to_lock);
  if (!one_at_a_time.owns_lock()) {
    return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, "a run is already in progress");
  }
  auto scenario = cluster::ParseScenario(req->scenario_textproto(), "scenario");
  if (!scenario.ok()) {
    return ToGrpcStatus(scenario.status());
  }
  DistributedOptions opt;
  opt.chip_addresses = chips_;
  opt.metrics = metrics_;
  opt.stall_timeout_s = stall_timeout_s_;
  std::string run_id;
  opt.cancelled = [ctx] { return ctx->IsCancelled(); };
  opt.progress = [&](const v1::RunProgress& p) {
    run_id = p.run_id();
    if (!ctx->IsCancelled()) writer->Write(p);
  };
  // Scenarios naming more stages than there are chips fail here.
  auto stages = StagesNeeded(*scenario);
  if (!stages.ok()) {
    return ToGrpcStatus(stages.status());
  }
  if (*stages > static_cast<int>(chips_.size())) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("the scenario needs ", *stages,
                                     " chip processes; this coordinator has ", chips_.size()));
  }
  opt.chip_addresses.resize(*stages);
  auto report = RunDistributed(*scenario, opt);
  v1::RunProgress last;
  last.set_run_id(run_id);
  last.set_done(true);
  if (!report.ok()) {
    last.set_error(std::string(report.status().message()));
    writer->Write(last);
    return grpc::Status(grpc::StatusCode::UNAVAILABLE, last.error());
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
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "no such report");
  }
  resp->set_run_id(last_run_id_);
  *resp->mutable_report() = *last_report_;
  return grpc::Status::OK;
}

}  // namespace etchsim::rpc
