#include "rpc/chip_server.h"

#include <algorithm>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "rpc/status.h"
#include "rpc/wire.h"
#include "sim/simulation.h"

namespace etchsim::rpc {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

ChipServer::ChipServer(asio::io_context& io, ChipServerOptions options, ProcessMetrics* metrics)
    : io_(io), options_(options), metrics_(metrics), park_watch_([this] { WatchParked(); }) {}

ChipServer::~ChipServer() {
  {
    std::lock_guard<std::mutex> l(mu_);
    stopping_ = true;
  }
  park_cv_.notify_all();
  park_watch_.join();
  DropRun();
}

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

// One accepted Exchange stream: the hello names the peer and the run, then
// every batch is parsed and checked here, on the gRPC thread, before it is
// posted to the io thread; writes come from the io thread through the
// ServerPeer.
class ChipServer::ExchangeReactor final
    : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  ExchangeReactor(ChipServer* server, grpc::CallbackServerContext* ctx)
      : server_(server), ctx_(ctx) {
    StartRead(&in_);
  }

  const v1::Batch& hello() const { return hello_; }
  bool cancelled() const { return ctx_->IsCancelled(); }

  void OnReadDone(bool ok) override {
    if (!hello_read_) {
      hello_read_ = true;
      OnHello(ok);
      return;
    }
    if (!ok) {
      End(grpc::Status::OK);
      return;
    }
    ++batches_;
    auto b = std::make_shared<v1::Batch>();
    absl::Status v = Parse(absl::StrCat("batch ", batches_), b.get());
    // Checked here, on the gRPC thread, before anything reaches the LPs.
    if (v.ok()) v = check_->Check(*b);
    if (!v.ok()) {
      End(ToGrpcStatus(absl::InvalidArgumentError(
          absl::StrCat("Exchange from rank ", from_, ": ", v.message()))));
      return;
    }
    // Posted before the next read starts: that read's reaction may run on
    // another gRPC thread, and batches must reach the io thread in order.
    asio::post(server_->io_, [run = run_, b = std::move(b)] {
      if (run->node) run->node->OnBatch(b);
    });
    StartRead(&in_);
  }
  void OnWriteDone(bool ok) override { peer_->WriteDone(ok); }
  // A parked stream is finished here; an attached one's read fails.
  void OnCancel() override { server_->Unpark(this); }
  void OnDone() override { delete this; }

  // Joins the stream to its run (null: the run never came) and starts
  // reading its batches.
  void Attach(std::shared_ptr<Run> run) {
    if (!run) {
      Finish(ToGrpcStatus(absl::FailedPreconditionError(
          absl::StrCat("no run ", hello_.run_id(), " loaded on this chip within ",
                       server_->options_.load_timeout_s, " s"))));
      return;
    }
    if (absl::Status v = ValidateHello(hello_, run->limits); !v.ok()) {
      Finish(ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("Exchange: ", v.message()))));
      return;
    }
    run_ = std::move(run);
    from_ = hello_.from_rank();
    check_ = std::make_unique<StreamCheck>(run_->limits, from_);
    peer_ = std::make_shared<ServerPeer>(from_, this);
    // The node learns of the peer before any of its batches (or its end)
    // can be posted, and nothing here touches this reactor after the read
    // starts: its reaction may end the call and delete it at once.
    asio::post(server_->io_, [run = run_, peer = peer_] {
      if (run->node) run->node->AddPeer(peer);
    });
    StartRead(&in_);
  }

 private:
  // The message just read, as a Batch; `what` names it in the error.
  absl::Status Parse(absl::string_view what, v1::Batch* b) {
    const size_t bytes = in_.Length();
    if (grpc::SerializationTraits<v1::Batch>::Deserialize(&in_, b).ok()) {
      return absl::OkStatus();
    }
    return absl::InvalidArgumentError(absl::StrCat(
        what, " (", bytes, " bytes) is not a valid etchsim.v1.Batch protobuf message"));
  }

  void OnHello(bool ok) {
    absl::Status v = ok ? Parse("Exchange hello", &hello_)
                        : absl::InvalidArgumentError("Exchange must start with hello");
    if (v.ok() && !hello_.hello()) v = absl::InvalidArgumentError("Exchange must start with hello");
    if (v.ok() && (hello_.run_id().empty() || hello_.run_id().size() > 128)) {
      v = absl::InvalidArgumentError(absl::StrCat(
          "Exchange hello: run_id must be 1 to 128 bytes, got ", hello_.run_id().size()));
    }
    if (v.ok() && (hello_.from_rank() < 0 || hello_.from_rank() > serving::kMaxChips)) {
      v = absl::InvalidArgumentError(absl::StrCat("Exchange hello: from_rank must be in [0, ",
                                                  serving::kMaxChips, "], got ",
                                                  hello_.from_rank()));
    }
    if (!v.ok()) {
      Finish(ToGrpcStatus(v));
      return;
    }
    // The caller may have loaded its shard before this chip got its own:
    // then the stream waits for it, parked, with no thread of its own.
    server_->AttachOrPark(this);
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
  grpc::ByteBuffer in_;
  bool hello_read_ = false;
  v1::Batch hello_;
  std::shared_ptr<Run> run_;
  int from_ = -1;
  int64_t batches_ = 0;
  std::unique_ptr<StreamCheck> check_;
  std::shared_ptr<ServerPeer> peer_;
};

