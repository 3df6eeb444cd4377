// Sweep axes: a scenario field named by its path in etchsim.v1.Scenario
// ("workload.closed_loop.users") or a short alias ("users"), resolved by
// protobuf reflection so any scalar field can be swept without a line of
// code per field.
#ifndef ETCHSIM_SWEEP_AXIS_H_
#define ETCHSIM_SWEEP_AXIS_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/descriptor.h"
#include "proto/etchsim/v1/scenario.pb.h"
#include "proto/etchsim/v1/sweep.pb.h"

namespace etchsim::sweep {

// The aliases and the field paths they stand for, for --help and docs.
const std::vector<std::pair<std::string, std::string>>& AxisAliases();

struct Axis {
  std::string name;    // as the user wrote it: the column header
  std::string path;    // full field path in Scenario
  std::string source;  // where it was given ("--axis", a file): for errors
  // The chain of fields from Scenario down to the swept one.
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  std::vector<std::string> values;  // ranges expanded
  // "design.FIELD" axes: the design field (silicon/reference.h) appended to
  // the point's chip, which must be a design reference (@NAME). Applied
  // after every other axis, so a chip axis of designs composes with them.
  std::string design_field;
};

// Parses "FIELD=V1,V2,..." or "FIELD=LO:HI:STEP" (the --axis flag).
absl::StatusOr<v1::SweepAxis> ParseAxisFlag(const std::string& flag);

// Resolves the field, expands ranges and checks every value against the
// field's type. Errors name `source` (a file or "--axis"), the axis and
// the value: `--axis users: "x" is not an integer`.
absl::StatusOr<Axis> ResolveAxis(const v1::SweepAxis& spec, const std::string& source);

// Sets the axis's field in `s` to `value` (a design axis appends
// "+FIELD=VALUE" to s.chip(); FailedPrecondition when it is no design). Setting a field inside a
// oneof member (workload.poisson.rate_per_s) selects that member. REQUIRES: `value` passed
// ResolveAxis's check (errors are still returned).
absl::Status ApplyAxisValue(const Axis& axis, const std::string& value, v1::Scenario& s);

}  // namespace etchsim::sweep

#endif  // ETCHSIM_SWEEP_AXIS_H_
