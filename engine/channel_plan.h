// The channels of a conservative parallel run: which process (rank) sends
// events to which, and the least delay it promises on each. A model's
// construction plans them from its message flows (sim/channels.h); the
// ProcessExecutor runs over them.
#ifndef ETCHSIM_ENGINE_CHANNEL_PLAN_H_
#define ETCHSIM_ENGINE_CHANNEL_PLAN_H_

#include <vector>

#include "engine/event.h"

namespace etchsim::engine {

struct Channel {
  int from = 0;
  int to = 0;
  // The least time from an LP on `from` receiving a message to it sending
  // one on this channel, and the least delay of the hop itself. A queued
  // event (a timer) may send as soon as it fires, so the sender promises
  //   min(next queued event, earliest future arrival + reaction) + hop_delay.
  SimTime reaction;
  SimTime hop_delay;
  // Indexed by LP id: the least time from a message arriving on this
  // channel to a message arriving at that LP of the receiving rank, through
  // the rank's internal hops (0 where it enters; Max where it cannot lead).
  // An LP may process an event earlier than min over its input channels of
  // clock + reach: with several chips in one process, the later chips of a
  // pipeline need not wait for the first one's input.
  std::vector<SimTime> reach;
  // Indexed by LP id: the least time from an event firing at that LP of the
  // sending rank to a message on this channel (0 where the LP sends on it
  // itself; Max where it cannot lead). A queued event at a pipeline's first
  // chip of a process promises the channel out of its last chip K - 1
  // segments later, not at once.
  std::vector<SimTime> lead;
};

struct ChannelPlan {
  int num_ranks = 0;
  std::vector<int> rank_of_lp;  // indexed by LP id
  std::vector<Channel> channels;

  std::vector<LpId> LpsOf(int rank) const;  // in id order
  std::vector<const Channel*> Out(int rank) const;
  std::vector<const Channel*> In(int rank) const;
};

}  // namespace etchsim::engine

#endif  // ETCHSIM_ENGINE_CHANNEL_PLAN_H_
