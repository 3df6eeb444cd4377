// Channels for conservative parallel simulation: which process sends
// events to which, and the least delay it promises on each channel.
//
// Ranks: 0 is the coordinator (the host LP and every switch LP); with K
// stages per rank (one chip process hosting K chips, e.g. the cards of one
// server), rank r >= 1 runs stages [(r - 1) K, r K). K = 1 is one process
// per chip. Messages between LPs of one rank stay in its event queue. A channel P -> Q exists when
// some message an LP on P can originate or forward is delivered to an LP on Q on its next hop
// (following NodeLp::Transmit, including its switch-skipping rule). Only
// real message flows become channels, so a pipeline chip listens to its
// predecessor alone rather than to every process: that keeps the
// lookahead around the pipeline's cycle large.
#ifndef ETCHSIM_CLUSTER_CHANNELS_H_
#define ETCHSIM_CLUSTER_CHANNELS_H_

#include <vector>

#include "cluster/simulation.h"

namespace etchsim::cluster {

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

  std::vector<LpId> LpsOf(int rank) const;
  std::vector<const Channel*> Out(int rank) const;
  std::vector<const Channel*> In(int rank) const;
};

// Ranks needed for `stages` stages at K per rank: 1 + ceil(stages / K).
int NumRanks(int stages, int stages_per_rank);
// The rank hosting stage `stage` at K stages per rank.
inline int RankOfStage(int stage, int stages_per_rank) { return 1 + stage / stages_per_rank; }

// REQUIRES: stages_per_rank >= 1.
ChannelPlan PlanChannels(const Simulation& sim, int stages_per_rank = 1);

}  // namespace etchsim::cluster

#endif  // ETCHSIM_CLUSTER_CHANNELS_H_
