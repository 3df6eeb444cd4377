// libFuzzer target: the trace reader, CSV and JSONL. The first byte picks
// the format (its file name), the rest is the file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "serving/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const char* name = (data[0] & 1) ? "fuzz.jsonl" : "fuzz.csv";
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  (void)etchsim::serving::ParseTrace(text, name);
  return 0;
}
