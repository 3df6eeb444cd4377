// pdes_bench: batches a distributed run exchanges, by layout of ranks
// (--chips-per-process K), counted over the in-memory transport
// (sim/pdes_memory.h), which runs the same executor and control code
// as the gRPC processes. Every batch is a gRPC message in a real run, so
// this is the count that a distributed run's wall time follows; it is
// exact and repeatable where wall times on a shared machine are not. Each
// row also checks the report against the in-process one.
//
//   build/release/bench/pdes_bench
#include <cstdio>
#include <string>
#include <vector>

#include "report/analytic.h"
#include "report/report.h"
#include "sim/channels.h"
#include "sim/pdes_memory.h"
#include "sim/scenario.h"

namespace etchsim::bench {
namespace {

std::string Json(const sim::Simulation& sim, const sim::SimulationResult& r) {
  return report::ReportJsonText(*report::BuildReport(r, report::Analyze(sim)));
}

int Row(const char* name, const v1::Scenario& s, const std::vector<int>& ks) {
  auto sim = sim::Simulation::Build(s);
  if (!sim.ok()) {
    std::fprintf(stderr, "%s: %s\n", name, std::string(sim.status().message()).c_str());
    return 1;
  }
  auto in = (*sim)->RunInProcess();
  if (!in.ok()) return 1;
  const std::string want = Json(**sim, *in);
  int rc = 0;
  for (int k : ks) {
    sim::InMemoryStats st;
    auto got = sim::RunPartitionedInMemory(**sim, k, &st);
    const bool same = got.ok() && Json(**sim, *got) == want;
    if (!same) rc = 1;
    std::printf("| %s | %d | %d | %lld | %lld | %lld | %s |\n", name, k,
                sim::NumRanks((*sim)->num_stages(), k) - 1, static_cast<long long>(st.batches),
                static_cast<long long>(st.null_batches), static_cast<long long>(st.events),
                same ? "identical" : "DIFFERS");
  }
  return rc;
}

}  // namespace
}  // namespace etchsim::bench

int main() {
  using etchsim::bench::Row;
  using etchsim::sim::DefaultScenario;
  std::printf(
      "| scenario | chips per process | chip processes | batches | of which null | events | "
      "report |\n|---|---|---|---:|---:|---:|---|\n");
  int rc = 0;
  {
    etchsim::v1::Scenario s = DefaultScenario();  // R1 on 30 hc2
    s.set_max_requests(1);
    s.mutable_workload()->mutable_output_len()->set_fixed(256);
    rc |= Row("R1 on 30 hc2, 1 user, 1 x 1024/256", s, {1, 10});
  }
  {
    // The default job: the run a newcomer watches first.
    rc |= Row("R1 on 30 hc2, 1 user, 1 x 1024/1024 (the default job)", DefaultScenario(), {1, 10});
  }
  {
    etchsim::v1::Scenario s = DefaultScenario();
    s.mutable_workload()->mutable_closed_loop()->set_users(75);
    s.set_max_requests(150);
    s.mutable_workload()->mutable_output_len()->set_fixed(64);
    rc |= Row("R1 on 30 hc2, 75 users, 150 x 1024/64", s, {1, 10});
  }
  {
    etchsim::v1::Scenario s = DefaultScenario();
    s.set_model("llama-3.1-70b");
    s.set_chips(4);
    s.mutable_workload()->mutable_closed_loop()->set_users(16);
    s.set_max_requests(64);
    s.mutable_workload()->mutable_input_len()->set_fixed(512);
    s.mutable_workload()->mutable_output_len()->set_fixed(128);
    rc |= Row("Llama 3.1 70B on 4 hc2, 16 users, 64 x 512/128", s, {1, 2, 4});
  }
  return rc;
}
