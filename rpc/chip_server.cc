#include "rpc/chip_server.h"

#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cluster/simulation.h"
#include "google/protobuf/util/message_differencer.h"
#include "rpc/status.h"
#include "rpc/wire.h"

namespace etchsim::rpc {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

ChipServer::ChipServer(asio::io_context& io, ChipServerOptions options, ProcessMetrics* metrics)
    : io_(io), options_(options), metrics_(metrics) {}

ChipServer::~ChipServer() { DropRun(); }

template <typename F>
auto ChipServer::OnIo(F&& f) -> decltype(f()) {
  using R = decltype(f());
  std::promise<R> p;
  auto fut = p.get_future();
  asio::post(io_, [&] {
    if constexpr (std::is_void_v<R>) {
      f();
      p.set_value();
    } else {
      p.set_value(f());
    }
  });
  return fut.get();
}

void ChipServer::DropRun() {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> l(mu_);
    run.swap(run_);
  }
  if (!run) return;
  OnIo([&] {
    if (!run->node) return;
    run->node->Quiesce();
    if (metrics_) {
      metrics_->Update(run->node->Snapshot(), Seconds(run->started));
      metrics_->EndRun();
    }
  });
  for (auto& p : run->outgoing) p->CloseAndJoin();
  OnIo([&] { run->node.reset(); });
}

grpc::Status ChipServer::LoadShard(grpc::ServerContext*, const v1::LoadShardRequest* req,
                                   v1::LoadShardResponse* resp) {
  if (req->wire_version() != kWireVersion || req->event_bytes() != kEventBytes) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("wire format mismatch: coordinator v", req->wire_version(),
                                     "/", req->event_bytes(), " bytes, chip v", kWireVersion, "/",
                                     kEventBytes, " bytes (use the same etchsim build)"));
  }
  if (absl::Status v = ValidateLoadShard(*req); !v.ok()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("LoadShard: ", v.message()));
  }
  DropRun();  // a new run replaces any earlier one
  cluster::BuildOverrides o;
  o.chip = &req->chip();
  if (req->has_second_chip()) o.second_chip = &req->second_chip();
  o.model_config_json = &req->model_config_json();
  o.load_trace = false;
  auto sim = cluster::Simulation::Build(req->scenario(), o);
  if (!sim.ok()) return ToGrpcStatus(sim.status());
  const int stage = req->stage();
  const int per = req->stages_per_process();
  if (stage < 0 || stage >= (*sim)->num_stages()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("stage ", stage, " out of range"));
  }
  const int hosted = std::min(per, (*sim)->num_stages() - stage);
  if (req->shards_size() != hosted) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                        absl::StrCat("stages ", stage, "-", stage + hosted - 1, " need ", hosted,
                                     " shards, got ", req->shards_size()));
  }
  for (int i = 0; i < hosted; ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals((*sim)->shard(stage + i),
                                                            req->shards(i))) {
      return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("stage ", stage + i,
                                       ": the plan rebuilt here differs from the coordinator's "
                                       "shard (different etchsim builds?)"));
    }
  }
  auto run = std::make_shared<Run>();
  run->id = req->run_id();
  run->rank = cluster::RankOfStage(stage, per);
  run->stages_per_process = per;
  run->sim = std::move(*sim);
  run->limits = LimitsFor(*run->sim, run->rank, per);
  run->started = std::chrono::steady_clock::now();
  Run* r = run.get();
  OnIo([&] {
    r->node = std::make_unique<SimNode>(io_, r->sim, r->rank, r->id, r->stages_per_process);
    SimNode* node = r->node.get();
    node->on_ready = [node, id = r->id] {
      v1::Batch hello;  // to the coordinator: all my streams are up
      hello.set_run_id(id);
      hello.set_from_rank(node->rank());
      hello.set_hello(true);
      for (auto& p : node->peers()) {
        if (p->rank() == 0) p->Write(hello);
      }
    };
    node->on_failure = [this](const std::string&) {
      if (metrics_) metrics_->RpcError();
    };
  });
  if (metrics_) OnIo([&] { metrics_->StartRun(stage, hosted); });
  // Open streams to higher-ranked chips this one exchanges events with.
  std::vector<int> higher;
  OnIo([&] {
    for (int peer : r->node->expected_peers()) {
      if (peer > r->rank) higher.push_back(peer);
    }
  });
  for (int peer : higher) {
    const int process_of_peer = peer - 1;
    if (process_of_peer >= req->process_addresses_size()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("no address for chip process ", process_of_peer));
    }
    auto channel =
        grpc::CreateCustomChannel(req->process_addresses(process_of_peer),
                                  options_.channel_credentials ? options_.channel_credentials
                                                               : grpc::InsecureChannelCredentials(),
                                  PeerChannelArgs());
    v1::Batch hello;
    hello.set_run_id(r->id);
    hello.set_from_rank(r->rank);
    hello.set_hello(true);
    // The stream keeps its callbacks for its whole life and the run keeps
    // the stream (outgoing, and its node's peers): the callbacks hold the
    // run weakly, or neither would ever be freed. Each post holds it while
    // queued, so it is not freed inside a gRPC reaction.
    std::weak_ptr<Run> weak = run;
    auto peer_conn = ClientPeer::Open(
        channel, peer, hello, options_.stream_deadline_s,
        [this, weak, peer](std::shared_ptr<v1::Batch> b) {
          std::shared_ptr<Run> run = weak.lock();
          if (!run) return;
          if (absl::Status v = ValidateBatch(*b, peer, run->limits); !v.ok()) {
            asio::post(io_, [run, peer, v] {
              if (run->node) {
                run->node->Fail(absl::StrCat("bad batch from rank ", peer, ": ", v.message()));
              }
            });
            return;
          }
          asio::post(io_, [run, b] {
            if (run->node) run->node->OnBatch(b);
          });
        },
        [this, weak, peer](const grpc::Status& s) {
          std::shared_ptr<Run> run = weak.lock();
          if (!run) return;
          asio::post(io_, [run, peer, s] {
            if (run->node) run->node->OnPeerClosed(peer, s);
          });
        });
    run->outgoing.push_back(peer_conn);
    OnIo([&] { r->node->AddPeer(peer_conn); });
  }
  {
    std::lock_guard<std::mutex> l(mu_);
    run_ = run;
  }
  cv_.notify_all();
  return grpc::Status::OK;
}

