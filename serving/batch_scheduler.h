// Iteration-level batch formation for a roofline stage (a GPU or
// wafer-scale device group running a serving engine).
//
// The policy is the one vLLM's scheduler applies each step (and
// TensorRT-LLM's in-flight batching and SGLang's chunked prefill share):
// every running decode item joins the step, up to `max_batch` sequences;
// prompt chunks then fill what is left of the token budget in arrival
// order, and a chunk larger than the budget left is split, its remainder
// staying at the head of the queue for the next step. Both the event
// engine (BatchLp) and the analytic fast path (Analyze) form their steps
// with TakeStep, so the two cannot drift.
#ifndef ETCHSIM_SERVING_BATCH_SCHEDULER_H_
#define ETCHSIM_SERVING_BATCH_SCHEDULER_H_

#include <cstdint>
#include <deque>
#include <vector>

#include "chip/roofline_model.h"
#include "serving/message.h"

namespace etchsim::serving {

struct StepLimits {
  int max_batch = 256;       // sequences per step (> 0)
  int64_t token_budget = 0;  // tokens per step; 0 = no budget
};

// Removes from `queue` the work items of the next forward step and
// returns them in the order taken (decode items first). A decode item that
// does not fit the budget waits, unless the step would otherwise be empty.
// REQUIRES: every item in `queue` is a kWork message with count > 0.
std::vector<Message> TakeStep(std::deque<Message>& queue, const StepLimits& limits);

// What the roofline model prices for a step's items.
std::vector<chip::BatchItem> ToBatchItems(const std::vector<Message>& items);

// Tokens in a step's items.
int64_t TokensOf(const std::vector<Message>& items);

}  // namespace etchsim::serving

#endif  // ETCHSIM_SERVING_BATCH_SCHEDULER_H_
