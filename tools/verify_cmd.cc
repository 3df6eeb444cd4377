// etchsim verify --model NAME --chips N [--strategy S] [--distributed=local]
// etchsim verify --quantization-report
// etchsim verify generate --model NAME --out FILE.safetensors
// etchsim verify serve --listen ADDR        (a functional chip process)
#include <chrono>
#include <iostream>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/bounds.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "functional/execute.h"
#include "functional/formats.h"
#include "functional/functional_rpc.h"
#include "functional/safetensors.h"
#include "functional/tiny_model.h"
#include "functional/verify.h"
#include "model/model_spec.h"
#include "rpc/address.h"
#include "rpc/process.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"

ABSL_FLAG(std::string, weights, "",
          "verify: a safetensors file written by `etchsim verify generate` (its metadata "
          "holds the config); empty = generate the weights of --model from --seed.");
ABSL_FLAG(std::string, weight_format, "fp4",
          "verify: chip weight format the weights are quantized to: bf16, fp8, int4, fp4, "
          "nvfp4 or hc1-3bit.");
ABSL_FLAG(std::string, fault, "",
          "verify: inject a fault into the sharded run (tests): drop-expert:LAYER:EXPERT, "
          "skip-layer:LAYER or stale-kv:LAYER.");
ABSL_FLAG(int32_t, prompt_tokens, 8, "verify: prompt length (tokens drawn from --seed).");
ABSL_FLAG(int32_t, new_tokens, 8, "verify: tokens decoded greedily after the prompt.");
ABSL_FLAG(bool, quantization_report, false,
          "verify: per weight format, logit error and top-1 agreement against BF16.");

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;
using functional::Arch;

constexpr int kMaxVerifyChips = 256;

struct Loaded {
  std::string name;
  std::string config_json;
  Arch arch;
  functional::TensorFile weights;
};

absl::StatusOr<Loaded> LoadModelAndWeights(const Invocation& inv) {
  Loaded l;
  const std::string path = absl::GetFlag(FLAGS_weights);
  if (!path.empty()) {
    if (inv.Given("model"))
      return absl::InvalidArgumentError("give --model or --weights, not both");
    ASSIGN_OR_RETURN(l.weights, functional::ReadSafetensors(path));
    auto it = l.weights.metadata.find("config");
    if (it == l.weights.metadata.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": __metadata__ has no \"config\" (write it with verify generate)"));
    }
    l.config_json = it->second;
    l.name = path;
    ASSIGN_OR_RETURN(l.arch, functional::ParseArch(l.config_json, path + ": config"));
    RETURN_IF_ERROR(functional::ValidateWeights(l.arch, l.weights, path));
    return l;
  }
  l.name = absl::GetFlag(FLAGS_model);
  ASSIGN_OR_RETURN(l.config_json, functional::TinyModelConfig(l.name));
  ASSIGN_OR_RETURN(l.arch, functional::ParseArch(l.config_json, l.name));
  l.weights = functional::GenerateWeights(l.arch, l.config_json, absl::GetFlag(FLAGS_seed));
  return l;
}

functional::DecodeOptions DecodeOptionsFromFlags() {
  return {.prompt_tokens = absl::GetFlag(FLAGS_prompt_tokens),
          .new_tokens = absl::GetFlag(FLAGS_new_tokens),
          .seed = absl::GetFlag(FLAGS_seed)};
}

