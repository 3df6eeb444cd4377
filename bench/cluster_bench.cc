// Whole-simulator benchmarks on real scenarios, reported as plain numbers
// (virtual seconds simulated per wall second, events per second, peak
// memory) because that is what the goals are stated in:
//   * DeepSeek R1 on 30 hc2 chips at full pipeline load: virtual s per
//     wall s >= 1;
//   * 10,000 concurrent users in <= 1 GiB.
// Usage: cluster_bench [scenario ...] (default: all).
#include <chrono>
#include <cstdio>
#include <string>

#include <sys/resource.h>

#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::bench {
namespace {

long PeakRssKib() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;  // KiB on Linux
}

int Bench(const char* name, v1::Scenario s) {
  const auto t0 = std::chrono::steady_clock::now();
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, std::string(sim.status().message()).c_str());
    return 1;
  }
  auto r = (*sim)->RunInProcess();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (!r.ok()) return 1;
  std::printf(
      "%-28s virtual %.4f s  wall %.3f s  virtual/wall %.3f  events %llu  "
      "%.2f M events/s  output tokens %lld  peak RSS %.1f MiB\n",
      name, r->end.ToSeconds(), wall, r->end.ToSeconds() / wall,
      static_cast<unsigned long long>(r->events), r->events / wall / 1e6,
      static_cast<long long>(r->host.output_tokens), PeakRssKib() / 1024.0);
  return 0;
}

}  // namespace
}  // namespace etchsim::bench

int main(int argc, char** argv) {
  using namespace etchsim;
  const std::string only = argc > 1 ? argv[1] : "";
  int rc = 0;
  auto want = [&](const char* n) { return only.empty() || only == n; };
  if (want("r1_hc2_30_full_load")) {
    // Enough closed-loop users that the KV cache (75 requests of 2,048
    // tokens) is always full and more wait: the pipeline runs flat out.
    v1::Scenario s = sim::DefaultScenario();
    s.mutable_workload()->mutable_closed_loop()->set_users(100);
    s.set_max_requests(0);
    s.set_duration_s(1.0);
    rc |= bench::Bench("r1_hc2_30_full_load", s);
  }
  if (want("r1_hc2_30_one_user")) {
    v1::Scenario s = sim::DefaultScenario();
    s.set_max_requests(0);
    s.set_duration_s(1.0);
    rc |= bench::Bench("r1_hc2_30_one_user", s);
  }
  if (want("users_10k")) {
    // 10,000 concurrent closed-loop users on the default R1 cluster with
    // short requests (128 in / 128 out): ~600 fit the KV cache at a time
    // and decode, the rest wait for admission. Peak RSS is the goal.
    v1::Scenario s = sim::DefaultScenario();
    s.mutable_workload()->mutable_closed_loop()->set_users(10000);
    s.mutable_workload()->mutable_input_len()->set_fixed(128);
    s.mutable_workload()->mutable_output_len()->set_fixed(128);
    s.set_max_requests(0);
    s.set_duration_s(0.5);
    rc |= bench::Bench("users_10k", s);
  }
  if (want("r1_b200_gpu_256_users")) {
    // The GPU baseline at full batch: 256 closed-loop users of R1 on 8 x
    // B200, every decode in every step (TakeStep over a 256-item queue).
    v1::Scenario s = sim::DefaultScenario();
    s.set_chip("b200");
    s.set_chips(8);
    s.mutable_workload()->mutable_closed_loop()->set_users(256);
    s.mutable_workload()->mutable_closed_loop()->set_ramp_up_s(5);
    s.set_max_requests(0);
    s.set_duration_s(30);
    rc |= bench::Bench("r1_b200_gpu_256_users", s);
  }
  return rc;
}
