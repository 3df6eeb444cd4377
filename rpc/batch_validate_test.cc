#include "rpc/batch_validate.h"

#include <functional>
#include <limits>
#include <memory>

#include "gtest/gtest.h"
#include "rpc/wire.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace etchsim::rpc {
namespace {

using serving::Event;
using serving::MsgType;

// A 4-stage pipeline of Llama 3.1 70B on hc2: rank 2 is stage 1.
class BatchValidateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    v1::Scenario s = sim::DefaultScenario();
    s.set_model("llama-3.1-70b");
    s.set_chips(4);
    auto sim = sim::Simulation::Build(s);
    ASSERT_TRUE(sim.ok()) << sim.status();
    sim_ = std::move(*sim);
    limits_ = LimitsFor(*sim_, 2);
    for (int lp = 0; lp < limits_.num_lps; ++lp) {
      if (limits_.rank_of_lp[lp] == 2) local_ = lp;
      if (limits_.rank_of_lp[lp] == 1) other_ = lp;
    }
    ASSERT_GE(local_, 0);
    ASSERT_GE(other_, 0);
  }
  Event Good() const {
    Event e;
    e.time = base::SimTime::Nanos(5);
    e.key = serving::MakeKey(other_, 7);
    e.target = local_;
    e.msg.type = MsgType::kWork;
    e.msg.dst = local_;
    e.msg.origin = other_;
    e.msg.request = 3;
    e.msg.count = 1;
    e.msg.remaining = 10;
    e.msg.context = 100;
    e.msg.bytes = 16384;
    return e;
  }
  std::unique_ptr<sim::Simulation> sim_;
  PeerLimits limits_;
  int local_ = -1, other_ = -1;
};

TEST_F(BatchValidateTest, GoodEventPasses) { EXPECT_TRUE(ValidateEvent(Good(), limits_).ok()); }

TEST_F(BatchValidateTest, PagedKvPreemptionCrosses) {
  Event e = Good();
  e.msg.type = MsgType::kAbort;
  e.msg.flags = serving::kFlagPreempt;
  EXPECT_TRUE(ValidateEvent(e, limits_).ok());
}

TEST_F(BatchValidateTest, KvTransfersCrossOnlyInDisaggregatedRuns) {
  Event e = Good();
  e.msg.type = MsgType::kKvTransfer;
  EXPECT_NE(ValidateEvent(e, limits_).message().find("without a prefill pool"), std::string::npos);
  e = Good();
  e.msg.flags = serving::kFlagKvGate;
  EXPECT_NE(ValidateEvent(e, limits_).message().find("without a prefill pool"), std::string::npos);

  // Llama 8B on 2 x HC1 decoding, an H100 prefilling: LPs 1-2 decode, 3 prefills.
  v1::Scenario s;
  s.set_model("llama-3.1-8b");
  s.set_chip("hc1");
  s.set_chips(2);
  s.mutable_disaggregation()->set_prefill_chip("h100");
  s.mutable_disaggregation()->set_prefill_chips(1);
  auto sim = sim::Simulation::Build(s);
  ASSERT_TRUE(sim.ok()) << sim.status();
  const PeerLimits l = LimitsFor(**sim, 1);  // rank 1: stage 0
  Event kv;
  kv.time = base::SimTime::Picos(1000);
  kv.key = serving::MakeKey((*sim)->stage_lp(2), 1);
  kv.target = (*sim)->stage_lp(0);
  kv.msg.type = MsgType::kKvTransfer;
  kv.msg.flags = serving::kFlagLastChunk;
  kv.msg.dst = (*sim)->stage_lp(0);
  kv.msg.origin = (*sim)->stage_lp(2);
  kv.msg.request = 0;
  kv.msg.bytes = 4096;
  EXPECT_TRUE(ValidateEvent(kv, l).ok()) << ValidateEvent(kv, l);
  Event step = kv;
  step.msg.type = MsgType::kWork;
  step.msg.flags = serving::kFlagKvGate;
  step.msg.count = 1;
  EXPECT_TRUE(ValidateEvent(step, l).ok()) << ValidateEvent(step, l);
  kv.msg.bytes = 0;
  EXPECT_NE(ValidateEvent(kv, l).message().find("KV transfer bytes must be in [1, "),
            std::string::npos);
  kv.msg.bytes = 4096;
  kv.msg.dst = (*sim)->stage_lp(2);  // the prefill stage holds no decode KV
  EXPECT_NE(ValidateEvent(kv, l).message().find("which holds no decode KV"), std::string::npos);
}