absl::Status QuantReport(const Invocation& inv, Format format, const Loaded& l) {
  ASSIGN_OR_RETURN(std::vector<functional::QuantRow> rows,
                   functional::QuantizationReport(l.arch, l.weights, DecodeOptionsFromFlags()));
  Json arr = Json::array();
  base::TextTable t({"format", "bits/param", "rms logit error", "max logit error", "relative rms",
                     "top-1 agreement"});
  for (const functional::QuantRow& r : rows) {
    arr.push_back({{"format", r.format},
                   {"bits_per_param", r.bits_per_param},
                   {"rms_logit_error", r.rms_logit_error},
                   {"max_logit_error", r.max_logit_error},
                   {"relative_rms_error", r.relative_rms_error},
                   {"top1_agreement", r.top1_agreement},
                   {"steps", r.steps}});
    t.AddRow({r.format, base::Fixed(r.bits_per_param, 3), base::Fixed(r.rms_logit_error, 4),
              base::Fixed(r.max_logit_error, 4), base::Fixed(r.relative_rms_error, 4),
              absl::StrCat(base::Fixed(100 * r.top1_agreement, 1), "% of ", r.steps)});
  }
  const std::string label =
      "evidence on a synthetic model with random weights, not a quality benchmark";
  if (format == Format::kJson) {
    PrintJson(inv.out,
              Json{{"model", l.name}, {"reference", "bf16"}, {"label", label}, {"formats", arr}});
  } else {
    inv.out << l.name << ": each format against the BF16 model, teacher-forced on its greedy "
            << "sequence (" << label << ")\n"
            << t.Render();
  }
  return absl::OkStatus();
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

absl::Status RunVerify(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  ASSIGN_OR_RETURN(Loaded l, LoadModelAndWeights(inv));
  if (absl::GetFlag(FLAGS_quantization_report)) return QuantReport(inv, format, l);
  const std::string wf = absl::GetFlag(FLAGS_weight_format);
  RETURN_IF_ERROR(functional::CheckQuantFormat(wf));
  const int chips = absl::GetFlag(FLAGS_chips);
  RETURN_IF_ERROR(base::CheckIntRange("verify", "--chips", chips, 1, kMaxVerifyChips));
  const std::string distributed = absl::GetFlag(FLAGS_distributed);
  if (!distributed.empty() && distributed != "local") {
    return absl::InvalidArgumentError(
        absl::StrCat("--distributed: verify supports only \"local\", got \"", distributed, "\""));
  }
  ASSIGN_OR_RETURN(v1::FunctionalFault fault,
                   functional::ParseFault(absl::GetFlag(FLAGS_fault), l.arch));
  const functional::DecodeOptions opt = DecodeOptionsFromFlags();
  RETURN_IF_ERROR(functional::ValidateDecodeOptions(l.arch, opt));
  ASSIGN_OR_RETURN(v1::Plan plan,
                   functional::PlanFor(l.arch, wf, chips, absl::GetFlag(FLAGS_strategy)));

  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(auto ref_chain, functional::ReferenceChain(l.arch, l.weights, wf));
  ASSIGN_OR_RETURN(functional::DecodeResult ref, functional::Decode(l.arch, *ref_chain, opt));
  const double ref_s = Seconds(t0);
  t0 = std::chrono::steady_clock::now();
  std::unique_ptr<functional::Chain> chain;
  if (distributed.empty()) {
    ASSIGN_OR_RETURN(chain, functional::ShardedChain(l.arch, plan, l.weights, wf, fault));
  } else {
    ASSIGN_OR_RETURN(chain, functional::DistributedChain::Start(l.config_json, l.arch, plan,
                                                                l.weights, wf, fault));
  }
  ASSIGN_OR_RETURN(functional::DecodeResult got, functional::Decode(l.arch, *chain, opt));
  const double got_s = Seconds(t0);
  chain.reset();  // stops the chip processes

  const std::optional<functional::Mismatch> mm =
      functional::FirstMismatch(ref.trace, got.trace, l.arch.num_layers());
  const std::string mode = distributed.empty()
                               ? "in process, shard by shard"
                               : absl::StrCat(plan.num_chips(), " chip processes over gRPC");
  ASSIGN_OR_RETURN(model::ModelSpec spec, model::BuildModelSpec(l.arch.config));
  if (format == Format::kJson) {
    Json j{{"model", l.name},
           {"architecture", std::string(model::ArchitectureName(l.arch.config.architecture))},
           {"total_params", spec.TotalParams()},
           {"weight_format", wf},
           {"strategy", plan.strategy()},
           {"chips", plan.num_chips()},
           {"execution", distributed.empty() ? "in-process" : "local-processes"},
           {"steps", static_cast<int>(ref.logits.size())},
           {"tensors_compared", static_cast<int>(ref.trace.size())},
           {"reference_tokens", ref.tokens},
           {"sharded_tokens", got.tokens},
           {"bit_identical", !mm.has_value()}};
    if (mm) {
      j["first_mismatch"] = {{"step", mm->step},   {"layer", mm->layer},
                             {"chip", mm->chip},   {"tensor", mm->tensor},
                             {"index", mm->index}, {"expected", mm->expected},
                             {"got", mm->got}};
    }
    PrintJson(inv.out, j);
  } else {
    inv.out << l.name << " (" << model::ArchitectureName(l.arch.config.architecture) << ", "
            << spec.TotalParams() << " parameters) in " << wf << " on " << plan.num_chips()
            << " chips (" << plan.strategy() << "), " << mode << "\n"
            << "  " << ref.logits.size() << " steps, " << ref.trace.size()
            << " tensors compared against the single-process reference\n"
            << "  reference tokens: " << absl::StrJoin(ref.tokens, " ") << "\n"
            << "  sharded tokens:   " << absl::StrJoin(got.tokens, " ") << "\n"
            << "  " << (mm ? "MISMATCH: first at " + mm->what : "bit-identical logits and tokens")
            << "\n";
  }
  inv.err << "verify: reference " << base::Fixed(ref_s, 3) << " s, "
          << (distributed.empty() ? "sharded " : "distributed (incl. process start) ")
          << base::Fixed(got_s, 3) << " s\n";
  if (mm) {
    return absl::DataLossError(absl::StrCat("verify: first mismatch at ", mm->what));
  }
  return absl::OkStatus();
}

absl::Status RunGenerate(const Invocation& inv) {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) return absl::InvalidArgumentError("--out: give the safetensors file to write");
  ASSIGN_OR_RETURN(Loaded l, LoadModelAndWeights(inv));
  RETURN_IF_ERROR(functional::WriteSafetensors(out, l.weights));
  inv.out << "wrote " << out << ": " << l.weights.tensors.size() << " tensors of " << l.name
          << " (seed " << absl::GetFlag(FLAGS_seed) << ")\n";
  return absl::OkStatus();
}