std::shared_ptr<ChipServer::Run> ChipServer::WaitForRun(const std::string& id, double timeout_s) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000)),
               [&] { return run_ && run_->id == id; });
  return run_ && run_->id == id ? run_ : nullptr;
}

std::shared_ptr<ChipServer::Run> ChipServer::AwaitRun(const std::string& id,
                                                      grpc::CallbackServerContext* ctx) {
  std::shared_ptr<Run> run;
  const auto give_up = std::chrono::steady_clock::now() +
                       std::chrono::milliseconds(int64_t(options_.load_timeout_s * 1000));
  while (!run && !ctx->IsCancelled() && std::chrono::steady_clock::now() < give_up) {
    run = WaitForRun(id, 0.1);
  }
  return run;
}

// One accepted Exchange stream: the hello names the peer and the run, then
// every batch is checked here, on the gRPC thread, before it is posted to
// the io thread; writes come from the io thread through the ServerPeer.
class ChipServer::ExchangeReactor final : public grpc::ServerBidiReactor<v1::Batch, v1::Batch> {
 public:
  ExchangeReactor(ChipServer* server, grpc::CallbackServerContext* ctx)
      : server_(server), ctx_(ctx) {
    StartRead(&hello_);
  }

  void OnReadDone(bool ok) override {
    if (peer_ == nullptr) {
      OnHello(ok);
      return;
    }
    if (!ok) {
      End(grpc::Status::OK);
      return;
    }
    // Checked here, on the gRPC thread, before anything reaches the LPs.
    if (absl::Status v = ValidateBatch(*reading_, from_, run_->limits); !v.ok()) {
      End(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                       absl::StrCat("Exchange from rank ", from_, ": ", v.message())));
      return;
    }
    // Posted before the next read starts: that read's reaction may run on
    // another gRPC thread, and batches must reach the io thread in order.
    asio::post(server_->io_, [run = run_, b = std::move(reading_)] {
      if (run->node) run->node->OnBatch(b);
    });
    reading_ = std::make_shared<v1::Batch>();
    StartRead(reading_.get());
  }
  void OnWriteDone(bool ok) override { peer_->WriteDone(ok); }
  void OnDone() override { delete this; }

 private:
  void OnHello(bool ok) {
    if (!ok || !hello_.hello()) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "Exchange must start with hello"));
      return;
    }
    if (hello_.run_id().empty() || hello_.run_id().size() > 128) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "Exchange hello: run_id must be 1 to 128 bytes"));
      return;
    }
    // The caller may have loaded its shard before this chip got its own:
    // then wait for it off gRPC's callback threads (rare: start-up only).
    if (std::shared_ptr<Run> run = server_->WaitForRun(hello_.run_id(), 0)) {
      Attach(std::move(run));
      return;
    }
    std::thread([this] { Attach(server_->AwaitRun(hello_.run_id(), ctx_)); }).detach();
  }

  void Attach(std::shared_ptr<Run> run) {
    if (!run) {
      Finish(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                          absl::StrCat("no run ", hello_.run_id(), " loaded on this chip")));
      return;
    }
    if (absl::Status v = ValidateHello(hello_, run->limits); !v.ok()) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          absl::StrCat("Exchange: ", v.message())));
      return;
    }
    run_ = std::move(run);
    from_ = hello_.from_rank();
    peer_ = std::make_shared<ServerPeer>(from_, this);
    // The node learns of the peer before any of its batches (or its end)
    // can be posted, and nothing here touches this reactor after the read
    // starts: its reaction may end the call and delete it at once.
    asio::post(server_->io_, [run = run_, peer = peer_] {
      if (run->node) run->node->AddPeer(peer);
    });
    reading_ = std::make_shared<v1::Batch>();
    StartRead(reading_.get());
  }

  // The reading side has ended: the call finishes with `s` once the
  // queued writes are out, and the node learns how the peer went.
  void End(const grpc::Status& s) {
    const grpc::Status closed = !s.ok() ? s
                                : ctx_->IsCancelled()
                                    ? grpc::Status(grpc::StatusCode::CANCELLED, "peer cancelled")
                                    : grpc::Status::OK;
    peer_->Close(s);
    asio::post(server_->io_, [run = run_, from = from_, closed] {
      if (run->node) run->node->OnPeerClosed(from, closed);
    });
  }

  ChipServer* server_;
  grpc::CallbackServerContext* ctx_;
  v1::Batch hello_;
  std::shared_ptr<Run> run_;
  int from_ = -1;
  std::shared_ptr<ServerPeer> peer_;
  std::shared_ptr<v1::Batch> reading_;
};

