// Peers: the two ends of an Exchange stream between two processes.
//
// gRPC's callback (reactor) API: a received batch arrives on a gRPC
// callback thread, which only moves it onto the process's io_context
// (where all simulation state lives, so the simulation itself needs no
// locks); there is no reader thread per stream. A write from the
// io_context thread never blocks it: the batch joins the stream's queue
// and is started at once when no other write is in flight, else when the
// one before it completes (gRPC allows one write in flight per stream).
// Closing a stream waits for its queued writes first, so the last batches
// (an error, the end of a run) are sent before the stream ends.
//
// Until 2026-12 these were synchronous streams with a reader thread each
// and blocking writes: four thread hand-offs per message (docs/
// BENCHMARKS.md, issue 14, has both measured).
#ifndef ETCHSIM_RPC_PEER_H_
#define ETCHSIM_RPC_PEER_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "grpcpp/grpcpp.h"
#include "proto/etchsim/v1/service.grpc.pb.h"

namespace etchsim::rpc {

// Called on a gRPC thread with each batch; must hand it to the io_context,
// not process it.
using BatchSink = std::function<void(std::shared_ptr<v1::Batch>)>;
// Called on a gRPC thread once the stream has ended.
using CloseSink = std::function<void(const grpc::Status&)>;

class Peer {
 public:
  explicit Peer(int rank) : rank_(rank) {}
  virtual ~Peer() = default;
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  int rank() const { return rank_; }
  // Queues `b` for sending (io thread; does not wait for the network).
  // False once the stream is closing or gone.
  bool Write(const v1::Batch& b);
  // Waits up to `timeout_s` until every queued batch has been handed to
  // gRPC (or the stream is gone). For a failing run, before it cancels
  // its streams, so that its error batches go out first.
  void Drain(double timeout_s);

 protected:
  // Starts gRPC's write of `b` (one at a time; `b` stays valid until
  // FinishedWrite).
  virtual void StartWriteOp(const v1::Batch* b) = 0;
  // Ends the writing side: WritesDone (client) or Finish (server). Called
  // once, after the last queued write.
  virtual void StartCloseOp() = 0;
  // From OnWriteDone.
  void FinishedWrite(bool ok);
  // No more writes; the close op starts when the queue is empty.
  void RequestClose();

  std::mutex mu_;
  std::condition_variable cv_;

 private:
  const int rank_;
  std::deque<v1::Batch> queue_;  // front() is in flight while writing_
  bool writing_ = false;
  bool closing_ = false;  // no more writes accepted
  bool close_started_ = false;
};

// The side that opened the stream.
class ClientPeer final : public Peer, public grpc::ClientBidiReactor<v1::Batch, v1::Batch> {
 public:
  // Opens Exchange on `channel`, sends `hello`, and starts reading.
  // `deadline_s` bounds the whole stream (every RPC has a deadline).
  static std::shared_ptr<ClientPeer> Open(std::shared_ptr<grpc::Channel> channel, int peer_rank,
                                          const v1::Batch& hello, double deadline_s,
                                          BatchSink on_batch, CloseSink on_close);
  ~ClientPeer() override;
  // Half-closes (WritesDone, after the queued writes) and waits until the
  // stream has ended.
  void CloseAndJoin();
  // Aborts the stream (on failure).
  void Cancel() { ctx_.TryCancel(); }

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override { FinishedWrite(ok); }
  void OnWritesDoneDone(bool) override {}
  void OnDone(const grpc::Status& s) override;

 private:
  ClientPeer(int rank, BatchSink on_batch, CloseSink on_close)
      : Peer(rank), on_batch_(std::move(on_batch)), on_close_(std::move(on_close)) {}
  void StartWriteOp(const v1::Batch* b) override { StartWrite(b); }
  void StartCloseOp() override;
  void WaitDone();

  grpc::ClientContext ctx_;
  std::unique_ptr<v1::ChipService::Stub> stub_;
  BatchSink on_batch_;
  CloseSink on_close_;
  std::shared_ptr<v1::Batch> reading_;
  bool started_ = false;
  bool done_ = false;  // OnDone has run (under mu_)
};

// The side that accepted it, driven by the server's Exchange reactor:
// writes go through the reactor, and closing finishes the call. The
// reactor is a raw (ByteBuffer) one, so that the server parses what it
// reads itself and can say what was wrong with an unparseable batch (gRPC's
// own parse failure carries no detail); batches are serialised here.
class ServerPeer final : public Peer {
 public:
  using Reactor = grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>;
  ServerPeer(int rank, Reactor* reactor) : Peer(rank), reactor_(reactor) {}
  // Ends the call with `s` once the queued writes are sent; no write is
  // accepted after.
  void Close(const grpc::Status& s);
  // From the reactor's OnWriteDone.
  void WriteDone(bool ok) { FinishedWrite(ok); }

 private:
  void StartWriteOp(const v1::Batch* b) override;
  void StartCloseOp() override;

  Reactor* reactor_;          // alive until Finish completes
  grpc::ByteBuffer out_;      // the write in flight (one at a time)
  bool close_asked_ = false;  // under mu_
  grpc::Status status_;       // under mu_; what Close asked for
};

// Channel arguments for every connection: keepalive pings so that a peer
// that dies without closing its socket is noticed within seconds.
grpc::ChannelArguments PeerChannelArgs();

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_PEER_H_
