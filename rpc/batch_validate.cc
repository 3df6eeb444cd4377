#include "rpc/batch_validate.h"

#include <algorithm>
#include <limits>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "model/model_spec.h"
#include "rpc/address.h"
#include "rpc/wire.h"
#include "serving/faults.h"
#include "sim/channels.h"
#include "sim/scenario_validate.h"

namespace etchsim::rpc {
namespace {

using serving::MsgType;

absl::Status Bad(absl::string_view what) { return absl::InvalidArgumentError(what); }

absl::Status CheckTime(absl::string_view field, int64_t ps) {
  if (ps >= 0 && ps <= kMaxPeerTimePs) return absl::OkStatus();
  return Bad(absl::StrCat(field, " must be in [0, ", kMaxPeerTimePs, "] ps, got ", ps));
}

absl::Status CheckRunId(const std::string& id) {
  if (id.empty() || id.size() > 128) {
    return Bad(absl::StrCat("run_id must be 1 to 128 bytes, got ", id.size()));
  }
  return base::CheckUtf8("", "run_id", id);
}

}  // namespace

PeerLimits LimitsFor(const sim::Simulation& sim, int rank, int stages_per_rank) {
  const serving::ChannelPlan plan = sim::PlanChannels(sim, stages_per_rank);
  PeerLimits l;
  l.rank = rank;
  l.num_ranks = plan.num_ranks;
  l.num_lps = sim.num_lps();
  l.num_links = static_cast<int>(sim.topology().links().size());
  l.rank_of_lp = plan.rank_of_lp;
  l.outputs_of_rank.assign(plan.num_ranks, 0);
  l.inputs_of_rank.assign(plan.num_ranks, 0);
  for (const serving::Channel& c : plan.channels) {
    ++l.outputs_of_rank[c.from];
    ++l.inputs_of_rank[c.to];
  }
  if (sim.disaggregated()) {
    l.kv_receiver.assign(l.num_lps, false);
    for (int s = 0; s < sim.decode_stages(); ++s) {
      if (sim.HoldsDecodeKv(s)) l.kv_receiver[sim.stage_lp(s)] = true;
    }
  }
  return l;
}

absl::Status ValidateHello(const v1::Batch& hello, const PeerLimits& l) {
  if (!hello.hello()) return Bad("Exchange must start with hello");
  RETURN_IF_ERROR(CheckRunId(hello.run_id()));
  if (hello.from_rank() < 0 || hello.from_rank() >= l.num_ranks || hello.from_rank() == l.rank) {
    return Bad(absl::StrCat("hello: from_rank must be another rank in [0, ", l.num_ranks - 1,
                            "], got ", hello.from_rank()));
  }
  return absl::OkStatus();
}

absl::Status ValidateEvent(const serving::Event& e, const PeerLimits& l) {
  RETURN_IF_ERROR(CheckTime("time", e.time.picos()));
  if (e.target < 0 || e.target >= l.num_lps || l.rank_of_lp[e.target] != l.rank) {
    return Bad(absl::StrCat("target LP ", e.target, " is not an LP of rank ", l.rank));
  }
  const serving::LpId sender = serving::KeySender(e.key);
  if (sender < 0 || sender >= l.num_lps) {
    return Bad(absl::StrCat("key names sender LP ", sender, ", not in [0, ", l.num_lps, ")"));
  }
  const serving::Message& m = e.msg;
  // Timers and arrivals are LP-internal; only these cross processes.
  // A kAbort crosses only as a paged-KV preemption (fault aborts are
  // in-process only).
  const bool preempt = m.type == MsgType::kAbort && m.flags == serving::kFlagPreempt;
  if (m.type != MsgType::kWork && m.type != MsgType::kTokenOut && m.type != MsgType::kDispatch &&
      m.type != MsgType::kCombine && m.type != MsgType::kKvTransfer && !preempt) {
    return Bad(
        absl::StrCat("message kind ", static_cast<int>(m.type), " does not cross processes"));
  }
  if (!preempt && (m.flags & ~(serving::kFlagPrefill | serving::kFlagLastChunk |
                               serving::kFlagFinal | serving::kFlagKvGate))) {
    return Bad(absl::StrCat("unknown message flags ", static_cast<int>(m.flags)));
  }
  // KV moves, and decode steps wait for it, only in a disaggregated run.
  const bool kv = m.type == MsgType::kKvTransfer || (m.flags & serving::kFlagKvGate);
  if (kv && l.kv_receiver.empty()) {
    return Bad("a KV transfer or KV-gated step in a run without a prefill pool");
  }
  for (auto [name, v] : {std::pair{"dst", m.dst}, std::pair{"origin", m.origin}}) {
    if (v < 0 || v >= l.num_lps) {
      return Bad(absl::StrCat("message ", name, " LP ", v, " not in [0, ", l.num_lps, ")"));
    }
  }
  // A dispatch is answered with a combine sent over the fabric to its
  // origin; from the receiving LP to itself there is no route (the
  // fuzzer's first finding: NextLink(self, self) = -1 used as an index).
  if (m.type == MsgType::kDispatch && m.origin == e.target) {
    return Bad(absl::StrCat("dispatch to LP ", e.target, " names that LP as its origin"));
  }
  if (m.ingress < -1 || m.ingress >= l.num_links) {
    return Bad(absl::StrCat("message ingress link ", m.ingress, " not in [-1, ", l.num_links, ")"));
  }
  const int32_t max_tokens = static_cast<int32_t>(model::kMaxContextTokens);
  for (auto [name, v] :
       {std::pair{"request", m.request}, std::pair{"step", m.step}, std::pair{"aux", m.aux}}) {
    if (v < 0) return Bad(absl::StrCat("message ", name, " must be >= 0, got ", v));
  }
  for (auto [name, v] : {std::pair{"context", m.context}, std::pair{"count", m.count},
                         std::pair{"remaining", m.remaining}}) {
    if (v < 0 || v > max_tokens) {
      return Bad(absl::StrCat("message ", name, " must be in [0, ", max_tokens, "], got ", v));
    }
  }
  if (m.bytes < 0) return Bad(absl::StrCat("message bytes must be >= 0, got ", m.bytes));
  if (m.type == MsgType::kKvTransfer) {
    if (!l.kv_receiver[m.dst]) {
      return Bad(absl::StrCat("KV transfer to LP ", m.dst, ", which holds no decode KV"));
    }
    if (m.bytes < 1 || m.bytes > serving::kMaxKvPieceBytes) {
      return Bad(absl::StrCat("KV transfer bytes must be in [1, ", serving::kMaxKvPieceBytes,
                              "], got ", m.bytes));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateBatch(const v1::Batch& b, int from_rank, const PeerLimits& l) {
  if (b.from_rank() != from_rank) {
    return Bad(
        absl::StrCat("from_rank ", b.from_rank(), " on a stream opened by rank ", from_rank));
  }
  // Clocks may be SimTime::Max() ("no bound"), never negative.
  for (auto [name, v] :
       {std::pair{"promise_ps", b.promise_ps()}, std::pair{"lvt_ps", b.lvt_ps()},
        std::pair{"end_ps", b.end_ps()}, std::pair{"gvt_ps", b.gvt_ps()},
        std::pair{"next_event_ps", b.next_event_ps()}, std::pair{"floor_ps", b.floor_ps()}}) {
    if (v < 0) return Bad(absl::StrCat(name, " must be >= 0, got ", v));
  }
  if (b.floor_ps() != 0 && from_rank != 0) {
    return Bad(absl::StrCat("floor_ps from rank ", from_rank, ": only the coordinator sends it"));
  }
  if (b.events_sent_size() > 0 || b.events_received_size() > 0) {
    const size_t r = static_cast<size_t>(from_rank);
    const int outs = r < l.outputs_of_rank.size() ? l.outputs_of_rank[r] : 0;
    const int ins = r < l.inputs_of_rank.size() ? l.inputs_of_rank[r] : 0;
    if (b.events_sent_size() != outs || b.events_received_size() != ins) {
      return Bad(absl::StrCat("events_sent/events_received: rank ", from_rank, " has ", outs,
                              " output and ", ins, " input channels, got ", b.events_sent_size(),
                              " and ", b.events_received_size(), " counts"));
    }
    for (const auto* counts : {&b.events_sent(), &b.events_received()}) {
      for (int64_t n : *counts) {
        if (n < 0) return Bad(absl::StrCat("event counts must be >= 0, got ", n));
      }
    }
  }
  if (b.events_processed() < 0) return Bad("events_processed must be >= 0");
  if (b.error().size() > 4096) return Bad("error must be at most 4096 bytes");
  RETURN_IF_ERROR(base::CheckUtf8("", "error", b.error()));
  if (b.peer_lost()) {
    if (b.error().empty()) return Bad("peer_lost without an error");
    for (auto [name, v] :
         {std::pair{"lost_rank", b.lost_rank()}, std::pair{"loss_reporter", b.loss_reporter()}}) {
      if (v < 0 || v >= l.num_ranks) {
        return Bad(absl::StrCat(name, " must be in [0, ", l.num_ranks, "), got ", v));
      }
    }
    if (b.lost_rank() == b.loss_reporter()) return Bad("lost_rank equals loss_reporter");
  }
  if (b.events().size() % kEventBytes != 0) {
    return Bad(
        absl::StrCat("events: ", b.events().size(), " bytes is not a multiple of ", kEventBytes));
  }
  ASSIGN_OR_RETURN(std::vector<serving::Event> events, DecodeEvents(b.events()));
  for (size_t i = 0; i < events.size(); ++i) {
    const absl::Status s = ValidateEvent(events[i], l);
    if (!s.ok()) return Bad(absl::StrCat("event ", i, ": ", s.message()));
  }
  return absl::OkStatus();
}

StreamCheck::StreamCheck(const PeerLimits& limits, int from_rank)
    : l_(limits), from_(from_rank), last_key_(limits.num_lps, 0), seen_(limits.num_lps, false) {}

absl::Status StreamCheck::Check(const v1::Batch& b) {
  RETURN_IF_ERROR(ValidateBatch(b, from_, l_));
  ASSIGN_OR_RETURN(std::vector<serving::Event> events, DecodeEvents(b.events()));
  for (size_t i = 0; i < events.size(); ++i) {
    const serving::Event& e = events[i];
    const serving::LpId sender = serving::KeySender(e.key);
    if (l_.rank_of_lp[sender] != from_) {
      return Bad(absl::StrCat("event ", i, ": key names sender LP ", sender,
                              ", which is not an LP of rank ", from_));
    }
    if (seen_[sender] && e.key <= last_key_[sender]) {
      return Bad(absl::StrCat("event ", i, ": key ", e.key, " of sender LP ", sender,
                              " repeats or precedes its key ", last_key_[sender],
                              " (a duplicated or replayed event)"));
    }
    if (e.time.picos() < promise_ps_) {
      return Bad(absl::StrCat("event ", i, ": time ", e.time.picos(),
                              " ps is earlier than the stream's promise of ", promise_ps_, " ps"));
    }
    seen_[sender] = true;
    last_key_[sender] = e.key;
  }
  promise_ps_ = std::max(promise_ps_, b.promise_ps());
  if (b.events_sent_size() > 0 || b.events_received_size() > 0) {  // sized by ValidateBatch
    for (auto [name, counts, last] :
         {std::tuple{"events_sent", &b.events_sent(), &sent_},
          std::tuple{"events_received", &b.events_received(), &received_}}) {
      for (int i = 0; !last->empty() && i < counts->size(); ++i) {
        if ((*counts)[i] < (*last)[i]) {
          return Bad(absl::StrCat(name, "[", i, "] fell from ", (*last)[i], " to ", (*counts)[i]));
        }
      }
      last->assign(counts->begin(), counts->end());
    }
  }
  return absl::OkStatus();
}

namespace {

// `v` in [0, hi]; `hi` is computed in 128 bits (products of counts).
absl::Status CheckCount(absl::string_view field, int64_t v, __int128 hi) {
  if (v >= 0 && static_cast<__int128>(v) <= hi) return absl::OkStatus();
  const int64_t shown = hi > std::numeric_limits<int64_t>::max()
                            ? std::numeric_limits<int64_t>::max()
                            : static_cast<int64_t>(hi);
  return Bad(absl::StrCat(field, " must be in [0, ", shown, "], got ", v));
}

// Far above any fan-out one event causes (a dispatch to every chip, a
// prompt's KV in 1 GiB pieces), far below what overflows a sum.
constexpr int64_t kMaxMessagesPerEvent = int64_t{1} << 20;

}  // namespace

absl::Status ValidateProcessStats(const v1::ProcessStats& stats, const sim::Simulation& sim,
                                  int first_stage, int hosted, base::SimTime end) {
  if (stats.chips_size() != hosted) {
    return Bad(absl::StrCat("chips: ", stats.chips_size(), " entries, not the ", hosted, " stages ",
                            first_stage, "-", first_stage + hosted - 1));
  }
  RETURN_IF_ERROR(CheckCount("events_processed", stats.events_processed(), kMaxPeerTimePs));
  const __int128 events = stats.events_processed();
  const sim::SimulationResult skeleton = sim.Skeleton();
  const int64_t window_ps = std::max<int64_t>(0, (end - skeleton.window_start).picos());
  const fabric::Topology& topo = sim.topology();
  const int num_links = static_cast<int>(topo.links().size());
  for (int i = 0; i < hosted; ++i) {
    const v1::ChipStats& c = stats.chips(i);
    const int stage = first_stage + i;
    const std::string at = absl::StrCat("chips[", i, "] (stage ", stage, ")");
    if (c.stage() != stage) {
      return Bad(absl::StrCat(at, ": stage must be ", stage, ", got ", c.stage()));
    }
    const int units = std::max(1, skeleton.stages[stage].units);
    for (auto [field, v, hi] : {
             std::tuple{"busy_ps", c.busy_ps(), static_cast<__int128>(window_ps) * units},
             std::tuple{"expert_busy_ps", c.expert_busy_ps(), static_cast<__int128>(window_ps)},
             std::tuple{"tokens", c.tokens(), events * model::kMaxContextTokens},
             std::tuple{"transfers", c.transfers(), events},
             // Each event brings at most a piece's or a round trip's bytes.
             std::tuple{"transfer_bytes", c.transfer_bytes(),
                        events * 2 * std::numeric_limits<int32_t>::max()},
             // Each wait ends by the end of the run.
             std::tuple{"transfer_wait_ps", c.transfer_wait_ps(),
                        static_cast<__int128>(c.transfers()) * std::max<int64_t>(0, end.picos())},
         }) {
      if (absl::Status s = CheckCount(field, v, hi); !s.ok()) {
        return Bad(absl::StrCat(at, ": ", s.message()));
      }
    }
    const serving::LpId lp = sim.stage_lp(stage);
    std::vector<bool> listed(num_links, false);
    for (int j = 0; j < c.links_size(); ++j) {
      const v1::LinkStats& ls = c.links(j);
      const std::string where = absl::StrCat(at, ": links[", j, "]");
      if (ls.link() < 0 || ls.link() >= num_links) {
        return Bad(absl::StrCat(where, ": link must be in [0, ", num_links, "), got ", ls.link()));
      }
      const fabric::Link& link = topo.links()[ls.link()];
      if (link.from != lp && link.to != lp) {
        return Bad(absl::StrCat(where, ": link ", ls.link(), " (", link.name,
                                ") does not touch this stage's chip"));
      }
      if (listed[ls.link()]) {
        return Bad(absl::StrCat(where, ": link ", ls.link(), " (", link.name, ") listed twice"));
      }
      listed[ls.link()] = true;
      const double max_bytes = link.bytes_per_ps * static_cast<double>(window_ps) +
                               static_cast<double>(std::numeric_limits<int32_t>::max());
      for (auto [field, v, hi] : {
               std::tuple{"busy_ps", ls.busy_ps(), static_cast<__int128>(window_ps)},
               std::tuple{"messages", ls.messages(), events * kMaxMessagesPerEvent},
               // A link carries at most its bandwidth over the window, plus
               // the message under way at its end (counted where it starts).
               std::tuple{"bytes", ls.bytes(),
                          std::min<__int128>(static_cast<__int128>(ls.messages()) *
                                                 std::numeric_limits<int32_t>::max(),
                                             max_bytes >= 9e18 ? std::numeric_limits<int64_t>::max()
                                                               : static_cast<__int128>(max_bytes))},
           }) {
        if (absl::Status s = CheckCount(field, v, hi); !s.ok()) {
          return Bad(absl::StrCat(where, ": ", s.message()));
        }
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLoadShard(const v1::LoadShardRequest& req) {
  RETURN_IF_ERROR(CheckRunId(req.run_id()));
  RETURN_IF_ERROR(serving::CheckNoFaultsForDistributed(req.scenario()));
  if (req.model_config_json().size() > (size_t{16} << 20)) {
    return Bad(absl::StrCat("model_config_json must be at most 16 MiB, got ",
                            req.model_config_json().size(), " bytes"));
  }
  if (req.stage() < 0 || req.stage() >= serving::kMaxChips) {
    return Bad(absl::StrCat("stage must be in [0, ", serving::kMaxChips, "), got ", req.stage()));
  }
  if (req.stages_per_process() < 1 || req.stages_per_process() > serving::kMaxChips) {
    return Bad(absl::StrCat("stages_per_process must be in [1, ", serving::kMaxChips, "], got ",
                            req.stages_per_process()));
  }
  if (req.stage() % req.stages_per_process() != 0) {
    return Bad(absl::StrCat("stage must be a multiple of stages_per_process (",
                            req.stages_per_process(), "), got ", req.stage()));
  }
  if (req.shards_size() < 1 || req.shards_size() > req.stages_per_process()) {
    return Bad(absl::StrCat("shards must hold 1 to stages_per_process (", req.stages_per_process(),
                            ") entries, got ", req.shards_size()));
  }
  if (req.process_addresses_size() > serving::kMaxChips) {
    return Bad(absl::StrCat("process_addresses holds at most ", serving::kMaxChips,
                            " entries, got ", req.process_addresses_size()));
  }
  for (const std::string& a : req.process_addresses()) {
    RETURN_IF_ERROR(ValidateHostPort("process_addresses", a, /*allow_port_zero=*/false));
  }
  return absl::OkStatus();
}

}  // namespace etchsim::rpc