TEST_F(BatchValidateTest, EveryBadFieldIsRejected) {
  struct Case {
    const char* name;
    std::function<void(Event&)> mutate;
    const char* message;
  };
  const int n = limits_.num_lps;
  const Case cases[] = {
      {"negative time", [](Event& e) { e.time = base::SimTime::Picos(-1); }, "time must be in"},
      {"time past the clock", [](Event& e) { e.time = base::SimTime::Max(); }, "time must be in"},
      {"target negative", [](Event& e) { e.target = -1; }, "target LP -1 is not an LP of rank 2"},
      {"target huge", [](Event& e) { e.target = 1 << 30; }, "is not an LP of rank 2"},
      {"target on another rank", [&](Event& e) { e.target = other_; }, "is not an LP of rank 2"},
      {"sender past the LPs", [&](Event& e) { e.key = serving::MakeKey(n + 5, 1); },
       "key names sender LP"},
      {"kind none", [](Event& e) { e.msg.type = MsgType::kNone; }, "message kind 0"},
      {"kind timer", [](Event& e) { e.msg.type = MsgType::kTimer; }, "message kind 5"},
      {"kind arrival", [](Event& e) { e.msg.type = MsgType::kArrival; }, "message kind 6"},
      {"kind 200", [](Event& e) { e.msg.type = static_cast<MsgType>(200); }, "message kind 200"},
      {"flags", [](Event& e) { e.msg.flags = 0x80; }, "unknown message flags 128"},
      {"fault abort", [](Event& e) { e.msg.type = MsgType::kAbort; }, "message kind 8"},
      {"preempt flag on work", [](Event& e) { e.msg.flags = serving::kFlagPreempt; },
       "unknown message flags 8"},
      {"abort with more than the preempt flag",
       [](Event& e) {
         e.msg.type = MsgType::kAbort;
         e.msg.flags = serving::kFlagPreempt | serving::kFlagFinal;
       },
       "message kind 8"},
      {"dst negative", [](Event& e) { e.msg.dst = -7; }, "message dst LP -7"},
      {"dst huge", [&](Event& e) { e.msg.dst = n; }, "message dst LP"},
      {"origin negative", [](Event& e) { e.msg.origin = -1; }, "message origin LP -1"},
      {"ingress below -1", [](Event& e) { e.msg.ingress = -2; }, "message ingress link -2"},
      {"ingress huge", [](Event& e) { e.msg.ingress = 1 << 30; }, "message ingress link"},
      {"request negative", [](Event& e) { e.msg.request = -1; }, "message request must be >= 0"},
      {"step negative", [](Event& e) { e.msg.step = -1; }, "message step must be >= 0"},
      {"aux negative", [](Event& e) { e.msg.aux = -1; }, "message aux must be >= 0"},
      {"count negative", [](Event& e) { e.msg.count = -1; }, "message count must be in"},
      {"count huge", [](Event& e) { e.msg.count = 1 << 30; }, "message count must be in"},
      {"context huge", [](Event& e) { e.msg.context = 1 << 30; }, "message context must be in"},
      {"remaining negative", [](Event& e) { e.msg.remaining = -5; },
       "message remaining must be in"},
      {"bytes negative", [](Event& e) { e.msg.bytes = -1; }, "message bytes must be >= 0"},
      {"dispatch from itself",
       [&](Event& e) {
         e.msg.type = MsgType::kDispatch;
         e.msg.origin = local_;
       },
       "names that LP as its origin"},
  };
  for (const Case& c : cases) {
    Event e = Good();
    c.mutate(e);
    const absl::Status s = ValidateEvent(e, limits_);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.name << ": " << s.message();
  }
}

