// Peers: the two ends of an Exchange stream between two processes.
//
// gRPC's synchronous streams with one reader thread per stream: the reader
// only moves received batches onto the process's io_context (where all
// simulation state lives, so the simulation itself needs no locks), and
// every write happens on the io_context thread. A small mutex per stream
// orders writes against the stream's end, so nothing is written to a
// finished stream.
#ifndef ETCHSIM_RPC_PEER_H_
#define ETCHSIM_RPC_PEER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "grpcpp/grpcpp.h"
#include "proto/etchsim/v1/service.grpc.pb.h"

namespace etchsim::rpc {

// Called on the reader thread with each batch; must hand it to the
// io_context, not process it.
using BatchSink = std::function<void(std::shared_ptr<v1::Batch>)>;
// Called on the reader thread once the stream has ended.
using CloseSink = std::function<void(const grpc::Status&)>;

class Peer {
 public:
  explicit Peer(int rank) : rank_(rank) {}
  virtual ~Peer() = default;
  int rank() const { return rank_; }
  // io thread only. False once the stream is gone.
  virtual bool Write(const v1::Batch& b) = 0;

 private:
  int rank_;
};

// The side that opened the stream.
class ClientPeer : public Peer {
 public:
  // Opens Exchange on `channel`, sends `hello`, and starts reading.
  // `deadline_s` bounds the whole stream (every RPC has a deadline).
  static std::shared_ptr<ClientPeer> Open(std::shared_ptr<grpc::Channel> channel, int peer_rank,
                                          const v1::Batch& hello, double deadline_s,
                                          BatchSink on_batch, CloseSink on_close);
  ~ClientPeer() override;
  bool Write(const v1::Batch& b) override;
  // Half-closes (WritesDone) and waits for the reader to finish.
  void CloseAndJoin();
  // Aborts the stream (on failure).
  void Cancel() { ctx_.TryCancel(); }

 private:
  explicit ClientPeer(int rank) : Peer(rank) {}
  grpc::ClientContext ctx_;
  std::unique_ptr<v1::ChipService::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::Batch, v1::Batch>> stream_;
  std::thread reader_;
  std::mutex mu_;
  bool closed_ = false;
};

// The side that accepted it (inside ChipService::Exchange).
class ServerPeer : public Peer {
 public:
  ServerPeer(int rank, grpc::ServerReaderWriter<v1::Batch, v1::Batch>* stream)
      : Peer(rank), stream_(stream) {}
  bool Write(const v1::Batch& b) override;
  // The handler is about to return: no write may touch the stream after.
  void MarkDone();

 private:
  grpc::ServerReaderWriter<v1::Batch, v1::Batch>* stream_;
  std::mutex mu_;
  bool done_ = false;
};

// Channel arguments for every connection: keepalive pings so that a peer
// that dies without closing its socket is noticed within seconds.
grpc::ChannelArguments PeerChannelArgs();

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_PEER_H_
