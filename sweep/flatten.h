// A message's scalar fields as sweep columns, by protobuf reflection: the
// names are field paths joined by '.' (base::JsonKey per level, so a CSV
// column is named like the JSON key path: "ttft_s.p99"), the values typed
// cells. Names and values walk the descriptor the same way, so they align
// for any message of the type, set or not.
#ifndef ETCHSIM_SWEEP_FLATTEN_H_
#define ETCHSIM_SWEEP_FLATTEN_H_

#include <set>
#include <string>
#include <vector>

#include "google/protobuf/message.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

// Repeated fields are left out; so are top-level fields named in `skip`.
void FlattenNames(const google::protobuf::Descriptor& d, const std::string& prefix,
                  const std::set<std::string>& skip, std::vector<std::string>* names);
// Unset fields with presence give empty cells.
void FlattenValues(const google::protobuf::Message& m, const std::set<std::string>& skip,
                   std::vector<v1::SweepCell>* cells);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_FLATTEN_H_
