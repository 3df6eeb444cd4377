// libFuzzer target: the config.json reader, through to accounting and the
// JSON rendering a user sees (`etchsim models show`).
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/model_config.h"
#include "model/model_report.h"
#include "model/model_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = etchsim::model::ParseModelConfig(text, "fuzz.json");
  if (!config.ok()) return 0;
  auto spec = etchsim::model::BuildModelSpec(*config);
  if (!spec.ok()) return 0;
  etchsim::model::AccountingOptions opt;
  (void)etchsim::model::ModelAccountingJson(*spec, opt).dump(2);
  (void)etchsim::model::ModelAccountingText(*spec, opt);
  return 0;
}
