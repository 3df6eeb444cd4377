// Channels for conservative parallel simulation: which process sends
// events to which, and the least delay it promises on each channel.
//
// Ranks: 0 is the coordinator (the host LP and every switch LP); with K
// stages per rank (one chip process hosting K chips, e.g. the cards of one
// server), rank r >= 1 runs stages [(r - 1) K, r K). K = 1 is one process
// per chip. Messages between LPs of one rank stay in its event queue. A channel P -> Q exists when
// some message an LP on P can originate or forward is delivered to an LP on Q on its next hop
// (following serving::NodeLp::Transmit, including its switch-skipping rule). Only
// real message flows become channels, so a pipeline chip listens to its
// predecessor alone rather than to every process: that keeps the
// lookahead around the pipeline's cycle large.
#ifndef ETCHSIM_SIM_CHANNELS_H_
#define ETCHSIM_SIM_CHANNELS_H_

#include <vector>

#include "serving/engine.h"
#include "sim/simulation.h"

namespace etchsim::sim {

// Ranks needed for `stages` stages at K per rank: 1 + ceil(stages / K).
int NumRanks(int stages, int stages_per_rank);
// The rank hosting stage `stage` at K stages per rank.
inline int RankOfStage(int stage, int stages_per_rank) { return 1 + stage / stages_per_rank; }

// REQUIRES: stages_per_rank >= 1.
serving::ChannelPlan PlanChannels(const Simulation& sim, int stages_per_rank = 1);

}  // namespace etchsim::sim

#endif  // ETCHSIM_SIM_CHANNELS_H_