absl::Status RunServe(const Invocation& inv) {
  rpc::BlockTerminationSignals();
  const std::string listen = absl::GetFlag(FLAGS_listen);
  RETURN_IF_ERROR(rpc::ValidateHostPort("--listen", listen, true));
  if (!absl::GetFlag(FLAGS_metrics_listen).empty()) {
    return absl::InvalidArgumentError("--metrics-listen: a functional chip exports no metrics");
  }
  functional::FunctionalChipService service;
  ASSIGN_OR_RETURN(rpc::RunningServer server, rpc::StartServer(listen, {&service}));
  inv.out << rpc::AnnounceLine("functional chip", server.address, "") << std::endl;
  const int sig = rpc::WaitForTerminationSignal();
  (void)sig;
  server.server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
  return absl::OkStatus();
}

}  // namespace

void RegisterVerifyCommands(Cli& cli) {
  const std::string models = absl::StrJoin(functional::TinyModelNames(), ", ");
  cli.Add(
      {.name = "verify",
       .summary = "Prove that a partition computes the unsharded model, bit for bit.",
       .details = absl::StrCat(
           "Runs a tiny model of a real family (", models,
           ") with pseudo-random weights quantized to --weight-format three ways: "
           "whole in one process (reference), shard by shard through the partition plan "
           "for --chips and --strategy, and with --distributed=local one gRPC process per "
           "chip, each holding only its shard. Logits, greedy tokens and every recorded "
           "intermediate tensor must be identical; the first difference is reported by "
           "step, layer, chip and tensor (exit 1). --fault injects a known error. "
           "--quantization-report compares each weight format with BF16 instead. "
           "Numerics: docs/functional.md."),
       .flags = {"model", "weights", "chips", "strategy", "distributed", "weight_format", "fault",
                 "prompt_tokens", "new_tokens", "seed", "quantization_report", "format"},
       .flag_defaults = {{"model", "tiny-r1"}, {"chips", "4"}},
       .run = RunVerify});
  cli.Add({.name = "verify generate",
           .summary = "Write a tiny model's weights (and config) to a safetensors file.",
           .flags = {"model", "seed", "out"},
           .flag_defaults = {{"model", "tiny-r1"}},
           .run = RunGenerate});
  cli.Add({.name = "verify serve",
           .summary = "Run a functional chip process (started by verify --distributed=local).",
           .flags = {"listen", "metrics_listen"},
           .run = RunServe});
}

}  // namespace etchsim::tools
