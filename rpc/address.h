// HOST:PORT checks for every address flag (--listen, --metrics-listen,
// --chip-addresses, --distributed, --coordinator), so a bad address is one
// clear line and exit 2 rather than a wrapped port or a 30-second deadline.
#ifndef ETCHSIM_RPC_ADDRESS_H_
#define ETCHSIM_RPC_ADDRESS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace etchsim::rpc {

// `addr` is HOST:PORT with a non-empty host (a name, IPv4, or [IPv6]) and a
// decimal port in [0, 65535] ([1, 65535] unless `allow_port_zero`).
absl::Status ValidateHostPort(absl::string_view flag, absl::string_view addr, bool allow_port_zero);

// A comma-separated list of HOST:PORT, none empty.
absl::StatusOr<std::vector<std::string>> ParseAddressList(absl::string_view flag,
                                                          absl::string_view list);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_ADDRESS_H_
