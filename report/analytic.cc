#include "report/analytic.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <map>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/text_table.h"
#include "serving/batch_scheduler.h"
#include "serving/node_lp.h"

namespace etchsim::report {

double MeanLength(const v1::LengthDist& d) {
  switch (d.kind_case()) {
    case v1::LengthDist::kFixed:
      return d.fixed();
    case v1::LengthDist::kUniform:
      return (d.uniform().min() + d.uniform().max()) / 2.0;
    case v1::LengthDist::kLognormal:
      return d.lognormal().median() * std::exp(d.lognormal().sigma() * d.lognormal().sigma() / 2);
    default:
      return 1;
  }
}

namespace {

double Delay(const sim::Simulation& sim, int from, int to, int64_t bytes) {
  if (from == to) return 0;
  return sim.topology().UncontendedDelay(from, to, bytes).ToSeconds();
}

// Expected time of a dispatch branch: max(local, each touched remote
// holder's round trip), holders touched independently with probability p.
double ExpectedBranch(const sim::Simulation& sim, int stage, int seg_index, int64_t count) {
  const auto& hw = sim.hardwired_model(stage);
  const chip::Segment& seg = hw.segments()[seg_index];
  const serving::LpId self = sim.stage_lp(stage);
  const double local = seg.local_expert_cycles * hw.cycle_ns() * 1e-9 +
                       (count - 1) * hw.ExpertOccupancy(1).ToSeconds();
  std::vector<std::pair<double, double>> remote;  // (time, probability)
  const serving::ExpertMap& em = sim.experts_of(stage);
  for (const serving::ExpertHolder& h : em.layers.at(seg.dispatch_layer)) {
    if (h.lp == self) continue;
    const int holder_stage = sim.topology().nodes()[h.lp].index;
    const int64_t bytes = sim.constants().HandoffBytes(count);
    const double t = Delay(sim, self, h.lp, bytes) +
                     sim.hardwired_model(holder_stage).ExpertLatency(count).ToSeconds() +
                     Delay(sim, h.lp, self, bytes);
    const double p = 1.0 - std::pow(1.0 - h.p_touch, static_cast<double>(count));
    remote.emplace_back(t, p);
  }
  std::sort(remote.begin(), remote.end(), std::greater<>());
  double expected = 0, none_yet = 1.0;
  for (auto [t, p] : remote) {
    if (t <= local) break;
    expected += none_yet * p * t;
    none_yet *= 1.0 - p;
  }
  return expected + none_yet * local;
}

// The terms of a pass of `count` tokens that do not depend on the context:
// each hard-wired stage's expected dispatch branches and each hand-off's
// delay. A single user's TPOT sums one pass per output token; computing
// these once per count rather than once per token took a 4,096-stage
// calibrate from 34 s to seconds. The sums below add the same values in
// the same order, so every estimate is bit-identical.
struct PassTerms {
  int64_t count = 0;
  std::vector<std::vector<double>> branch;  // [stage][segment]; 0 without dispatch
  std::vector<double> handoff;              // [stage]: to the next stage
};

PassTerms MakePassTerms(const sim::Simulation& sim, int64_t count) {
  PassTerms pt;
  pt.count = count;
  const int n = sim.decode_stages();
  pt.branch.resize(n);
  pt.handoff.assign(n, 0.0);
  for (int s = 0; s < n; ++s) {
    if (sim.stage_model(s).is_hardwired()) {
      const auto& hw = sim.hardwired_model(s);
      pt.branch[s].assign(hw.segments().size(), 0.0);
      for (int seg = 0; seg < static_cast<int>(hw.segments().size()); ++seg) {
        if (hw.segments()[seg].dispatch_layer >= 0) {
          pt.branch[s][seg] = ExpectedBranch(sim, s, seg, count);
        }
      }
    }
    if (s + 1 < n) {
      pt.handoff[s] =
          Delay(sim, sim.stage_lp(s), sim.stage_lp(s + 1), sim.constants().HandoffBytes(count));
    }
  }
  return pt;
}

// One pass of an item (count tokens after `context`) through stage s;
// `branch` (may be null) holds the stage's precomputed dispatch branches
// for this count.
double StageSeconds(const sim::Simulation& sim, int s, int64_t context, int64_t count, bool prefill,
                    const std::vector<double>* branch = nullptr) {
  if (!sim.stage_model(s).is_hardwired()) {
    return sim.roofline_model(s)
        .StepTime({chip::BatchItem{context, count, prefill, true}})
        .ToSeconds();
  }
  const auto& hw = sim.hardwired_model(s);
  double t = 0;
  for (int seg = 0; seg < static_cast<int>(hw.segments().size()); ++seg) {
    t += hw.SegmentLatency(seg, context, count).ToSeconds();
    if (hw.segments()[seg].dispatch_layer >= 0) {
      t += branch != nullptr ? (*branch)[seg] : ExpectedBranch(sim, s, seg, count);
    }
  }
  return t;
}

double PassSeconds(const sim::Simulation& sim, const PassTerms& pt, int64_t context) {
  double t = 0;
  const int n = sim.decode_stages();
  for (int s = 0; s < n; ++s) {
    t += StageSeconds(sim, s, context, pt.count, false, &pt.branch[s]);
    if (s + 1 < n) t += pt.handoff[s];
  }
  return t;
}

double ExpectedProduced(int draft_len, double acceptance) {
  // E[accepted + 1] with geometric acceptance truncated at draft_len.
  double e = 1.0, p = 1.0;
  for (int i = 0; i < draft_len; ++i) {
    p *= acceptance;
    e += p;
  }
  return e;
}

// Messages sent one after another from one node: each link on their
// routes a FIFO queue, store and forward (as serving::NodeLp::Transmit queues them).
class FifoRoutes {
 public:
  explicit FifoRoutes(const fabric::Topology& t) : t_(t) {}
  // When `bytes` sent from `from` at `ready` reach `to`.
  double Send(int from, int to, int64_t bytes, double ready) {
    double t = ready;
    for (int at = from; at != to;) {
      if (at != from) t += t_.nodes()[at].forward_latency.ToSeconds();
      const int li = t_.NextLink(at, to);
      const fabric::Link& l = t_.links()[li];
      double& free = free_[li];
      t = std::max(t, free) + l.Serialization(bytes).ToSeconds();
      free = t;
      t += l.latency.ToSeconds();
      at = l.to;
    }
    return t;
  }

