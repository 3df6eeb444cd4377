#include "tools/flags.h"

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, format, "text", "Output format: text or json.");
ABSL_FLAG(std::string, kv_dtype, "bf16",
          "KV-cache element type: bf16, fp16 or fp8.");
ABSL_FLAG(int64_t, context, 1024,
          "Context length L (positions attended) for decode FLOPs per token.");
ABSL_FLAG(int64_t, prompt_len, 1024, "Prompt length for prefill FLOPs.");
