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

std::shared_ptr<ClientPeer> ClientPeer::Open(std::shared_ptr<grpc::Channel> channel, int peer_rank,
                                             const v1::Batch& hello, double deadline_s,
                                             BatchSink on_batch, CloseSink on_close) {
  std::shared_ptr<ClientPeer> p(new ClientPeer(peer_rank));
  p->stub_ = v1::ChipService::NewStub(channel);
  p->ctx_.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(deadline_s * 1000)));
  p->stream_ = p->stub_->Exchange(&p->ctx_);
  p->stream_->Write(hello);
  ClientPeer* raw = p.get();
  p->reader_ = std::thread([raw, on_batch = std::move(on_batch), on_close = std::move(on_close)] {
    while (true) {
      auto b = std::make_shared<v1::Batch>();
      if (!raw->stream_->Read(b.get())) break;
      on_batch(std::move(b));
    }
    {
      std::lock_guard<std::mutex> l(raw->mu_);
      raw->closed_ = true;
    }
    const grpc::Status s = raw->stream_->Finish();
    on_close(s);
  });
  return p;
}

ClientPeer::~ClientPeer() {
  if (reader_.joinable()) {
    Cancel();
    reader_.join();
  }
}

bool ClientPeer::Write(const v1::Batch& b) {
  std::lock_guard<std::mutex> l(mu_);
  if (closed_) return false;
  return stream_->Write(b);
}

void ClientPeer::CloseAndJoin() {
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!closed_) {
      closed_ = true;
      stream_->WritesDone();
    }
  }
  if (reader_.joinable()) reader_.join();
}

bool ServerPeer::Write(const v1::Batch& b) {
  std::lock_guard<std::mutex> l(mu_);
  if (done_) return false;
  return stream_->Write(b);
}

void ServerPeer::MarkDone() {
  std::lock_guard<std::mutex> l(mu_);
  done_ = true;
}

}  // namespace etchsim::rpc
