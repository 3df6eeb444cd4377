#include "engine/channel_plan.h"

namespace etchsim::engine {

std::vector<LpId> ChannelPlan::LpsOf(int rank) const {
  std::vector<LpId> out;
  for (LpId id = 0; id < static_cast<LpId>(rank_of_lp.size()); ++id) {
    if (rank_of_lp[id] == rank) out.push_back(id);
  }
  return out;
}

std::vector<const Channel*> ChannelPlan::Out(int rank) const {
  std::vector<const Channel*> out;
  for (const Channel& c : channels) {
    if (c.from == rank) out.push_back(&c);
  }
  return out;
}

std::vector<const Channel*> ChannelPlan::In(int rank) const {
  std::vector<const Channel*> in;
  for (const Channel& c : channels) {
    if (c.to == rank) in.push_back(&c);
  }
  return in;
}

}  // namespace etchsim::engine
