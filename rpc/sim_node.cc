#include "rpc/sim_node.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "rpc/wire.h"
#include "serving/host_lp.h"
#include "serving/stage_lp.h"

namespace etchsim::rpc {
namespace {

// Status reports and virtual-time broadcasts are rate-limited in wall time;
// they only bound memory and feed metrics, never correctness.
constexpr auto kStatusInterval = std::chrono::milliseconds(100);

std::vector<std::unique_ptr<serving::Lp>> LpsFor(const sim::Simulation& sim,
                                                 const serving::ChannelPlan& plan, int rank) {
  std::vector<std::unique_ptr<serving::Lp>> lps(sim.num_lps());
  for (serving::LpId id : plan.LpsOf(rank)) lps[id] = sim.MakeLp(id);
  return lps;
}

}  // namespace

SimNode::SimNode(asio::io_context& io, std::shared_ptr<const sim::Simulation> sim, int rank,
                 std::string run_id, int stages_per_rank)
    : io_(io),
      sim_(std::move(sim)),
      plan_(sim::PlanChannels(*sim_, stages_per_rank)),
      rank_(rank),
      run_id_(std::move(run_id)),
      exec_(rank, plan_, LpsFor(*sim_, plan_, rank), sim_->EndTime()),
      protocol_(exec_, plan_.num_ranks) {
  if (rank_ == 0) {
    for (int r = 1; r < plan_.num_ranks; ++r) expected_.insert(r);
  } else {
    expected_.insert(0);
    for (const serving::Channel& c : plan_.channels) {
      if (c.from == rank_) expected_.insert(c.to);
      if (c.to == rank_) expected_.insert(c.from);
    }
    expected_.erase(rank_);
  }
}

namespace {

std::string PeerLossCause(const grpc::Status& s) {
  // gRPC's own text ("Cancelling all calls", "Socket closed") says what the
  // transport saw, not what to do; lead with what a person can check.
  std::string cause;
  switch (s.error_code()) {
    case grpc::StatusCode::OK:
    case grpc::StatusCode::CANCELLED:
    case grpc::StatusCode::UNAVAILABLE:
      cause =
          "its process exited or is unreachable (check that it is running — docker-compose ps, "
          "kubectl get pods — and its log for why it stopped)";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      cause = "it did not answer in time (overloaded or stopped; check its CPU and log)";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      cause = "it refused our credentials (check --tls-cert/--tls-key/--tls-ca on both sides)";
      break;
    default:
      cause = "its stream failed";
      break;
  }
  return s.ok() ? absl::StrCat(cause, "; stream closed")
                : absl::StrCat(cause, "; gRPC said: ", s.error_message());
}

}  // namespace

void SetStatus(const sim::RankStatus& s, v1::Batch& b) {
  b.set_lvt_ps(s.lvt.picos());
  b.set_finished(s.finished);
  b.set_events_processed(static_cast<int64_t>(s.events));
  if (!s.has_counts) return;
  b.set_next_event_ps(s.next_event.picos());
  for (uint64_t n : s.sent) b.add_events_sent(static_cast<int64_t>(n));
  for (uint64_t n : s.received) b.add_events_received(static_cast<int64_t>(n));
}

sim::RankStatus StatusOf(const v1::Batch& b) {
  sim::RankStatus s{.lvt = SimTime::Picos(b.lvt_ps()),
                    .finished = b.finished(),
                    .events = static_cast<uint64_t>(b.events_processed())};
  // A peer's batch, checked by ValidateBatch: counts are >= 0 and sized
  // for the sender's channels when present.
  s.has_counts = b.events_sent_size() > 0 || b.events_received_size() > 0;
  if (!s.has_counts) return s;
  s.next_event = SimTime::Picos(b.next_event_ps());
  for (int64_t n : b.events_sent()) s.sent.push_back(static_cast<uint64_t>(n));
  for (int64_t n : b.events_received()) s.received.push_back(static_cast<uint64_t>(n));
  return s;
}

std::string NameOfRank(const serving::ChannelPlan& plan, const sim::Simulation& sim, int rank) {
  if (rank == 0) return "the coordinator";
  int first = -1, last = -1;
  for (int s = 0; s < sim.num_stages(); ++s) {
    if (plan.rank_of_lp[sim.stage_lp(s)] != rank) continue;
    if (first < 0) first = s;
    last = s;
  }
  if (first < 0) return absl::StrCat("rank ", rank);
  if (first == last) return absl::StrCat("chip ", first);
  return absl::StrCat("chips ", first, "-", last);
}

std::string SimNode::Describe(int rank) const { return NameOfRank(plan_, *sim_, rank); }

void SimNode::AddPeer(std::shared_ptr<Peer> peer) {
  peers_[peer->rank()] = std::move(peer);
  if (ready() && on_ready) {
    auto cb = std::move(on_ready);
    on_ready = nullptr;
    cb();
  }
  MaybeGo();
}

void SimNode::MaybeGo() {
  if (rank_ == 0 && !started_ && ready() &&
      static_cast<int>(ready_chips_.size()) == plan_.num_ranks - 1) {
    Go();
  }
}

bool SimNode::ready() const {
  for (int r : expected_) {
    if (!peers_.contains(r)) return false;
  }
  return true;
}

std::vector<std::shared_ptr<Peer>> SimNode::peers() const {
  std::vector<std::shared_ptr<Peer>> out;
  for (const auto& [r, p] : peers_) out.push_back(p);
  return out;
}

void SimNode::Write(int rank, const v1::Batch& b) {
  auto it = peers_.find(rank);
  if (it == peers_.end()) {
    Fail(absl::StrCat("no stream to ", Describe(rank)));
    return;
  }
  ++batches_sent_;
  if (!it->second->Write(b) && !done_ && !failed_) {
    Fail(absl::StrCat("lost the stream to ", Describe(rank), " at virtual time ",
                      exec_.last_event_time().ToString(), ": ",
                      PeerLossCause(grpc::Status(grpc::StatusCode::UNAVAILABLE,
                                                 "a write on the stream failed"))),
         rank);
  }
}

void SimNode::Go() {
  if (started_ || failed_) return;
  started_ = true;
  if (rank_ == 0) Broadcast(protocol_.Start(*sim_));
  SchedulePump();
}

void SimNode::Broadcast(const sim::RunControl& c) {
  v1::Batch b;
  b.set_run_id(run_id_);
  b.set_from_rank(0);
  if (c.end) b.set_end_ps(c.end->picos());
  if (c.gvt) b.set_gvt_ps(c.gvt->picos());
  if (c.floor) b.set_floor_ps(c.floor->picos());
  for (int r = 1; r < plan_.num_ranks; ++r) Write(r, b);
}

void SimNode::OnBatch(std::shared_ptr<v1::Batch> b) {
  if (failed_ || done_) return;
  const int from = b->from_rank();
  ++batches_received_;
  if (!b->error().empty()) {
    if (rank_ == 0 && b->peer_lost() && b->lost_rank() > 0 && on_peer_loss_report) {
      if (loss_reported_) return;  // the first report is being checked
      loss_reported_ = true;
      on_peer_loss_report(b->loss_reporter(), b->lost_rank(), b->error());
      return;
    }
    // Lead with the cause (usually "chip N stopped answering ..."), then
    // who noticed it. A chip passes a loss on as it came (who lost whom
    // travels with it); rank 0 names the chip that lost the stream.
    if (b->peer_lost() && rank_ != 0) {
      Fail(b->error(), b->lost_rank(), b->loss_reporter());
    } else {
      Fail(absl::StrCat(b->error(), " (reported by ",
                        Describe(b->peer_lost() ? b->loss_reporter() : from), ")"));
    }
    return;
  }
  if (rank_ == 0 && from != 0) {
    protocol_.OnStatus(from, StatusOf(*b));
    if (b->hello()) {
      ready_chips_.insert(from);
      MaybeGo();
    }
  }
  if (from == 0 && rank_ != 0) {
    sim::RunControl c;
    if (b->end_ps() > 0) c.end = SimTime::Picos(b->end_ps());
    if (b->gvt_ps() > 0) c.gvt = SimTime::Picos(b->gvt_ps());
    if (b->floor_ps() > 0) c.floor = SimTime::Picos(b->floor_ps());
    protocol_.OnControl(c);
    if (c.end && !started_) {
      started_ = true;
      last_status_ = std::chrono::steady_clock::now();
    }
  }
  if (!b->events().empty() || b->promise_ps() > 0) {
    auto events = DecodeEvents(b->events());
    if (!events.ok()) {
      Fail(absl::StrCat("bad batch from ", Describe(from), ": ", events.status().message()));
      return;
    }
    protocol_.OnBatch(from, SimTime::Picos(b->promise_ps()), *events);
  }
  if (started_) SchedulePump();
}

void SimNode::SchedulePump() {
  if (pump_scheduled_) return;
  pump_scheduled_ = true;
  asio::post(io_, [this] { Pump(); });
}

void SimNode::Pump() {
  pump_scheduled_ = false;
  if (failed_ || done_ || !started_) return;
  const auto now = std::chrono::steady_clock::now();
  sim::RunProtocol::Step step = protocol_.Advance(now - last_status_ > kStatusInterval);
  if (!exec_.error().empty()) {
    Fail(absl::StrCat("internal error: ", exec_.error()));
    return;
  }
  const sim::RankStatus status = protocol_.Status();
  for (serving::OutBatch& ob : step.batches) {
    v1::Batch b;
    b.set_from_rank(rank_);
    b.set_promise_ps(ob.promise.picos());
    EncodeEvents(ob.events, b.mutable_events());
    if (ob.to == 0 && rank_ != 0) {
      SetStatus(status, b);
      finished_sent_ = status.finished;
    }
    Write(ob.to, b);
    if (failed_) return;
  }
  if (rank_ == 0) {
    if (step.broadcast) {
      if (step.broadcast->gvt) last_status_ = now;
      Broadcast(*step.broadcast);
    }
    if (protocol_.all_finished()) {
      done_ = true;
      if (on_all_finished) on_all_finished();
    }
  } else {
    SendStatus(status.finished != finished_sent_);
  }
}

void SimNode::SendStatus(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const sim::RankStatus st = protocol_.Status();
  if (!force && (st.lvt <= lvt_sent_ || now - last_status_ < kStatusInterval)) return;
  last_status_ = now;
  lvt_sent_ = st.lvt;
  finished_sent_ = st.finished;
  v1::Batch b;
  b.set_from_rank(rank_);
  SetStatus(st, b);
  Write(0, b);
}

void SimNode::OnPeerClosed(int rank, const grpc::Status& s) {
  peers_.erase(rank);
  // A chip that has finished needs nobody any more: peers closing their
  // streams while the coordinator collects statistics is the normal end.
  if (done_ || failed_ || (rank_ != 0 && exec_.Finished())) return;
  Fail(absl::StrCat(Describe(rank), " stopped answering at virtual time ",
                    exec_.last_event_time().ToString(), ": ", PeerLossCause(s)),
       rank);
}

void SimNode::Fail(const std::string& why, int lost_rank, int reporter) {
  if (failed_) return;
  failed_ = true;
  v1::Batch b;
  b.set_from_rank(rank_);
  b.set_error(why);
  if (lost_rank >= 0) {
    b.set_peer_lost(true);
    b.set_lost_rank(lost_rank);
    b.set_loss_reporter(reporter >= 0 ? reporter : rank_);
  }
  for (auto& [r, p] : peers_) p->Write(b);
  if (on_failure) on_failure(why);
}

NodeSnapshot SimNode::Snapshot() {
  NodeSnapshot s;
  s.lvt = exec_.Lvt();
  s.gvt = protocol_.gvt();
  s.end = exec_.end();
  s.events = exec_.events_processed();
  s.queue = exec_.queue_size();
  s.batches_sent = batches_sent_;
  s.batches_received = batches_received_;
  const fabric::Topology& topo = sim_->topology();
  for (serving::LpId id : plan_.LpsOf(rank_)) {
    serving::Lp* lp = exec_.lps()[id].get();
    if (lp == nullptr) continue;
    const fabric::Node& node = topo.nodes()[id];
    if (node.kind == fabric::NodeKind::kChip) {
      auto* st = static_cast<serving::StageLp*>(lp);
      s.stages.push_back({node.index, st->live_tokens(), st->live_busy_ps()});
    } else if (node.kind == fabric::NodeKind::kHost) {
      auto* h = static_cast<serving::HostLp*>(lp);
      s.kv_tokens = h->live_kv_tokens();
      s.completed = h->live_completed();
      s.output_tokens = h->live_output_tokens();
      s.in_flight = h->live_in_flight();
      s.host = &h->live_result();
    }
    for (auto [link, bytes] : static_cast<serving::NodeLp*>(lp)->LiveLinkBytes()) {
      const fabric::Link& l = topo.links()[link];
      s.links.push_back({.name = l.name,
                         .from = topo.nodes()[l.from].name,
                         .to = topo.nodes()[l.to].name,
                         .bytes = bytes,
                         .bytes_per_s = l.bytes_per_ps * 1e12});
    }
  }
  return s;
}

std::vector<sim::LpResult> SimNode::Finalize(SimTime end) {
  std::vector<sim::LpResult> parts;
  for (serving::LpId id : plan_.LpsOf(rank_)) {
    parts.push_back(sim_->FinalizeLp(*exec_.lps()[id], id, end));
  }
  return parts;
}

}  // namespace etchsim::rpc
