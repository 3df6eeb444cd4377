// Every command-line flag of the etchsim tool, declared once. Which command
// accepts which flag is listed in that command's registration.
#ifndef ETCHSIM_TOOLS_FLAGS_H_
#define ETCHSIM_TOOLS_FLAGS_H_

#include <cstdint>
#include <string>

#include "absl/flags/declare.h"

ABSL_DECLARE_FLAG(std::string, format);
ABSL_DECLARE_FLAG(std::string, kv_dtype);
ABSL_DECLARE_FLAG(int64_t, context);
ABSL_DECLARE_FLAG(int64_t, prompt_len);
ABSL_DECLARE_FLAG(std::string, model);
ABSL_DECLARE_FLAG(std::string, chip);
ABSL_DECLARE_FLAG(int32_t, chips);
ABSL_DECLARE_FLAG(std::string, strategy);

#endif  // ETCHSIM_TOOLS_FLAGS_H_