grpc::Status ChipServer::LoadShard(grpc::ServerContext*, const v1::LoadShardRequest* req,
                                   v1::LoadShardResponse* resp) {
  if (req->wire_version() != kWireVersion || req->event_bytes() != kEventBytes) {
    return ToGrpcStatus(absl::FailedPreconditionError(absl::StrCat(
        "wire format mismatch: coordinator v", req->wire_version(), "/", req->event_bytes(),
        " bytes, chip v", kWireVersion, "/", kEventBytes, " bytes (use the same etchsim build)")));
  }
  if (absl::Status v = ValidateLoadShard(*req); !v.ok()) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat("LoadShard: ", v.message())));
  }
  DropRun();  // a new run replaces any earlier one
  sim::BuildOverrides o;
  o.chip = &req->chip();
  if (req->has_second_chip()) o.second_chip = &req->second_chip();
  o.model_config_json = &req->model_config_json();
  o.load_trace = false;
  auto sim = sim::Simulation::Build(req->scenario(), o);
  if (!sim.ok()) return ToGrpcStatus(sim.status());
  const int stage = req->stage();
  const int per = req->stages_per_process();
  if (stage < 0 || stage >= (*sim)->num_stages()) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("LoadShard: stage must be in [0, ", (*sim)->num_stages(), "), got ", stage)));
  }
  const int hosted = std::min(per, (*sim)->num_stages() - stage);
  if (req->shards_size() != hosted) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("LoadShard: stages ", stage, "-", stage + hosted - 1, " need ", hosted,
                     " shards, got ", req->shards_size())));
  }
  for (int i = 0; i < hosted; ++i) {
    if (!google::protobuf::util::MessageDifferencer::Equals((*sim)->shard(stage + i),
                                                            req->shards(i))) {
      return ToGrpcStatus(absl::FailedPreconditionError(
          absl::StrCat("stage ", stage + i,
                       ": the plan rebuilt here differs from the coordinator's "
                       "shard (different etchsim builds?)")));
    }
  }
  auto run = std::make_shared<Run>();
  run->id = req->run_id();
  run->rank = sim::RankOfStage(stage, per);
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
      return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
          "LoadShard: process_addresses has no address for chip process ", process_of_peer)));
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
    // queued, so it is not freed inside a gRPC reaction. Reads of one
    // stream come one at a time, so its check needs no lock.
    std::weak_ptr<Run> weak = run;
    auto check = std::make_shared<StreamCheck>(run->limits, peer);
    auto peer_conn = ClientPeer::Open(
        channel, peer, hello, options_.stream_deadline_s,
        [this, weak, check, peer](std::shared_ptr<v1::Batch> b) {
          std::shared_ptr<Run> run = weak.lock();
          if (!run) return;
          if (absl::Status v = check->Check(*b); !v.ok()) {
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
  // The run is here: streams that came for it before it are attached.
  std::vector<ExchangeReactor*> waiting;
  {
    std::lock_guard<std::mutex> l(mu_);
    run_ = run;
    for (auto it = parked_.begin(); it != parked_.end();) {
      if (it->run_id == run->id) {
        waiting.push_back(it->reactor);
        it = parked_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (ExchangeReactor* w : waiting) w->Attach(run);
  return grpc::Status::OK;
}

grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ChipServer::Exchange(
    grpc::CallbackServerContext* ctx) {
  return new ExchangeReactor(this, ctx);
}

void ChipServer::AttachOrPark(ExchangeReactor* reactor) {
  const v1::Batch& hello = reactor->hello();
  std::shared_ptr<Run> run;
  absl::Status refused;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (run_ && run_->id == hello.run_id()) {
      run = run_;
    } else if (reactor->cancelled() || stopping_) {
      refused = absl::CancelledError("Exchange: the stream ended while waiting for its run");
    } else if (static_cast<int>(parked_.size()) >= options_.max_parked_streams) {
      refused = absl::ResourceExhaustedError(
          absl::StrCat("Exchange: ", parked_.size(),
                       " streams already wait for a run to be loaded on this chip"));
    } else if (std::any_of(parked_.begin(), parked_.end(), [&](const Parked& p) {
                 return p.from_rank == hello.from_rank() && p.run_id == hello.run_id();
               })) {
      refused = absl::AlreadyExistsError(absl::StrCat("Exchange: rank ", hello.from_rank(),
                                                      " already waits for run ", hello.run_id()));
    } else {
      const auto wait = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(options_.load_timeout_s));
      parked_.push_back(
          {reactor, hello.run_id(), hello.from_rank(), std::chrono::steady_clock::now() + wait});
      if (parked_.size() == 1) park_cv_.notify_all();
      return;
    }
  }
  if (run) {
    reactor->Attach(std::move(run));
  } else {
    reactor->Finish(ToGrpcStatus(refused));
  }
}

void ChipServer::Unpark(ExchangeReactor* reactor) {
  {
    std::lock_guard<std::mutex> l(mu_);
    auto it = std::find_if(parked_.begin(), parked_.end(),
                           [&](const Parked& p) { return p.reactor == reactor; });
    if (it == parked_.end()) return;
    parked_.erase(it);
  }
  reactor->Finish(ToGrpcStatus(absl::CancelledError("Exchange: cancelled while waiting")));
}

void ChipServer::WatchParked() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    if (stopping_) {
      std::vector<Parked> left;
      left.swap(parked_);
      l.unlock();
      for (const Parked& p : left) {
        p.reactor->Finish(ToGrpcStatus(absl::UnavailableError("the chip is shutting down")));
      }
      return;
    }
    if (parked_.empty()) {
      park_cv_.wait(l);
      continue;
    }
    // Every stream waits as long, so the first parked is the first due.
    const auto due = parked_.front().give_up;
    if (std::chrono::steady_clock::now() < due) {
      park_cv_.wait_until(l, due);
      continue;
    }
    ExchangeReactor* late = parked_.front().reactor;
    parked_.erase(parked_.begin());
    l.unlock();
    late->Attach(nullptr);
    l.lock();
  }
}

grpc::Status ChipServer::GetStats(grpc::ServerContext*, const v1::StatsRequest* req,
                                  v1::ProcessStats* resp) {
  if (req->run_id().size() > 128) {
    return ToGrpcStatus(absl::InvalidArgumentError(
        absl::StrCat("GetStats: run_id must be at most 128 bytes, got ", req->run_id().size())));
  }
  std::shared_ptr<Run> run;
  {
    std::lock_guard<std::mutex> l(mu_);
    run = run_;
  }
  if (!run || run->id != req->run_id()) {
    return ToGrpcStatus(absl::FailedPreconditionError(
        absl::StrCat("no run ", Echo(req->run_id()), " on this chip")));
  }
  if (req->end_ps() < 0 || req->end_ps() > kMaxPeerTimePs) {
    return ToGrpcStatus(absl::InvalidArgumentError(absl::StrCat(
        "GetStats: end_ps must be in [0, ", kMaxPeerTimePs, "], got ", req->end_ps())));
  }
  bool ok = false;
  OnIo([&] {
    if (!run->node || !run->node->finished()) return;
    const SimTime end = SimTime::Picos(req->end_ps());
    std::vector<sim::LpResult> parts = run->node->Finalize(end);
    if (parts.empty()) return;
    for (const sim::LpResult& part : parts) *resp->add_chips() = ToProto(part);
    resp->set_events_processed(static_cast<int64_t>(run->node->executor().events_processed()));
    ok = true;
  });
  if (!ok) {
    return ToGrpcStatus(absl::FailedPreconditionError("the run has not finished on this chip"));
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
