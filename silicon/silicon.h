// Silicon behind a hard-wired chip: process nodes and chip designs
// (proto/etchsim/v1/silicon.proto), loaded, overridden and validated.
//
// Nodes are silicon/nodes.textproto, compiled in; designs are
// silicon/designs/<name>.textproto or any path. Errors name the file and
// the field, as every other input does (base/bounds.h).
#ifndef ETCHSIM_SILICON_SILICON_H_
#define ETCHSIM_SILICON_SILICON_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "proto/etchsim/v1/silicon.pb.h"

namespace etchsim::silicon {

// The bundled nodes, validated (N16 ... N2, in file order).
absl::StatusOr<v1::ProcessNodes> BundledNodes();
// A bundled node by name ("N6"); NotFound lists the names.
absl::StatusOr<v1::ProcessNode> FindNode(const std::string& name);
absl::Status ValidateNode(const v1::ProcessNode& n, const std::string& source);

std::vector<std::string> DesignNames();
// `name_or_path`: a bundled design ("hc1") or a .textproto path.
absl::StatusOr<v1::ChipDesign> LoadDesign(const std::string& name_or_path);
absl::StatusOr<v1::ChipDesign> ParseDesign(const std::string& text, const std::string& source);
// Every field in range (finite, positive where it must be); `source`
// names the design in errors.
absl::Status ValidateDesign(const v1::ChipDesign& d, const std::string& source);

}  // namespace etchsim::silicon

#endif  // ETCHSIM_SILICON_SILICON_H_
