#include "rpc/liveness.h"

#include <chrono>

namespace etchsim::rpc {

struct LivenessProbe::Call {
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
};

LivenessProbe::LivenessProbe(const std::vector<std::shared_ptr<grpc::Channel>>& channels,
                             double timeout_s)
    : timeout_s_(timeout_s), in_flight_(channels.size(), nullptr), waiting_(channels.size()) {
  for (const auto& c : channels) stubs_.push_back(grpc::health::v1::Health::NewStub(c));
}

LivenessProbe::~LivenessProbe() {
  std::unique_lock<std::mutex> lock(mu_);
  for (Call* c : in_flight_) {
    if (c != nullptr) c->ctx.TryCancel();
  }
  idle_.wait(lock, [this] { return outstanding_ == 0; });
}

void LivenessProbe::Check(int p, Done done) {
  Call* call = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    waiting_[p].push_back(std::move(done));
    if (in_flight_[p] != nullptr) return;
    call = new Call;
    in_flight_[p] = call;
    ++outstanding_;
  }
  call->ctx.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             std::chrono::duration<double>(timeout_s_)));
  // Not wait_for_ready: a process that is gone answers UNAVAILABLE at once.
  stubs_[p]->async()->Check(&call->ctx, &call->req, &call->resp, [this, p, call](grpc::Status s) {
    delete call;
    Finish(p, s);
  });
}

void LivenessProbe::Finish(int p, const grpc::Status& s) {
  std::vector<Done> done;
  {
    std::lock_guard<std::mutex> lock(mu_);
    in_flight_[p] = nullptr;
    done.swap(waiting_[p]);
  }
  for (Done& d : done) d(s);
  std::lock_guard<std::mutex> lock(mu_);
  if (--outstanding_ == 0) idle_.notify_all();
}

}  // namespace etchsim::rpc
