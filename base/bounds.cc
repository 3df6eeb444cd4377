#include "base/bounds.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace etchsim::base {
namespace {

std::string Prefix(absl::string_view where, absl::string_view field) {
  return where.empty() ? std::string(field) : absl::StrCat(where, ": ", field);
}

}  // namespace

absl::Status CheckRange(absl::string_view where, absl::string_view field, double v, double lo,
                        double hi) {
  if (std::isfinite(v) && v >= lo && v <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      Prefix(where, field), " must be a finite number in [", lo, ", ", hi, "], got ", v));
}

absl::Status CheckAbove(absl::string_view where, absl::string_view field, double v, double lo,
                        double hi) {
  if (std::isfinite(v) && v > lo && v <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      Prefix(where, field), " must be a finite number in (", lo, ", ", hi, "], got ", v));
}

absl::Status CheckIntRange(absl::string_view where, absl::string_view field, int64_t v, int64_t lo,
                           int64_t hi) {
  if (v >= lo && v <= hi) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(Prefix(where, field), " must be in [", lo, ", ", hi, "], got ", v));
}

bool IsValidUtf8(absl::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    for (int k = 1; k <= extra; ++k) {
      if (i + k >= n) return false;
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF.
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::string Excerpt(absl::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  size_t n = max_bytes;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not mid-character
  return absl::StrCat(s.substr(0, n), "...");
}

absl::Status CheckUtf8(absl::string_view where, absl::string_view field, absl::string_view s) {
  if (s.size() > static_cast<size_t>(kMaxTextBytes)) {
    // Echoing it would turn one line into megabytes (and an RPC's error
    // detail past gRPC's limits).
    return absl::InvalidArgumentError(absl::StrCat(Prefix(where, field), " is ", s.size(),
                                                   " bytes long, more than ", kMaxTextBytes,
                                                   " (a name or a path): \"", Excerpt(s), "\""));
  }
  if (IsValidUtf8(s)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(Prefix(where, field), " is not valid UTF-8"));
}

}  // namespace etchsim::base
