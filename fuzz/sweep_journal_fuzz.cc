// libFuzzer target: the sweep journal reader. Whatever it accepts must
// render to CSV and JSONL (no invalid UTF-8 reaching the JSON writer, no
// point outside the sweep) and encode back to a journal that reads the same.
#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "sweep/journal.h"
#include "sweep/rows.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace etchsim::sweep;
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  auto j = ParseJournal(bytes, "fuzz.journal");
  if (!j.ok()) return 0;
  if (j->valid_bytes + j->torn_bytes != static_cast<int64_t>(size)) __builtin_trap();
  (void)RenderCsv(j->header, j->rows);
  (void)RenderJsonl(j->header, j->rows);
  std::string again = absl::StrCat(kJournalMagic, "\n", JournalLine(j->header));
  for (const auto& r : j->rows) again += JournalLine(r);
  auto k = ParseJournal(again, "fuzz.journal");
  if (!k.ok() || k->rows.size() != j->rows.size() || k->torn_bytes != 0) __builtin_trap();
  return 0;
}
