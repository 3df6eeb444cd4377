#include "rpc/peer.h"

#include <chrono>

namespace etchsim::rpc {

grpc::ChannelArguments PeerChannelArgs() {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 3000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  args.SetMaxReceiveMessageSize(256 << 20);
  return args;
}

bool Peer::Write(const v1::Batch& b) {
  const v1::Batch* start = nullptr;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (closing_) return false;
    queue_.push_back(b);
    if (writing_) return true;
    writing_ = true;
    start = &queue_.front();  // a deque keeps it in place while others join
  }
  StartWriteOp(start);
  return true;
}

void Peer::FinishedWrite(bool ok) {
  const v1::Batch* next = nullptr;
  bool close = false;
  {
    std::lock_guard<std::mutex> l(mu_);
    queue_.pop_front();
    if (!ok) {
      // The stream is broken: nothing more can be sent, and its end (a
      // failed read, OnDone) reports why.
      queue_.clear();
      closing_ = true;
    }
    if (!queue_.empty()) {
      next = &queue_.front();
    } else {
      writing_ = false;
      if (closing_ && !close_started_) close = close_started_ = true;
      cv_.notify_all();
    }
  }
  if (next != nullptr) StartWriteOp(next);
  if (close) StartCloseOp();
}

void Peer::RequestClose() {
  {
    std::lock_guard<std::mutex> l(mu_);
    closing_ = true;
    if (writing_ || close_started_) return;  // FinishedWrite closes
    close_started_ = true;
  }
  StartCloseOp();
}

void Peer::Drain(double timeout_s) {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait_for(l, std::chrono::duration<double>(timeout_s), [this] { return !writing_; });
}

std::shared_ptr<ClientPeer> ClientPeer::Open(std::shared_ptr<grpc::Channel> channel, int peer_rank,
                                             const v1::Batch& hello, double deadline_s,
                                             BatchSink on_batch, CloseSink on_close) {
  std::shared_ptr<ClientPeer> p(
      new ClientPeer(peer_rank, std::move(on_batch), std::move(on_close)));
  p->stub_ = v1::ChipService::NewStub(channel);
  p->ctx_.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000)));
  p->stub_->async()->Exchange(&p->ctx_, p.get());
  // Writes start from the io thread, outside gRPC's reactions, so the
  // call holds until the writing side is closed (StartCloseOp).
  p->AddHold();
  p->Write(hello);
  p->reading_ = std::make_shared<v1::Batch>();
  p->StartRead(p->reading_.get());
  p->started_ = true;
  p->StartCall();
  return p;
}

void ClientPeer::OnReadDone(bool ok) {
  if (!ok) {
    // The server has finished (or the stream broke): close our side too,
    // after whatever is queued, so that OnDone can report how it ended.
    RequestClose();
    return;
  }
  // Handed on before the next read starts: that read's reaction may run
  // on another gRPC thread, and batches must reach the io thread in order.
  on_batch_(std::move(reading_));
  reading_ = std::make_shared<v1::Batch>();
  StartRead(reading_.get());
}

void ClientPeer::OnDone(const grpc::Status& s) {
  on_close_(s);
  std::lock_guard<std::mutex> l(mu_);
  done_ = true;
  cv_.notify_all();
}

void ClientPeer::StartCloseOp() {
  StartWritesDone();
  RemoveHold();  // no operation starts from outside a reaction after this
}

void ClientPeer::WaitDone() {
  std::unique_lock<std::mutex> l(mu_);
  cv_.wait(l, [this] { return done_; });
}

ClientPeer::~ClientPeer() {
  if (!started_) return;
  Cancel();
  WaitDone();
}

void ClientPeer::CloseAndJoin() {
  RequestClose();
  WaitDone();
}

void ServerPeer::StartWriteOp(const v1::Batch* b) {
  bool own_buffer = false;
  out_.Clear();  // the previous write's, done with (one write at a time)
  if (!grpc::SerializationTraits<v1::Batch>::Serialize(*b, &out_, &own_buffer).ok()) {
    FinishedWrite(false);  // cannot happen below 2 GiB; treated as a broken stream
    return;
  }
  reactor_->StartWrite(&out_);
}

void ServerPeer::StartCloseOp() {
  grpc::Status s;
  {
    std::lock_guard<std::mutex> l(mu_);
    // Without Close, the close follows a failed write: the stream is
    // broken and its read side ends too (End, then Close, finds the call
    // finishing already).
    s = close_asked_ ? status_
                     : grpc::Status(grpc::StatusCode::UNAVAILABLE, "a write on the stream failed");
  }
  reactor_->Finish(s);
}

void ServerPeer::Close(const grpc::Status& s) {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (close_asked_) return;
    close_asked_ = true;
    status_ = s;
  }
  RequestClose();
}

}  // namespace etchsim::rpc
