// etchsim partition --model M --chip C --chips N [--strategy S]
// etchsim chips
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "chip/chip_spec.h"
#include "model/weight_format.h"
#include "model/zoo.h"
#include "partitioner/partitioner.h"
#include "partitioner/plan_report.h"
#include "silicon/reference.h"
#include "silicon/silicon.h"
#include "sim/scenario_validate.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"
#include "tools/scenario_flags.h"

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;

absl::Status RunPartition(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  RETURN_IF_ERROR(CheckNamedFlags(inv));
  const int chips = absl::GetFlag(FLAGS_chips);
  if (chips < 0 || chips > serving::kMaxChips) {
    return absl::InvalidArgumentError(absl::StrCat("--chips must be in [1, ", serving::kMaxChips,
                                                   "] (or 0 for the minimum), got ", chips));
  }
  ASSIGN_OR_RETURN(model::ModelSpec m, model::LoadModel(absl::GetFlag(FLAGS_model)));
  ASSIGN_OR_RETURN(v1::ChipSpec spec, silicon::LoadChip(absl::GetFlag(FLAGS_chip)));
  ASSIGN_OR_RETURN(partitioner::ChipCapacity cap, chip::CapacityOf(spec));
  ASSIGN_OR_RETURN(v1::Plan plan, partitioner::Partition(m, cap, absl::GetFlag(FLAGS_strategy),
                                                         {.num_chips = chips}));
  if (format == Format::kJson) {
    PrintJson(inv.out, partitioner::PlanJson(plan));
  } else {
    inv.out << partitioner::PlanText(plan);
  }
  return absl::OkStatus();
}

absl::Status ListChips(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  Json arr = Json::array();
  base::TextTable t(
      {"chip", "kind", "weights", "capacity", "params held", "KV memory", "watts", "description"});
  for (const std::string& name : chip::PresetNames()) {
    ASSIGN_OR_RETURN(v1::ChipSpec s, silicon::LoadChip(name));
    ASSIGN_OR_RETURN(partitioner::ChipCapacity cap, chip::CapacityOf(s));
    Json j;
    j["name"] = s.name();
    j["kind"] = v1::ChipSpec::Kind_Name(s.kind());
    j["weight_format"] = s.weight_format();
    j["weight_capacity_bytes"] = s.weight_capacity_bytes();
    j["params_capacity"] = cap.CapParams();
    j["kv_capacity_bytes"] = s.kv_capacity_bytes();
    j["active_watts"] = s.power().active_watts();
    j["description"] = s.description();
    arr.push_back(j);
    t.AddRow({s.name(), v1::ChipSpec::Kind_Name(s.kind()), s.weight_format(),
              base::HumanBytes(static_cast<double>(s.weight_capacity_bytes())),
              base::HumanCount(static_cast<double>(cap.CapParams())),
              base::HumanBytes(static_cast<double>(s.kv_capacity_bytes())),
              base::Fixed(s.power().active_watts(), 0), s.description()});
  }
  // The designs (docs/silicon.md): a chip each as "@NAME".
  Json designs = Json::array();
  base::TextTable dt({"design", "node", "model", "chip", "description"});
  for (const std::string& name : silicon::DesignNames()) {
    ASSIGN_OR_RETURN(v1::ChipDesign d, silicon::LoadDesign(name));
    Json j;
    j["name"] = d.name();
    j["node"] = d.node();
    j["model"] = d.model();
    j["chip"] = absl::StrCat("@", name);
    j["description"] = d.description();
    designs.push_back(j);
    dt.AddRow({d.name(), d.node(), d.model(), absl::StrCat("@", name), d.description()});
  }
  if (format == Format::kJson) {
    Json j;
    j["chips"] = arr;
    j["designs"] = designs;
    PrintJson(inv.out, j);
  } else {
    inv.out << t.Render() << "\n"
            << dt.Render()
            << "\n'etchsim chips design NAME' derives a design's die, cost and power; "
               "'--chip @NAME' simulates it.\n";
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterPartitionCommands(Cli& cli) {
  cli.Add({.name = "partition",
           .summary = "Split a model over N chips of a given preset.",
           .details = "Strategies: pipeline (contiguous whole layers, the largest stage "
                      "as small as possible under capacity), expert-spread (a MoE "
                      "layer's routed experts may spill over several chips at the cost "
                      "of a per-token all-to-all), auto (the fitting plan with the "
                      "fewest chip-to-chip hops per token, then the best balance). "
                      "When the model cannot fit, the error names the smallest chip "
                      "count that would. Details: docs/partitioning.md.",
           .flags = {"model", "chip", "chips", "strategy", "format"},
           .run = RunPartition});
  cli.Add({.name = "chips",
           .summary = "List the chip presets with capacity, memory and power, and the designs.",
           .flags = {"format"},
           .run = ListChips});
}

}  // namespace etchsim::tools