TEST_F(BatchValidateTest, BatchAndHello) {
  v1::Batch b;
  b.set_from_rank(1);
  std::string bytes;
  EncodeEvents({Good()}, &bytes);
  b.set_events(bytes);
  EXPECT_TRUE(ValidateBatch(b, 1, limits_).ok());
  v1::Batch lost = b;  // rank 1 reports that it lost its stream to rank 0
  lost.set_error("chip 0 stopped answering");
  lost.set_peer_lost(true);
  lost.set_lost_rank(0);
  lost.set_loss_reporter(1);
  EXPECT_TRUE(ValidateBatch(lost, 1, limits_).ok());

  struct Case {
    const char* name;
    std::function<void(v1::Batch&)> mutate;
    const char* message;
  };
  const Case cases[] = {
      {"rank mismatch", [](v1::Batch& x) { x.set_from_rank(3); },
       "from_rank 3 on a stream opened by rank 1"},
      {"torn record", [](v1::Batch& x) { x.mutable_events()->push_back('x'); },
       "is not a multiple of"},
      {"negative promise", [](v1::Batch& x) { x.set_promise_ps(-1); }, "promise_ps must be >= 0"},
      {"negative end", [](v1::Batch& x) { x.set_end_ps(-1); }, "end_ps must be >= 0"},
      {"negative gvt", [](v1::Batch& x) { x.set_gvt_ps(-9); }, "gvt_ps must be >= 0"},
      {"negative next event", [](v1::Batch& x) { x.set_next_event_ps(-9); },
       "next_event_ps must be >= 0"},
      {"floor from a chip", [](v1::Batch& x) { x.set_floor_ps(5); },
       "floor_ps from rank 1: only the coordinator sends it"},
      {"counts for other channels", [](v1::Batch& x) { x.add_events_sent(3); },
       "events_sent/events_received: rank 1 has "},
      {"negative lvt", [](v1::Batch& x) { x.set_lvt_ps(-9); }, "lvt_ps must be >= 0"},
      {"negative events", [](v1::Batch& x) { x.set_events_processed(-1); }, "events_processed"},
      {"error not UTF-8", [](v1::Batch& x) { x.set_error("\xff"); }, "error is not valid UTF-8"},
      {"error huge", [](v1::Batch& x) { x.set_error(std::string(5000, 'e')); },
       "at most 4096 bytes"},
      {"peer_lost without an error", [](v1::Batch& x) { x.set_peer_lost(true); },
       "peer_lost without an error"},
      {"lost_rank negative",
       [](v1::Batch& x) {
         x.set_error("lost");
         x.set_peer_lost(true);
         x.set_lost_rank(-1);
       },
       "lost_rank must be in [0, "},
      {"lost_rank huge",
       [](v1::Batch& x) {
         x.set_error("lost");
         x.set_peer_lost(true);
         x.set_lost_rank(1 << 30);
       },
       "lost_rank must be in [0, "},
      {"loss_reporter huge",
       [](v1::Batch& x) {
         x.set_error("lost");
         x.set_peer_lost(true);
         x.set_lost_rank(0);
         x.set_loss_reporter(1 << 30);
       },
       "loss_reporter must be in [0, "},
      {"lost its own stream",
       [](v1::Batch& x) {
         x.set_error("lost");
         x.set_peer_lost(true);
         x.set_lost_rank(1);
         x.set_loss_reporter(1);
       },
       "lost_rank equals loss_reporter"},
      {"bad record",
       [&](v1::Batch& x) {
         Event e = Good();
         e.target = 1 << 20;
         std::string raw;
         EncodeEvents({Good(), e}, &raw);
         x.set_events(raw);
       },
       "event 1: target LP"},
  };
  for (const Case& c : cases) {
    v1::Batch x = b;
    c.mutate(x);
    const absl::Status s = ValidateBatch(x, 1, limits_);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.name << ": " << s.message();
  }

  v1::Batch hello;
  hello.set_hello(true);
  hello.set_run_id("r1");
  hello.set_from_rank(1);
  EXPECT_TRUE(ValidateHello(hello, limits_).ok());
  for (int bad : {-1, 2, limits_.num_ranks, 1 << 30}) {
    hello.set_from_rank(bad);
    EXPECT_EQ(ValidateHello(hello, limits_).code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  hello.set_from_rank(1);
  hello.set_run_id(std::string(200, 'r'));
  EXPECT_NE(ValidateHello(hello, limits_).message().find("run_id must be 1 to 128 bytes"),
            std::string::npos);
}

TEST_F(BatchValidateTest, AStreamsEventsComeOnceInKeyOrderAfterItsPromise) {
  StreamCheck check(limits_, 1);
  auto batch = [](const std::vector<Event>& events, int64_t promise_ps) {
    v1::Batch b;
    b.set_from_rank(1);
    b.set_promise_ps(promise_ps);
    EncodeEvents(events, b.mutable_events());
    return b;
  };
  Event a = Good(), b = Good();
  b.key = serving::MakeKey(other_, 8);
  ASSERT_TRUE(check.Check(batch({a}, 1000)).ok());
  // The same event again (a replay, or a duplicated record in a batch).
  const absl::Status replay = check.Check(batch({a}, 0));
  EXPECT_NE(replay.message().find("repeats or precedes"), std::string::npos) << replay;
  StreamCheck dup(limits_, 1);
  const absl::Status twice = dup.Check(batch({a, b, b}, 0));
  EXPECT_NE(twice.message().find("event 2: key"), std::string::npos) << twice;
  // Earlier than what the stream promised before.
  StreamCheck early(limits_, 1);
  ASSERT_TRUE(early.Check(batch({}, 10000)).ok());
  const absl::Status past = early.Check(batch({a}, 0));
  EXPECT_NE(past.message().find("earlier than the stream's promise of 10000 ps"), std::string::npos)
      << past;
  // From an LP the sending rank does not host.
  Event foreign = Good();
  foreign.key = serving::MakeKey(local_, 1);
  StreamCheck other(limits_, 1);
  const absl::Status f = other.Check(batch({foreign}, 0));
  EXPECT_NE(f.message().find("is not an LP of rank 1"), std::string::npos) << f;
  // A status's channel counts only grow.
  StreamCheck counts(limits_, 1);
  v1::Batch status;
  status.set_from_rank(1);
  for (int i = 0; i < limits_.outputs_of_rank[1]; ++i) status.add_events_sent(5);
  for (int i = 0; i < limits_.inputs_of_rank[1]; ++i) status.add_events_received(5);
  ASSERT_GT(status.events_sent_size(), 0);
  ASSERT_TRUE(counts.Check(status).ok()) << counts.Check(status);
  status.set_events_sent(0, 4);
  const absl::Status fell = counts.Check(status);
  EXPECT_NE(fell.message().find("events_sent[0] fell from 5 to 4"), std::string::npos) << fell;
  status.set_events_sent(0, -1);
  EXPECT_NE(StreamCheck(limits_, 1).Check(status).message().find("event counts must be >= 0"),
            std::string::npos);
  // Stateless checks still apply.
  StreamCheck bad(limits_, 1);
  EXPECT_FALSE(bad.Check(batch({a}, -1)).ok());
}

// Stage 1 of the 4-stage pipeline, ended at 2 s (warm-up 0).
class ProcessStatsTest : public BatchValidateTest {
 protected:
  v1::ProcessStats Good() const {
    v1::ProcessStats p;
    p.set_events_processed(1000);
    v1::ChipStats* c = p.add_chips();
    c->set_stage(1);
    c->set_busy_ps(SimTime::Seconds(1).picos());
    c->set_tokens(500);
    const serving::LpId lp = sim_->stage_lp(1);
    for (int l = 0; l < static_cast<int>(sim_->topology().links().size()); ++l) {
      if (sim_->topology().links()[l].from != lp) continue;
      v1::LinkStats* ls = c->add_links();
      ls->set_link(l);
      ls->set_busy_ps(1000);
      ls->set_bytes(16384);
      ls->set_messages(1);
    }
    return p;
  }
  absl::Status Check(const v1::ProcessStats& p) const {
    return ValidateProcessStats(p, *sim_, 1, 1, SimTime::Seconds(2));
  }
  using SimTime = base::SimTime;
};

TEST_F(ProcessStatsTest, ImpossibleNumbersAreRefusedNamingTheField) {
  ASSERT_TRUE(Check(Good()).ok()) << Check(Good());
  ASSERT_GT(Good().chips(0).links_size(), 0);
  struct Case {
    const char* name;
    std::function<void(v1::ProcessStats&)> mutate;
    const char* message;
  };
  const int64_t max = std::numeric_limits<int64_t>::max();
  const Case cases[] = {
      {"busy 2^63-1 (a utilisation of 6.2e9)",
       [&](auto& p) { p.mutable_chips(0)->set_busy_ps(max); }, "chips[0] (stage 1): busy_ps"},
      {"busy past the window", [](auto& p) { p.mutable_chips(0)->set_busy_ps(2000000000001); },
       "busy_ps must be in [0, 2000000000000]"},
      {"negative tokens", [](auto& p) { p.mutable_chips(0)->set_tokens(-24); },
       "tokens must be in [0, "},
      {"tokens past what its events carried",
       [](auto& p) { p.mutable_chips(0)->set_tokens(int64_t{1000} * (1 << 20) + 1); }, "tokens"},
      {"expert busy", [](auto& p) { p.mutable_chips(0)->set_expert_busy_ps(-1); },
       "expert_busy_ps"},
      {"transfers", [](auto& p) { p.mutable_chips(0)->set_transfers(1001); }, "transfers"},
      {"transfer wait", [](auto& p) { p.mutable_chips(0)->set_transfer_wait_ps(1); },
       "transfer_wait_ps must be in [0, 0]"},
      {"negative events", [](auto& p) { p.set_events_processed(-1); }, "events_processed"},
      {"a stage too many", [](auto& p) { *p.add_chips() = p.chips(0); }, "2 entries"},
      {"another stage", [](auto& p) { p.mutable_chips(0)->set_stage(2); },
       "stage must be 1, got 2"},
      {"link past the table",
       [](auto& p) {
         p.mutable_chips(0)->mutable_links(0)->set_link(std::numeric_limits<int32_t>::max());
       },
       "links[0]: link must be in [0, "},
      {"negative link", [](auto& p) { p.mutable_chips(0)->mutable_links(0)->set_link(-1); },
       "link must be in"},
      {"another chip's link",
       [&](auto& p) {
         const serving::LpId lp = sim_->stage_lp(1);
         for (int l = 0; l < static_cast<int>(sim_->topology().links().size()); ++l) {
           const auto& link = sim_->topology().links()[l];
           if (link.from != lp && link.to != lp) {
             p.mutable_chips(0)->mutable_links(0)->set_link(l);
             return;
           }
         }
       },
       "does not touch this stage's chip"},
      {"a link twice", [](auto& p) { *p.mutable_chips(0)->add_links() = p.chips(0).links(0); },
       "listed twice"},
      {"link busy", [&](auto& p) { p.mutable_chips(0)->mutable_links(0)->set_busy_ps(max); },
       "busy_ps"},
      {"link bytes past its messages",
       [](auto& p) { p.mutable_chips(0)->mutable_links(0)->set_bytes(int64_t{1} << 32); },
       "bytes must be in"},
      {"negative messages", [](auto& p) { p.mutable_chips(0)->mutable_links(0)->set_messages(-1); },
       "messages"},
  };
  for (const Case& c : cases) {
    v1::ProcessStats p = Good();
    c.mutate(p);
    const absl::Status s = Check(p);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.name << ": " << s.message();
  }
}

TEST(LoadShardValidateTest, Fields) {
  v1::LoadShardRequest r;
  r.set_run_id("r");
  r.add_process_addresses("127.0.0.1:5000");
  r.set_stages_per_process(1);
  r.add_shards();
  EXPECT_TRUE(ValidateLoadShard(r).ok());
  struct Case {
    const char* name;
    std::function<void(v1::LoadShardRequest&)> mutate;
    const char* message;
  };
  const Case cases[] = {
      {"no run id", [](auto& x) { x.clear_run_id(); }, "run_id must be 1 to 128 bytes"},
      {"stage negative", [](auto& x) { x.set_stage(-1); }, "stage must be in [0, 4096), got -1"},
      {"stage huge", [](auto& x) { x.set_stage(1 << 30); }, "stage must be in"},
      {"address port", [](auto& x) { x.set_process_addresses(0, "127.0.0.1:99999"); },
       "port must be <= 65535"},
      {"address empty", [](auto& x) { x.set_process_addresses(0, ""); }, "no port"},
      {"stages per process 0", [](auto& x) { x.set_stages_per_process(0); },
       "stages_per_process must be in [1, 4096], got 0"},
      {"stages per process huge", [](auto& x) { x.set_stages_per_process(1 << 20); },
       "stages_per_process must be in"},
      {"stage not a multiple of K",
       [](auto& x) {
         x.set_stages_per_process(10);
         x.set_stage(5);
       },
       "stage must be a multiple of stages_per_process (10), got 5"},
      {"no shards", [](auto& x) { x.clear_shards(); }, "shards must hold 1 to"},
      {"more shards than K", [](auto& x) { x.add_shards(); }, "shards must hold 1 to"},
      {"model json huge", [](auto& x) { x.set_model_config_json(std::string(17 << 20, ' ')); },
       "at most 16 MiB"},
      {"faults",
       [](auto& x) {
         auto* s = x.mutable_scenario()->mutable_faults()->add_stragglers();
         s->set_stage(0);
         s->set_slowdown(2);
       },
       "faults are simulated in-process only"},
  };
  for (const Case& c : cases) {
    v1::LoadShardRequest x = r;
    c.mutate(x);
    const absl::Status s = ValidateLoadShard(x);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(s.message().find(c.message), std::string::npos) << c.name << ": " << s.message();
  }
}

}  // namespace
}  // namespace etchsim::rpc
