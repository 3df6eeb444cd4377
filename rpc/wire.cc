#include "rpc/wire.h"

#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"

namespace etchsim::rpc {

static_assert(std::is_trivially_copyable_v<serving::Event>,
              "events are copied byte for byte onto the wire");

void EncodeEvents(const std::vector<serving::Event>& events, std::string* out) {
  out->resize(events.size() * kEventBytes);
  if (!events.empty()) std::memcpy(out->data(), events.data(), out->size());
}

absl::StatusOr<std::vector<serving::Event>> DecodeEvents(const std::string& bytes) {
  if (bytes.size() % kEventBytes != 0) {
    return absl::DataLossError(
        absl::StrCat("event batch of ", bytes.size(), " bytes is not a multiple of ", kEventBytes));
  }
  std::vector<serving::Event> events(bytes.size() / kEventBytes);
  if (!events.empty()) std::memcpy(events.data(), bytes.data(), bytes.size());
  return events;
}

v1::ChipStats ToProto(const sim::LpResult& r) {
  v1::ChipStats s;
  s.set_stage(r.stage);
  s.set_busy_ps(r.stage_stats.busy_ps);
  s.set_expert_busy_ps(r.stage_stats.expert_busy_ps);
  s.set_tokens(r.stage_stats.tokens);
  s.set_transfers(r.stage_stats.transfers);
  s.set_transfer_bytes(r.stage_stats.transfer_bytes);
  s.set_transfer_wait_ps(r.stage_stats.transfer_wait_ps);
  for (const serving::LinkResult& l : r.links) {
    v1::LinkStats* ls = s.add_links();
    ls->set_link(l.link);
    ls->set_busy_ps(l.busy_ps);
    ls->set_bytes(l.bytes);
    ls->set_messages(l.messages);
  }
  return s;
}

sim::LpResult FromProto(const v1::ChipStats& s, serving::LpId lp) {
  sim::LpResult r;
  r.lp = lp;
  r.stage = s.stage();
  r.stage_stats = {s.busy_ps(),   s.expert_busy_ps(), s.tokens(),
                   s.transfers(), s.transfer_bytes(), s.transfer_wait_ps()};
  for (const v1::LinkStats& l : s.links()) {
    r.links.push_back({l.link(), l.busy_ps(), l.bytes(), l.messages()});
  }
  return r;
}

}  // namespace etchsim::rpc
