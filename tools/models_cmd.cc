// etchsim models [show NAME|PATH | formats]
#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "base/text_table.h"
#include "model/model_report.h"
#include "model/weight_format.h"
#include "model/zoo.h"
#include "tools/commands.h"
#include "tools/flags.h"
#include "tools/output.h"

namespace etchsim::tools {
namespace {

using Json = nlohmann::ordered_json;

absl::Status ListModels(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  Json arr = Json::array();
  base::TextTable t(
      {"model", "architecture", "layers", "total params", "active/token", "KV bytes/token (bf16)"});
  for (const std::string& name : model::BundledModelNames()) {
    ASSIGN_OR_RETURN(model::ModelSpec m, model::LoadModel(name));
    Json j;
    j["name"] = name;
    j["architecture"] = m.architecture;
    j["num_layers"] = static_cast<int64_t>(m.layers.size());
    j["total_params"] = m.TotalParams();
    j["active_params_per_token"] = m.ActiveParamsPerToken();
    j["kv_cache_bytes_per_token"] = m.KvBytesPerToken(model::KvDtype::kBf16);
    arr.push_back(j);
    t.AddRow({name, m.architecture, absl::StrCat(m.layers.size()),
              base::HumanCount(static_cast<double>(m.TotalParams())),
              base::HumanCount(static_cast<double>(m.ActiveParamsPerToken())),
              base::WithCommas(m.KvBytesPerToken(model::KvDtype::kBf16))});
  }
  if (format == Format::kJson) {
    Json j;
    j["models"] = arr;
    PrintJson(inv.out, j);
  } else {
    inv.out << t.Render();
  }
  return absl::OkStatus();
}

absl::Status ShowModel(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  model::AccountingOptions opt;
  ASSIGN_OR_RETURN(opt.kv_dtype, model::ParseKvDtype(absl::GetFlag(FLAGS_kv_dtype)));
  opt.context_tokens = absl::GetFlag(FLAGS_context);
  opt.prompt_tokens = absl::GetFlag(FLAGS_prompt_len);
  for (auto [name, v] :
       {std::pair{"--context", opt.context_tokens}, std::pair{"--prompt-len", opt.prompt_tokens}}) {
    if (v < 1 || v > model::kMaxContextTokens) {
      return absl::InvalidArgumentError(
          absl::StrCat(name, " must be in [1, ", model::kMaxContextTokens, "], got ", v));
    }
  }
  ASSIGN_OR_RETURN(model::ModelSpec m, model::LoadModel(inv.args[0]));
  if (format == Format::kJson) {
    PrintJson(inv.out, model::ModelAccountingJson(m, opt));
  } else {
    inv.out << model::ModelAccountingText(m, opt);
  }
  return absl::OkStatus();
}

absl::Status ListFormats(const Invocation& inv) {
  ASSIGN_OR_RETURN(Format format, ParseFormat(absl::GetFlag(FLAGS_format)));
  Json arr = Json::array();
  base::TextTable t({"format", "bits/param", "composition"});
  for (const model::WeightFormat& f : model::AllWeightFormats()) {
    Json j;
    j["name"] = f.name;
    j["bits_per_param"] = f.bits_per_param();
    j["composition"] = f.composition;
    j["source"] = f.source;
    j["assumption"] = f.assumption;
    arr.push_back(j);
    t.AddRow({f.name, base::Fixed(f.bits_per_param(), 4),
              f.composition + (f.assumption ? " [assumption]" : "")});
  }
  if (format == Format::kJson) {
    Json j;
    j["weight_formats"] = arr;
    PrintJson(inv.out, j);
  } else {
    inv.out << t.Render();
  }
  return absl::OkStatus();
}

}  // namespace

void RegisterModelCommands(Cli& cli) {
  cli.Add({.name = "models",
           .summary = "List the bundled models with total and active parameters.",
           .flags = {"format"},
           .run = ListModels});
  cli.Add({.name = "models show",
           .args_usage = "NAME|PATH",
           .summary = "Exact parameter, KV-cache and FLOP accounting of a model, "
                      "per layer and per component.",
           .details = "NAME is a bundled model (see 'etchsim models'); PATH is any "
                      "Hugging Face config.json of a supported architecture "
                      "(Llama, Mistral, Mixtral, Qwen2, Qwen3-MoE, DeepSeek-V3). "
                      "Formulas: docs/models.md.",
           .flags = {"format", "kv_dtype", "context", "prompt_len"},
           .min_args = 1,
           .max_args = 1,
           .run = ShowModel});
  cli.Add({.name = "models formats",
           .summary = "Weight formats and their bits per parameter, scales included.",
           .flags = {"format"},
           .run = ListFormats});
}

}  // namespace etchsim::tools
