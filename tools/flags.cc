#include "tools/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, format, "text", "Output format: text or json.");
ABSL_FLAG(std::string, kv_dtype, "bf16",
          "KV-cache element type: bf16, fp16 or fp8.");
ABSL_FLAG(int64_t, context, 1024,
          "Context length L (positions attended) for decode FLOPs per token.");
ABSL_FLAG(int64_t, prompt_len, 1024, "Prompt length for prefill FLOPs.");
ABSL_FLAG(std::string, model, "deepseek-r1",
          "Model: a bundled name (etchsim models) or a path to a config.json.");
ABSL_FLAG(std::string, chip, "hc2",
          "Chip: a preset name (etchsim chips) or a path to a ChipSpec "
          ".textproto.");
ABSL_FLAG(int32_t, chips, 0,
          "Number of chips; 0 = the smallest count that fits.");
ABSL_FLAG(std::string, strategy, "auto",
          "Partition strategy: auto, pipeline or expert-spread.");
