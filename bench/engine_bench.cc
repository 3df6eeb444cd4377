// Engine-core benchmark: the classic PHOLD model. N LPs; each event
// schedules one new event at a random LP after a random delay, so the
// queue holds a constant population. Measures raw events per second of the
// kernel (priority queue, dispatch, LP call), without any chip model.
#include <memory>

#include "base/rng.h"
#include "benchmark/benchmark.h"
#include "serving/engine.h"

namespace etchsim::serving {
namespace {

class Phold : public Lp {
 public:
  Phold(int n, uint64_t seed, LpId self) : n_(n), rng_(seed, static_cast<uint64_t>(self)) {}
  void Handle(const Event& e, Outbox& out) override {
    const LpId to = static_cast<LpId>(rng_.Next() % n_);
    const SimTime delay = SimTime::Picos(1000 + static_cast<int64_t>(rng_.Next() % 9000));
    out.Send(to, e.time + delay, e.msg);
  }

 private:
  int n_;
  base::Rng rng_;
};

void BM_Phold(benchmark::State& state) {
  const int lps = static_cast<int>(state.range(0));
  const int population = static_cast<int>(state.range(1));
  uint64_t events = 0;
  for (auto _ : state) {
    Kernel k;
    for (int i = 0; i < lps; ++i) k.Add(std::make_unique<Phold>(lps, 42, i));
    for (int i = 0; i < population; ++i) {
      k.Inject(i % lps, i % lps, SimTime::Picos(i), Message{});
    }
    // Long enough that setup is negligible: ~2M events.
    k.Run(SimTime::Picos(int64_t{2000000} / population * 5500));
    events += k.events_processed();
  }
  state.counters["events_per_s"] =
      benchmark::Counter(static_cast<double>(events), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Phold)
    ->Args({32, 64})       // a 30-chip cluster's LPs, a few tokens each
    ->Args({32, 1024})     // the same under heavy load
    ->Args({1024, 16384})  // many LPs, big queue
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace etchsim::serving

BENCHMARK_MAIN();