grpc::ServerBidiReactor<v1::Batch, v1::Batch>* ChipServer::Exchange(
    grpc::CallbackServerContext* ctx) {
  return new ExchangeReactor(this, ctx);
}

grpc::Status ChipServer::GetStats(grpc::ServerContext*, const v1::StatsRequest* req,
                                  v1::ProcessStats* resp) {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> l(mu_);
    run = run_;
  }
  if (!run || run->id != req->run_id()) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        absl::StrCat("no run ", req->run_id(), " on this chip"));
  }
  if (req->end_ps() < 0 || req->end_ps() > kMaxPeerTimePs) {
    return grpc::Status(
        grpc::StatusCode::INVALID_ARGUMENT,
        absl::StrCat("GetStats: end_ps must be in [0, ", kMaxPeerTimePs, "], got ", req->end_ps()));
  }
  bool ok = false;
  OnIo([&] {
    if (!run->node || !run->node->finished()) return;
    const SimTime end = SimTime::Picos(req->end_ps());
    std::vector<cluster::LpResult> parts = run->node->Finalize(end);
    if (parts.empty()) return;
    for (const cluster::LpResult& part : parts) *resp->add_chips() = ToProto(part);
    resp->set_events_processed(static_cast<int64_t>(run->node->executor().events_processed()));
    ok = true;
  });
  if (!ok) {
    return grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                        "the run has not finished on this chip");
  }
  return grpc::Status::OK;
}

grpc::Status ChipServer::Shutdown(grpc::ServerContext*, const v1::ShutdownRequest*,
                                  v1::ShutdownResponse*) {
  DropRun();
  return grpc::Status::OK;
}

void ChipServer::UpdateMetrics() {
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> l(mu_);
    run = run_;
  }
  if (!run || !run->node || !metrics_) return;
  metrics_->Update(run->node->Snapshot(), Seconds(run->started));
}

}  // namespace etchsim::rpc
