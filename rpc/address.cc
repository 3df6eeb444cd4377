#include "rpc/address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/bounds.h"
#include "rpc/status.h"

namespace etchsim::rpc {

absl::Status ValidateHostPort(absl::string_view flag, absl::string_view addr,
                              bool allow_port_zero) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected HOST:PORT, got \"", Echo(addr), "\" (", why, ")"));
  };
  if (!base::IsValidUtf8(addr)) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": address is not valid UTF-8"));
  }
  // A DNS name is at most 253 bytes; with brackets, a colon and a port.
  constexpr size_t kMaxAddressBytes = 253 + 2 + 1 + 5;
  if (addr.size() > kMaxAddressBytes) {
    return bad(absl::StrCat("longer than ", kMaxAddressBytes, " bytes"));
  }
  const size_t colon = addr.rfind(':');
  if (colon == absl::string_view::npos) return bad("no port");
  const absl::string_view host = addr.substr(0, colon);
  const absl::string_view port = addr.substr(colon + 1);
  if (host.empty()) return bad("empty host");
  for (char c : host) {
    if (!(absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '[' ||
          c == ']')) {
      return bad("host has a character other than letters, digits, '.', '-', ':' and []");
    }
  }
  int p = -1;
  if (port.empty() || port.size() > 5 || !absl::SimpleAtoi(port, &p) ||
      !absl::ascii_isdigit(port[0])) {
    return bad("port must be a number in [0, 65535]");
  }
  if (p > 65535) return bad("port must be <= 65535");
  if (p == 0 && !allow_port_zero) return bad("port 0 is only for listening");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ParseAddressList(absl::string_view flag,
                                                          absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view a : absl::StrSplit(list, ',')) {
    const absl::Status s = ValidateHostPort(flag, a, /*allow_port_zero=*/false);
    if (!s.ok()) return s;
    out.emplace_back(a);
  }
  return out;
}

}  // namespace etchsim::rpc
