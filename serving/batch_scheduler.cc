#include "serving/batch_scheduler.h"

#include <algorithm>

namespace etchsim::serving {
namespace {

bool IsPrefill(const Message& m) { return (m.flags & kFlagPrefill) != 0; }

}  // namespace

std::vector<Message> TakeStep(std::deque<Message>& queue, const StepLimits& limits) {
  std::vector<Message> step;
  int64_t tokens = 0;
  auto fits = [&](int64_t count) {
    return limits.token_budget == 0 || tokens + count <= limits.token_budget;
  };
  auto full = [&] { return static_cast<int>(step.size()) >= limits.max_batch; };
  // Running sequences first: each waiting decode item joins the step.
  std::deque<Message> rest;
  for (const Message& m : queue) {
    if (!IsPrefill(m) && !full() && (step.empty() || fits(m.count))) {
      step.push_back(m);
      tokens += m.count;
    } else {
      rest.push_back(m);
    }
  }
  queue.swap(rest);
  // Then prompt chunks, in arrival order, under what is left of the budget.
  rest.clear();
  while (!queue.empty()) {
    Message& m = queue.front();
    if (!IsPrefill(m) || full()) {
      rest.push_back(m);
      queue.pop_front();
      continue;
    }
    const int64_t room = limits.token_budget == 0 ? m.count : limits.token_budget - tokens;
    if (room <= 0) break;
    if (room >= m.count) {
      step.push_back(m);
      tokens += m.count;
      queue.pop_front();
      continue;
    }
    // Split: the head of the chunk runs now; the rest keeps its place.
    Message head = m;
    head.count = static_cast<int32_t>(room);
    head.flags = static_cast<uint8_t>(head.flags & ~kFlagLastChunk);
    step.push_back(head);
    tokens += room;
    m.context += static_cast<int32_t>(room);
    m.count -= static_cast<int32_t>(room);
    break;
  }
  // Deferred items keep their arrival order ahead of what was not reached.
  for (auto it = rest.rbegin(); it != rest.rend(); ++it) queue.push_front(*it);
  return step;
}

std::vector<chip::BatchItem> ToBatchItems(const std::vector<Message>& items) {
  std::vector<chip::BatchItem> out;
  out.reserve(items.size());
  for (const Message& m : items) {
    const bool prefill = IsPrefill(m);
    out.push_back({m.context, m.count, prefill, !prefill || (m.flags & kFlagLastChunk) != 0});
  }
  return out;
}

int64_t TokensOf(const std::vector<Message>& items) {
  int64_t t = 0;
  for (const Message& m : items) t += m.count;
  return t;
}

}  // namespace etchsim::serving