 private:
  const fabric::Topology& t_;
  std::map<int, double> free_;
};

// A disaggregated request's first decode step, from its prompt leaving the
// prefill pool's last stage: the KV shares leave then, in stage order and
// in pieces (serving::StageLp::SendKv), the step after its drafts and behind them;
// each decode stage holding KV starts the step once its share is in.
double FirstDisaggregatedStep(const sim::Simulation& sim, int64_t prompt) {
  const int d = sim.constants().draft_len;
  const int n = sim.decode_stages();
  const serving::LpId from = sim.stage_lp(sim.num_stages() - 1);
  FifoRoutes q(sim.topology());
  std::vector<double> kv_in(n, 0.0);
  for (const auto& [stage, bytes] : sim.kv_budget().StageShares(prompt)) {
    for (int64_t left = bytes; left > 0;) {
      const int64_t piece = std::min<int64_t>(left, serving::kMaxKvPieceBytes);
      left -= piece;
      kv_in[stage] = q.Send(from, sim.stage_lp(stage), piece, 0.0);
    }
  }
  double t = q.Send(from, sim.stage_lp(0), serving::kHeaderBytes,
                    d * sim.constants().draft_time.ToSeconds());
  for (int s = 0; s < n; ++s) {
    t = std::max(t, kv_in[s]) + StageSeconds(sim, s, prompt, 1 + d, false);
    if (s + 1 < n) {
      t += Delay(sim, sim.stage_lp(s), sim.stage_lp(s + 1), sim.constants().HandoffBytes(1 + d));
    }
  }
  return t;
}

// Prompts per second the prefill pool sustains: one over its busiest
// stage's time per prompt (a hard-wired stage's chunk occupancies; a
// roofline stage's step over all of a prompt's chunks). Sets `stage`.
double PrefillPromptsPerSecond(const sim::Simulation& sim, int64_t input, int64_t chunk,
                               int& stage) {
  double worst = 0;
  for (int s = sim.prefill_begin(); s < sim.prefill_end(); ++s) {
    double t = 0;
    if (sim.stage_model(s).is_hardwired()) {
      for (int64_t start = 0; start < input; start += chunk) {
        t += sim.hardwired_model(s).Occupancy(start, std::min(chunk, input - start)).ToSeconds();
      }
    } else {
      std::vector<chip::BatchItem> items;
      for (int64_t start = 0; start < input; start += chunk) {
        const int64_t count = std::min(chunk, input - start);
        items.push_back({start, count, true, start + count == input});
      }
      t = sim.roofline_model(s).StepTime(items).ToSeconds();
    }
    if (t > worst) {
      worst = t;
      stage = s;
    }
  }
  return worst > 0 ? 1.0 / worst : 0.0;
}

// One user's decode steps, `step(emitted, context)` seconds each (with
// speculation a step emits `produced` tokens on average): TPOT, tokens/s
// and, after the TTFT already set, the end-to-end time.
template <typename Step>
void SingleUserDecode(AnalyticEstimate& a, double produced, Step step) {
  double total = 0;
  for (int64_t emitted = 1; emitted < a.output_len;) {
    total += step(emitted, a.input_len + emitted - 1);
    emitted += static_cast<int64_t>(std::max(1.0, std::round(produced)));
  }
  if (a.output_len > 1) {
    a.single_user_tpot_s = total / static_cast<double>(a.output_len - 1);
    a.single_user_tokens_per_s = 1.0 / a.single_user_tpot_s;
  }
  a.single_user_e2e_s = a.single_user_ttft_s + total;
}

// Attention/FFN disaggregation: one forward step of `items` through the
// attention group layer by layer, each layer's FFN a round trip to its
// chip on an idle fabric, then the LM head. `tokens`: the step's tokens.
double AttentionFfnStepSeconds(const sim::Simulation& sim,
                               const std::vector<chip::BatchItem>& items, int64_t tokens,
                               double* attention_busy = nullptr) {
  const int a = sim.decode_stages();
  const serving::AttentionGroupModel& g = sim.stage_model(a).attention_group();
  const serving::LpId self = sim.stage_lp(a);
  const int64_t bytes = sim.constants().HandoffBytes(tokens);
  double t = 0, busy = 0;
  for (int l = 0; l < static_cast<int>(g.layers.size()); ++l) {
    const double attn = g.layers[l].StepTime(items, false).ToSeconds();
    const serving::LpId ffn = sim.constants().ffn_lps[l];
    const int stage = sim.topology().nodes()[ffn].index;
    t += attn + Delay(sim, self, ffn, bytes) +
         sim.hardwired_model(stage).FfnLatency(l, tokens).ToSeconds() +
         Delay(sim, ffn, self, bytes);
    busy += attn;
  }
  const double head = g.head.StepTime(items, true).ToSeconds();
  if (attention_busy != nullptr) *attention_busy = busy + head;
  return t + head;
}

AnalyticEstimate AnalyzeAttentionFfn(const sim::Simulation& sim, AnalyticEstimate a) {
  const int d = sim.constants().draft_len;
  const double produced = ExpectedProduced(d, sim.constants().acceptance_rate);
  const fabric::Topology& topo = sim.topology();
  const serving::LpId self = sim.stage_lp(sim.decode_stages());
  const double overhead = sim.scenario().host_overhead_ns() * 1e-9;
  // TTFT: the prompt's chunks through the group as serving::AttentionLp runs them
  // (the layer of the longest-waiting chunk, every chunk at it), each
  // layer-step's FFN a round trip through FIFO links and the FFN chip's
  // unit for that layer.
  const int64_t chunk = sim.scenario().prefill_chunk_tokens() > 0
                            ? sim.scenario().prefill_chunk_tokens()
                            : a.input_len;
  std::deque<std::pair<double, serving::Message>> arrivals;  // (time, chunk)
  {
    const auto route = topo.Route(topo.host(), self);
    double link_free = overhead;
    for (int64_t start = 0; start < a.input_len; start += chunk) {
      serving::Message m;
      m.type = serving::MsgType::kWork;
      m.count = static_cast<int32_t>(std::min(chunk, a.input_len - start));
      m.context = static_cast<int32_t>(start);
      m.flags =
          serving::kFlagPrefill | (start + m.count == a.input_len ? serving::kFlagLastChunk : 0);
      const int64_t bytes = serving::kHeaderBytes + 4 * m.count;
      const double depart = std::max(overhead, link_free);
      link_free = depart + topo.links()[route[0]].Serialization(bytes).ToSeconds();
      arrivals.emplace_back(depart + Delay(sim, topo.host(), self, bytes), m);
    }
  }
  {
    const serving::AttentionGroupModel& g = sim.stage_model(sim.decode_stages()).attention_group();
    const int layers = static_cast<int>(g.layers.size());
    FifoRoutes links(topo);
    std::map<int, double> unit_free;  // FFN layer -> free
    struct AtFfn {
      serving::LpId ffn;
      int64_t bytes;
      std::vector<serving::Message> items;
    };
    std::multimap<double, AtFfn> ffn_done;                           // leaving the FFN chips
    std::multimap<double, std::vector<serving::Message>> returning;  // back from the FFNs
    std::deque<serving::Message> queue;
    double now = 0, busy_until = -1;
    std::vector<serving::Message> running;
    int running_layer = 0;
    bool done = false;
    while (!done) {
      if (busy_until < 0 && !queue.empty()) {
        running_layer = queue.front().layer;
        std::deque<serving::Message> same, rest;
        for (const serving::Message& q : queue)
          (q.layer == running_layer ? same : rest).push_back(q);
        const chip::RooflineStageModel& m =
            running_layer < layers ? g.layers[running_layer] : g.head;
        running = serving::TakeStep(same, g.Limits(sim.constants()));
        for (auto it = same.rbegin(); it != same.rend(); ++it) rest.push_front(*it);
        queue.swap(rest);
        busy_until =
            now + m.StepTime(serving::ToBatchItems(running), running_layer == layers).ToSeconds();
        continue;
      }
      // The earliest of: a chunk arriving, FFN work returning, the step ending.
      double next = std::numeric_limits<double>::infinity();
      if (!arrivals.empty()) next = arrivals.front().first;
      if (!returning.empty()) next = std::min(next, returning.begin()->first);
      if (!ffn_done.empty()) next = std::min(next, ffn_done.begin()->first);
      if (busy_until >= 0) next = std::min(next, busy_until);
      if (next == std::numeric_limits<double>::infinity()) break;  // nothing left to run
      now = next;
      if (busy_until >= 0 && busy_until <= now) {
        busy_until = -1;
        if (running_layer == layers) {
          for (const serving::Message& m : running) {
            if (m.flags & serving::kFlagLastChunk) {
              a.single_user_ttft_s = now + Delay(sim, self, topo.host(), serving::kHeaderBytes);
              done = true;
            }
          }
          continue;
        }
        const int64_t tokens = serving::TokensOf(running);
        const int64_t bytes = sim.constants().HandoffBytes(tokens);
        const serving::LpId ffn = sim.constants().ffn_lps[running_layer];
        const auto& hw = sim.hardwired_model(topo.nodes()[ffn].index);
        const double there = links.Send(self, ffn, bytes, now);
        double& free = unit_free[running_layer];
        const double start = std::max(there, free);
        free = start + hw.FfnOccupancy(tokens).ToSeconds();
        for (serving::Message& m : running) ++m.layer;
        // The return leg books the links when it leaves, in time order.
        ffn_done.emplace(start + hw.FfnLatency(running_layer, tokens).ToSeconds(),
                         AtFfn{ffn, bytes, std::move(running)});
        running.clear();
        continue;
      }
      if (!ffn_done.empty() && ffn_done.begin()->first <= now) {
        auto it = ffn_done.begin();
        returning.emplace(links.Send(it->second.ffn, self, it->second.bytes, now),
                          std::move(it->second.items));
        ffn_done.erase(it);
        continue;
      }
      if (!arrivals.empty() && arrivals.front().first <= now) {
        queue.push_back(arrivals.front().second);
        arrivals.pop_front();
        continue;
      }
      auto it = returning.begin();
      for (const serving::Message& m : it->second) queue.push_back(m);
      returning.erase(it);
    }
  }
  SingleUserDecode(a, produced, [&](int64_t, int64_t context) {
    return AttentionFfnStepSeconds(sim, {chip::BatchItem{context, 1 + d, false, true}}, 1 + d) +
           d * sim.constants().draft_time.ToSeconds();
  });
  // Peak: the largest batch the KV cache and the group's limits allow, at
  // the group's busy time per step: an upper bound, reached when other
  // steps fill every FFN round trip (one step in flight is the lower
  // bound the bottleneck text also gives).
  const int64_t need = a.input_len + a.output_len + d;
  a.max_concurrent_requests = sim.kv_budget().MaxSequences(std::max<int64_t>(1, need));
  const serving::AttentionGroupModel& g = sim.stage_model(sim.decode_stages()).attention_group();
  const serving::StepLimits limits = g.Limits(sim.constants());
  const int64_t cap =
      std::min<int64_t>(limits.max_batch, std::max<int64_t>(1, limits.token_budget / (1 + d)));
  const int64_t batch = std::max<int64_t>(1, std::min(a.max_concurrent_requests, cap));
  const int64_t mean_ctx = a.input_len + a.output_len / 2;
  double busy = 0;
  const double step = AttentionFfnStepSeconds(
      sim,
      std::vector<chip::BatchItem>(static_cast<size_t>(batch),
                                   chip::BatchItem{mean_ctx, 1 + d, false, true}),
      batch * (1 + d), &busy);
  a.peak_output_tokens_per_s = batch * produced / busy;
  a.bottleneck =
      absl::StrCat("attention group: a batch of ", batch, " busy ", base::Fixed(busy * 1e6, 1),
                   " us a step (", base::Fixed(step * 1e6, 1), " us with its FFN round trips)");
  return a;
}

}  // namespace

namespace {

// DecodeLoopSeconds with its pass terms (for 1 + draft_len tokens) given.
double DecodeLoop(const sim::Simulation& sim, const PassTerms& pt, int64_t context) {
  const int d = sim.constants().draft_len;
  const int n = sim.decode_stages();
  double t = PassSeconds(sim, pt, context);
  t += d * sim.constants().draft_time.ToSeconds();
  t += Delay(sim, sim.stage_lp(n - 1), sim.stage_lp(0), serving::kHeaderBytes);
  return t;
}

}  // namespace

double DecodeLoopSeconds(const sim::Simulation& sim, int64_t context) {
  return DecodeLoop(sim, MakePassTerms(sim, 1 + sim.constants().draft_len), context);
}

AnalyticEstimate Analyze(const sim::Simulation& sim) {
  AnalyticEstimate a;
  const v1::Workload& w = sim.scenario().workload();
  a.input_len = std::max<int64_t>(1, std::llround(MeanLength(w.input_len())));
  a.output_len = std::max<int64_t>(1, std::llround(MeanLength(w.output_len())));
  if (sim.attention_ffn()) return AnalyzeAttentionFfn(sim, a);
  const int n = sim.decode_stages();
  const fabric::Topology& topo = sim.topology();
  const int d = sim.constants().draft_len;
  // Prompts run on stages [p0, p1): a disaggregated run's prefill pool.
  const int p0 = sim.prefill_begin(), p1 = sim.prefill_end();
  const double produced = ExpectedProduced(d, sim.constants().acceptance_rate);

  // TTFT: the prompt's chunks pipelined through the stages, each hop's link
  // used first-come first-served by this request alone. A hard-wired stage
  // takes a chunk every initiation interval; a roofline stage batches the
  // chunks that queued while it was busy, as serving::BatchLp does.
  const int64_t chunk_size = sim.scenario().prefill_chunk_tokens() > 0
                                 ? sim.scenario().prefill_chunk_tokens()
                                 : a.input_len;
  const double overhead = sim.scenario().host_overhead_ns() * 1e-9;
  struct Chunk {
    int64_t start, count;
    double arrive;  // at the current stage
  };
  std::vector<Chunk> chunks;
  {
    double host_link_free = overhead;
    const auto route = topo.Route(topo.host(), sim.stage_lp(p0));
    for (int64_t start = 0; start < a.input_len; start += chunk_size) {
      const int64_t count = std::min(chunk_size, a.input_len - start);
      const int64_t bytes = serving::kHeaderBytes + 4 * count;  // token ids
      const double depart = std::max(overhead, host_link_free);
      host_link_free = depart + topo.links()[route[0]].Serialization(bytes).ToSeconds();
      chunks.push_back({start, count, depart + Delay(sim, topo.host(), sim.stage_lp(p0), bytes)});
    }
  }
  double last_exit = 0;
  for (int s = p0; s < p1; ++s) {
    std::vector<double> done(chunks.size());
    if (sim.stage_model(s).is_hardwired()) {
      double free = 0;
      for (size_t k = 0; k < chunks.size(); ++k) {
        const double begin = std::max(chunks[k].arrive, free);
        free =
            begin + sim.hardwired_model(s).Occupancy(chunks[k].start, chunks[k].count).ToSeconds();
        done[k] = begin + StageSeconds(sim, s, chunks[k].start, chunks[k].count, true);
      }
    } else {
      // The engine's scheduler alone on this request's chunks: a step
      // starts when the stage is free and work is waiting, and takes
      // what serving::TakeStep takes of everything that has arrived by then.
      const auto& rf = sim.roofline_model(s);
      const serving::StepLimits limits{rf.max_batch(), rf.max_batch_tokens()};
      std::deque<serving::Message> queue;
      size_t next = 0;
      double free = 0;
      while (next < chunks.size() || !queue.empty()) {
        const double begin = queue.empty() ? std::max(free, chunks[next].arrive) : free;
        for (; next < chunks.size() && chunks[next].arrive <= begin; ++next) {
          serving::Message m;
          m.type = serving::MsgType::kWork;
          m.flags =
              serving::kFlagPrefill | (next + 1 == chunks.size() ? serving::kFlagLastChunk : 0);
          m.context = static_cast<int32_t>(chunks[next].start);
          m.count = static_cast<int32_t>(chunks[next].count);
          m.step = static_cast<int32_t>(next);
          queue.push_back(m);
        }
        const std::vector<serving::Message> step = serving::TakeStep(queue, limits);
        free = begin + rf.StepTime(serving::ToBatchItems(step)).ToSeconds();
        // A chunk is done when the step holding its last token ends.
        for (const serving::Message& m : step) {
          if (m.context + m.count == chunks[m.step].start + chunks[m.step].count) {
            done[m.step] = free;
          }
        }
      }
    }
    if (s + 1 < p1) {
      const auto r = topo.Route(sim.stage_lp(s), sim.stage_lp(s + 1));
      double link_free = 0;
      for (size_t k = 0; k < chunks.size(); ++k) {
        const int64_t bytes = sim.constants().HandoffBytes(chunks[k].count);
        const double leave = std::max(done[k], link_free);
        link_free = leave + topo.links()[r[0]].Serialization(bytes).ToSeconds();
        chunks[k].arrive = leave + Delay(sim, sim.stage_lp(s), sim.stage_lp(s + 1), bytes);
      }
    } else {
      last_exit = done.back();
    }
  }
  a.single_user_ttft_s =
      last_exit + Delay(sim, sim.stage_lp(p1 - 1), topo.host(), serving::kHeaderBytes);

  // TPOT: mean decode loop over the request's decode steps.
  const PassTerms decode_terms = MakePassTerms(sim, 1 + d);
  SingleUserDecode(a, produced, [&](int64_t emitted, int64_t context) {
    return emitted == 1 && sim.disaggregated() ? FirstDisaggregatedStep(sim, a.input_len)
                                               : DecodeLoop(sim, decode_terms, context);
  });

  // Peak throughput at the mean decode context.
  const int64_t need = a.input_len + a.output_len + d;
  a.max_concurrent_requests = sim.kv_budget().MaxSequences(std::max<int64_t>(1, need));
  const int64_t mean_ctx = a.input_len + a.output_len / 2;
  const double loop = DecodeLoop(sim, decode_terms, mean_ctx);
  if (sim.hardwired()) {
    double worst = 0;
    int worst_stage = 0;
    for (int s = 0; s < n; ++s) {
      double ii = sim.hardwired_model(s).Occupancy(mean_ctx, 1 + d).ToSeconds();
      if (ii > worst) {
        worst = ii;
        worst_stage = s;
      }
    }
    const double by_ii = produced / worst;
    const double by_kv = a.max_concurrent_requests * produced / loop;
    if (by_kv < by_ii) {
      a.peak_output_tokens_per_s = by_kv;
      a.bottleneck = absl::StrCat("KV cache: ", a.max_concurrent_requests,
                                  " concurrent requests of ", need, " tokens");
    } else {
      a.peak_output_tokens_per_s = by_ii;
      a.bottleneck = absl::StrCat("chip ", worst_stage, " initiation interval ",
                                  base::SimTime::FromSeconds(worst).ToString());
    }
  } else {
    // Every running sequence joins each step (serving::TakeStep), up to max_batch
    // sequences and the token budget.
    const auto& rf0 = sim.roofline_model(0);
    int64_t step_cap = rf0.max_batch();
    if (rf0.max_batch_tokens() > 0) {
      step_cap =
          std::min<int64_t>(step_cap, std::max<int64_t>(1, rf0.max_batch_tokens() / (1 + d)));
    }
    const int64_t batch = std::min<int64_t>(a.max_concurrent_requests, step_cap);
    double t = 0;
    std::vector<chip::BatchItem> items(static_cast<size_t>(std::max<int64_t>(1, batch)),
                                       chip::BatchItem{mean_ctx, 1 + d, false, true});
    for (int s = 0; s < n; ++s) {
      t += sim.roofline_model(s).StepTime(items).ToSeconds();
      if (s + 1 < n) {
        t += Delay(sim, sim.stage_lp(s), sim.stage_lp(s + 1), sim.constants().HandoffBytes(batch));
      }
    }
    t += Delay(sim, sim.stage_lp(n - 1), sim.stage_lp(0), serving::kHeaderBytes);
    a.peak_output_tokens_per_s = batch > 0 ? batch * produced / t : 0;
    a.bottleneck = absl::StrCat("batch of ", batch, " (",
                                batch == a.max_concurrent_requests ? "KV cache"
                                : batch == rf0.max_batch()         ? "max_batch"
                                                                   : "token budget",
                                ") per forward step");
  }
  if (sim.disaggregated()) {
    // Each request's prompt passes the prefill pool once.
    int stage = sim.prefill_begin();
    const double prompts = PrefillPromptsPerSecond(sim, a.input_len, chunk_size, stage);
    if (prompts * a.output_len < a.peak_output_tokens_per_s) {
      a.peak_output_tokens_per_s = prompts * a.output_len;
      a.bottleneck = absl::StrCat("prefill pool: stage ", stage, " at ", base::Fixed(prompts, 1),
                                  " prompts/s of ", a.input_len, " tokens");
    }
  }
  return a;
}

}  // namespace etchsim::report
