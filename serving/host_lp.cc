#include "serving/host_lp.h"

#include <algorithm>

#include "serving/kv_policy.h"

namespace etchsim::serving {

namespace {
constexpr int32_t kOpenLoop = -1;  // arrival timer of an open-loop workload
}  // namespace

int64_t HostResult::WindowTokenSum(int64_t first, int64_t last) const {
  auto it = std::lower_bound(window_tokens.begin(), window_tokens.end(), first,
                             [](const WindowTokens& w, int64_t v) { return w.window < v; });
  int64_t sum = 0;
  for (; it != window_tokens.end() && it->window < last; ++it) sum += it->tokens;
  return sum;
}

HostLp::HostLp(const fabric::Topology& topo, int node, HostConfig config)
    : NodeLp(topo, node, config.window_start),
      config_(std::move(config)),
      lengths_(config_.scenario.seed(), 0x1e9),
      gaps_(config_.scenario.seed(), 0x9a9),
      prefix_rng_(config_.scenario.seed(), 0x9f1),
      budget_(config_.kv),
      prefill_budget_(config_.prefill_kv),
      kv_(config_.window_start),
      prefill_kv_(config_.window_start) {
  if (config_.faults != nullptr) r_.phases.resize(3);
  const KvPolicy kp = KvPolicyOf(config_.scenario.kv_policy());
  paged_ = kp.paged();
  swap_ = kp.swaps();
  block_ = kp.block_tokens;
  prefix_tokens_ = kp.prefix_tokens;
  prefix_hit_rate_ = kp.prefix_hit_rate;
  if (budget_.windowed()) {
    held_.assign(budget_.pools(), 0);
    held_stat_.assign(budget_.pools(), LevelStat(config_.window_start));
  }
  // The cached prefix is held from the start (Simulation checked it fits).
  if (prefix_tokens_ > 0 && budget_.Pin(prefix_tokens_)) {
    kv_tokens_ = prefix_tokens_;
    SetKv(SimTime::Zero());
    HoldKv(0, prefix_tokens_, 0, SimTime::Zero());
  }
}

void HostLp::HoldKv(int64_t from, int64_t to, int64_t shared, SimTime at) {
  for (size_t p = 0; p < held_.size(); ++p) {
    const int pool = static_cast<int>(p);
    held_[p] += budget_.PoolBytes(pool, to - shared) - budget_.PoolBytes(pool, from - shared);
    held_stat_[p].Set(at, held_[p]);
  }
}

PhaseResult* HostLp::Phase(SimTime t) {
  return r_.phases.empty() ? nullptr : &r_.phases[config_.faults->PhaseOf(t)];
}

Message HostLp::ArrivalTimer(int32_t user) const {
  Message m;
  m.type = MsgType::kArrival;
  m.dst = node();
  m.aux = user;
  return m;
}

std::vector<std::pair<SimTime, Message>> HostLp::InitialEvents() const {
  std::vector<std::pair<SimTime, Message>> ev;
  const v1::Workload& w = config_.scenario.workload();
  switch (w.kind_case()) {
    case v1::Workload::kClosedLoop: {
      const int32_t users = w.closed_loop().users();
      const double ramp = w.closed_loop().ramp_up_s();
      for (int32_t u = 0; u < users; ++u) {
        ev.emplace_back(SimTime::FromSeconds(ramp * u / users), ArrivalTimer(u));
      }
      break;
    }
    case v1::Workload::kPoisson:
    case v1::Workload::kOffline:
      ev.emplace_back(SimTime::Zero(), ArrivalTimer(kOpenLoop));
      break;
    case v1::Workload::kTrace:
      if (!config_.trace.empty()) {
        ev.emplace_back(config_.trace.front().arrival, ArrivalTimer(kOpenLoop));
      }
      break;
    default:
      break;
  }
  if (config_.faults != nullptr) {
    // Outage i: detected (aux 2i), over (aux 2i + 1).
    const std::vector<Outage>& o = config_.faults->outages();
    for (size_t i = 0; i < o.size(); ++i) {
      Message m;
      m.type = MsgType::kFault;
      m.dst = node();
      m.aux = static_cast<int32_t>(2 * i);
      ev.emplace_back(o[i].detect, m);
      if (o[i].up < SimTime::Max()) {
        m.aux = static_cast<int32_t>(2 * i + 1);
        ev.emplace_back(o[i].up, m);
      }
    }
  }
  return ev;
}

void HostLp::Handle(const Event& e, Outbox& out) {
  if (stopped_) return;
  r_.last_event = e.time;
  switch (e.msg.type) {
    case MsgType::kArrival:
      Arrive(e.msg.aux, out);
      break;
    case MsgType::kTokenOut:
      OnTokens(e.msg, out);
      break;
    case MsgType::kTimer:
      SwappedIn(e.msg.aux, out);
      break;
    case MsgType::kFault:
      if (e.msg.aux % 2 == 0) {
        AbortAll(out);
      } else {
        TryAdmit(out);
        StopIfDrained(out);
      }
      break;
    default:
      break;
  }
}

void HostLp::Arrive(int32_t user, Outbox& out) {
  const v1::Workload& w = config_.scenario.workload();
  Request r;
  r.arrival = out.now();
  r.user = user;
  if (w.kind_case() == v1::Workload::kTrace) {
    const TraceRequest& t = config_.trace[next_trace_++];
    r.input = t.input_len;
    r.output = t.output_len;
    if (next_trace_ < config_.trace.size()) {
      out.Send(out.self(), config_.trace[next_trace_].arrival, ArrivalTimer(kOpenLoop));
    }
  } else {
    r.input = SampleLength(w.input_len(), lengths_);
    r.output = SampleLength(w.output_len(), lengths_);
    if (w.kind_case() == v1::Workload::kPoisson) {
      const SimTime gap = SimTime::FromSeconds(gaps_.Exponential(1.0 / w.poisson().rate_per_s()));
      out.Send(out.self(), out.now() + gap, ArrivalTimer(kOpenLoop));
    }
    // Offline: the next request arrives at the same instant, one event
    // each, in order.
    if (w.kind_case() == v1::Workload::kOffline && r_.arrivals + 1 < w.offline().requests()) {
      out.Send(out.self(), out.now(), ArrivalTimer(kOpenLoop));
    }
  }
  r.measured = r.arrival >= config_.window_start;
  ++r_.arrivals;
  if (prefix_hit_rate_ > 0 && prefix_rng_.Uniform01() < prefix_hit_rate_) {
    r.shared = std::min(prefix_tokens_, r.input - 1);
    ++r_.prefix_hits;
  }
  if (!budget_.FitsAlone(Need(r), r.shared) ||
      (prefill_budget_ && !prefill_budget_->FitsAlone(r.input, 0))) {
    ++r_.rejected;  // can never fit: counted, not queued
    r.state = State::kRejected;
    requests_.push_back(r);
    StopIfDrained(out);
    return;
  }
  requests_.push_back(r);
  waiting_.push_back(static_cast<int32_t>(requests_.size() - 1));
  TryAdmit(out);
}

void HostLp::TryAdmit(Outbox& out) {
  // During a detected outage the host holds every request.
  if (config_.faults != nullptr && config_.faults->Paused(out.now())) return;
  const int32_t chunk = config_.scenario.prefill_chunk_tokens();
  while (!waiting_.empty()) {
    Request& r = requests_[waiting_.front()];
    const int64_t want = Allocation(r);
    if (!budget_.FitsGrowth(r.shared, want)) break;
    if (prefill_budget_ && !prefill_budget_->Fits(r.input)) break;
    const int32_t id = waiting_.front();
    waiting_.pop_front();
    budget_.Reserve(want, +1, r.shared);
    if (prefill_budget_) {
      prefill_budget_->Reserve(r.input, +1);
      r.prefilling = true;
      prefill_tokens_ += r.input;
      prefill_kv_.Set(out.now(), prefill_tokens_);
    }
    r.alloc = want;
    ++admitted_now_;
    r.state = State::kAdmitted;
    if (r.preemptions == 0) r.admitted = out.now();
    // The prompt's KV fills during prefill; a preempted request's prompt
    // is its input and the tokens it had generated. A cached prefix is
    // neither prefilled nor held again.
    const int32_t prompt = r.input + r.emitted;
    const int32_t fresh = prompt - r.shared;
    kv_tokens_ += fresh;
    SetKv(out.now());
    HoldKv(r.shared, prompt, r.shared, out.now());
    if (r.swapped) {
      SwapIn(id, out);
      continue;
    }
    const int32_t size = chunk > 0 ? chunk : fresh;
    const int32_t chunks = (fresh + size - 1) / size;
    for (int32_t k = 0; k < chunks; ++k) {
      Message m;
      m.type = MsgType::kWork;
      m.flags = kFlagPrefill | (k + 1 == chunks ? kFlagLastChunk : 0);
      m.dst = config_.prefill_stage;
      m.request = id;
      m.context = r.shared + k * size;
      m.count = std::min(size, fresh - k * size);
      m.remaining = r.output - r.emitted;
      m.step = k;
      m.origin = node();
      m.bytes = kHeaderBytes + 4 * m.count;  // token ids
      Transmit(m, out.now() + config_.host_overhead, out);
    }
  }
}

void HostLp::SetKv(SimTime at) { kv_.Set(at, kv_tokens_); }

int64_t HostLp::Allocation(const Request& r) const {
  if (!paged_) return Need(r);
  const int64_t next = r.input + r.emitted + 1 + config_.draft_len;
  return std::min(Need(r), (next + block_ - 1) / block_ * block_);
}

bool HostLp::GrowFor(int32_t id, Outbox& out) {
  const int64_t want = Allocation(requests_[id]);
  while (want > requests_[id].alloc &&
         !budget_.FitsGrowth(requests_[id].alloc, want, requests_[id].shared)) {
    const int32_t victim = Victim();
    Preempt(victim, out);
    if (victim == id) {
      TryAdmit(out);  // if nothing else held KV, the front request fits now
      return false;
    }
  }
  Request& r = requests_[id];
  if (want > r.alloc) {
    budget_.Grow(r.alloc, want, r.shared);
    r.alloc = want;
  }
  return true;
}

int32_t HostLp::Victim() const {
  int32_t best = -1;
  for (int32_t i = lowest_open_; i < static_cast<int32_t>(requests_.size()); ++i) {
    const Request& q = requests_[i];
    if (q.state != State::kAdmitted) continue;
    if (best < 0 || q.arrival >= requests_[best].arrival) best = i;
  }
  return best;
}

void HostLp::Release(const Request& r, SimTime now) {
  budget_.Reserve(r.alloc, -1, r.shared);
  if (r.prefilling) {
    prefill_budget_->Reserve(r.input, -1);
    prefill_tokens_ -= r.input;
    prefill_kv_.Set(now, prefill_tokens_);
  }
  --admitted_now_;
  kv_tokens_ -= r.input + r.emitted - r.shared;
  HoldKv(r.input + r.emitted, r.shared, r.shared, now);
}

SimTime HostLp::Swap(const Request& r, SimTime ready) {
  const int64_t bytes = budget_.MaxStageBytes(r.input + r.emitted, r.shared);
  r_.swapped_bytes += bytes;
  swap_free_ = base::Max(ready, swap_free_) +
               SimTime::FromSeconds(static_cast<double>(bytes) /
                                    (config_.scenario.kv_policy().swap_gb_per_s() * 1e9));
  return swap_free_;
}

void HostLp::Preempt(int32_t id, Outbox& out) {
  const SimTime now = out.now();
  Request copy = requests_[id];
  requests_[id].state = State::kAborted;
  Release(copy, now);
  SetKv(now);
  ++r_.preemptions;
  copy.state = State::kWaiting;
  copy.alloc = 0;
  ++copy.preemptions;
  // Swap only what was generated past a prompt; a request preempted in
  // prefill starts again.
  copy.swapped = swap_ && copy.emitted > 0;
  if (copy.swapped) copy.swap_ready = Swap(copy, now);
  requests_.push_back(copy);
  waiting_.push_front(static_cast<int32_t>(requests_.size() - 1));
  // The first stage drops the request's work from now on; a step already
  // past it completes and its tokens are ignored here.
  Message m;
  m.type = MsgType::kAbort;
  m.flags = kFlagPreempt;
  m.dst = config_.first_stage;
  m.request = id;
  m.origin = node();
  m.bytes = kHeaderBytes;
  Transmit(m, now + config_.host_overhead, out);
}

void HostLp::SwapIn(int32_t id, Outbox& out) {
  Request& r = requests_[id];
  const SimTime back = Swap(r, base::Max(out.now(), r.swap_ready));
  r.swapped = false;
  // The next step leaves when the KV is back (a timer, so the host's own
  // link is not held meanwhile).
  Message t;
  t.type = MsgType::kTimer;
  t.dst = node();
  t.aux = id;
  out.Send(out.self(), back, t);
}

void HostLp::SwappedIn(int32_t id, Outbox& out) {
  const Request& r = requests_[id];
  if (r.state != State::kAdmitted) return;  // preempted again meanwhile
  const int32_t left = r.output - r.emitted;
  Message n;
  n.type = MsgType::kWork;
  n.dst = config_.first_stage;
  n.request = id;
  n.context = r.input + r.emitted - 1;  // the last token's step
  n.count = 1 + std::min(config_.draft_len, left - 1);
  n.remaining = left;
  n.step = r.emitted;
  n.origin = node();
  n.bytes = kHeaderBytes;
  Transmit(n, out.now() + config_.host_overhead, out);
}

void HostLp::OnTokens(const Message& m, Outbox& out) {
  Request& r = requests_[m.request];
  if (r.state != State::kAdmitted) return;  // an aborted attempt's tokens
  const SimTime now = out.now();
  if (r.emitted == 0) {
    r.first_token = now;
    if (r.prefilling) {
      // The prefill pool has sent the prompt's KV on: its memory is free.
      prefill_budget_->Reserve(r.input, -1);
      r.prefilling = false;
      prefill_tokens_ -= r.input;
      prefill_kv_.Set(now, prefill_tokens_);
      TryAdmit(out);
    }
  } else if (r.measured) {
    r_.itl_ps.Add(static_cast<uint64_t>((now - r.last_token).picos()));
    if (r.emitted == 1) r_.first_itl_ps.Add(static_cast<uint64_t>((now - r.last_token).picos()));
  }
  r.last_token = now;
  r.emitted += m.count;
  emitted_total_ += m.count;
  kv_tokens_ += m.count;
  SetKv(now);
  HoldKv(r.input + r.emitted - m.count, r.input + r.emitted, r.shared, now);
  if (now >= config_.window_start) {
    r_.output_tokens += m.count;
    const int64_t w = (now - config_.window_start).picos() /
                      SimTime::FromSeconds(config_.scenario.throughput_window_s()).picos();
    // Token messages reach the host in time order, so windows only grow.
    if (r_.window_tokens.empty() || r_.window_tokens.back().window != w) {
      r_.window_tokens.push_back({w, 0});
    }
    r_.window_tokens.back().tokens += m.count;
    if (PhaseResult* p = Phase(now)) p->output_tokens += m.count;
  }
  if (!(m.flags & kFlagFinal)) {
    if (paged_) GrowFor(m.request, out);
    return;
  }
  // Completed.
  r.state = State::kDone;
  Release(r, now);
  SetKv(now);
  if (r.measured) {
    ++r_.completed;
    r_.input_tokens += r.input;
    const SimTime ttft = r.first_token - r.arrival;
    r_.ttft_ps.Add(static_cast<uint64_t>(ttft.picos()));
    r_.e2e_ps.Add(static_cast<uint64_t>((now - r.arrival).picos()));
    PhaseResult* phase = Phase(now);
    if (phase != nullptr) {
      ++phase->completed;
      phase->ttft_ps.Add(static_cast<uint64_t>(ttft.picos()));
      phase->e2e_ps.Add(static_cast<uint64_t>((now - r.arrival).picos()));
    }
    r_.queue_ps.Add(static_cast<uint64_t>((r.admitted - r.arrival).picos()));
    double tpot_s = 0;
    if (r.output > 1) {
      const SimTime decode = r.last_token - r.first_token;
      const int64_t tpot = decode.picos() / (r.output - 1);
      tpot_s = static_cast<double>(tpot) * 1e-12;
      r_.tpot_ps.Add(static_cast<uint64_t>(tpot));
      if (phase != nullptr) phase->tpot_ps.Add(static_cast<uint64_t>(tpot));
      if (decode > SimTime::Zero()) {
        r_.tokens_per_s_per_user_milli.Add(
            static_cast<uint64_t>(std::llround(1000.0 * (r.output - 1) / decode.ToSeconds())));
      }
    }
    const v1::Slo& slo = config_.scenario.slo();
    if ((slo.ttft_s() == 0 || ttft.ToSeconds() <= slo.ttft_s()) &&
        (slo.tpot_s() == 0 || tpot_s <= slo.tpot_s())) {
      ++r_.slo_met;
    }
    if (config_.scenario.max_requests() > 0 && r_.completed >= config_.scenario.max_requests()) {
      stopped_ = true;
      out.StopAt(now);
    } else if (config_.give_up && config_.give_up(r_)) {
      r_.gave_up = true;
      stopped_ = true;
      out.StopAt(now);
    }
  }
  if (!stopped_) {
    TryAdmit(out);
    StopIfDrained(out);
  }
  if (!stopped_) NextFromUser(r, now, out);
}

void HostLp::NextFromUser(const Request& r, SimTime now, Outbox& out) {
  if (r.user < 0) return;
  const v1::Workload& w = config_.scenario.workload();
  const double think = w.closed_loop().think_time_s();
  const double gap = w.closed_loop().exponential_think() ? gaps_.Exponential(think) : think;
  out.Send(out.self(), now + SimTime::FromSeconds(gap), ArrivalTimer(r.user));
}

void HostLp::AbortAll(Outbox& out) {
  const SimTime now = out.now();
  PhaseResult* phase = Phase(now);
  const int32_t threshold = static_cast<int32_t>(requests_.size());
  // Every request still open gets a fresh id >= threshold, so the stages
  // can discard everything below it (kAbort) without a list of ids.
  std::deque<int32_t> again;
  auto requeue = [&](int32_t id) {
    Request copy = requests_[id];
    requests_[id].state = State::kAborted;
    copy.state = State::kWaiting;
    copy.emitted = 0;
    copy.swapped = false;
    requests_.push_back(copy);
    again.push_back(static_cast<int32_t>(requests_.size() - 1));
  };
  while (lowest_open_ < threshold && requests_[lowest_open_].state != State::kWaiting &&
         requests_[lowest_open_].state != State::kAdmitted) {
    ++lowest_open_;
  }
  for (int32_t id = lowest_open_; id < threshold; ++id) {
    if (requests_[id].state != State::kAdmitted) continue;
    const Request& r = requests_[id];
    Release(r, now);
    if (r.attempts < config_.faults->max_retries()) {
      ++requests_[id].attempts;
      if (r.measured) {
        ++r_.retried;
        if (phase != nullptr) ++phase->retried;
      }
      requeue(id);
    } else {
      requests_[id].state = State::kAborted;
      const Request failed = requests_[id];
      if (failed.measured) {
        ++r_.failed;
        if (phase != nullptr) ++phase->failed;
      }
      NextFromUser(failed, now, out);
    }
  }
  for (int32_t id : waiting_) requeue(id);
  waiting_.swap(again);
  SetKv(now);
  for (LpId stage : config_.stages) {
    Message m;
    m.type = MsgType::kAbort;
    m.dst = stage;
    m.request = threshold;
    m.origin = node();
    m.bytes = kHeaderBytes;
    Transmit(m, now, out);
  }
  TryAdmit(out);
  StopIfDrained(out);
}

void HostLp::StopIfDrained(Outbox& out) {
  // A trace that has run out, with nothing queued or admitted, ends the
  // run here. Without this a distributed run could not tell "drained" from
  // "waiting for a peer" and would step idle virtual time to the end.
  const v1::Workload& w = config_.scenario.workload();
  if (w.kind_case() == v1::Workload::kTrace) {
    if (next_trace_ < config_.trace.size()) return;
  } else if (w.kind_case() == v1::Workload::kOffline) {
    if (r_.arrivals < w.offline().requests()) return;
  } else {
    return;
  }
  if (!waiting_.empty() || !budget_.empty()) return;
  stopped_ = true;
  out.StopAt(out.now());
}

void HostLp::Compact(SimTime horizon) {
  NodeLp::Compact(horizon);
  kv_.Compact(horizon);
  prefill_kv_.Compact(horizon);
  for (LevelStat& h : held_stat_) h.Compact(horizon);
}

HostResult HostLp::Finalize(SimTime end) {
  int64_t in_flight = 0;
  for (const Request& q : requests_) {
    if (q.measured && (q.state == State::kWaiting || q.state == State::kAdmitted)) ++in_flight;
  }
  r_.in_flight_at_end = in_flight;
  const LevelStat::Result kv = kv_.Finalize(end);
  r_.kv_token_integral = kv.integral;
  r_.kv_tokens_peak = kv.peak;
  const LevelStat::Result pk = prefill_kv_.Finalize(end);
  r_.prefill_kv_token_integral = pk.integral;
  r_.prefill_kv_tokens_peak = pk.peak;
  r_.stage_kv.clear();
  for (size_t p = 0; p < held_stat_.size(); ++p) {
    const LevelStat::Result h = held_stat_[p].Finalize(end);
    r_.stage_kv.push_back({budget_.pool_stage(static_cast<int>(p)), h.integral, h.peak});
  }
  return r_;
}

}  // namespace etchsim::serving
