#include "rpc/tls.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "grpcpp/grpcpp.h"

namespace etchsim::rpc {
namespace {

constexpr int64_t kMaxPemBytes = 1 << 20;

absl::StatusOr<std::string> ReadPem(absl::string_view flag, const std::string& path,
                                    absl::string_view marker) {
  auto text = base::ReadFile(path, kMaxPemBytes);
  if (!text.ok()) {
    return absl::Status(text.status().code(), absl::StrCat(flag, ": ", text.status().message()));
  }
  if (!absl::StrContains(*text, marker)) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": ", path, ": not a PEM file with a \"", marker, "\" block"));
  }
  return text;
}

}  // namespace

std::vector<std::string> TlsFiles::AsFlags() const {
  if (!enabled()) return {};
  return {absl::StrCat("--tls-cert=", cert_path), absl::StrCat("--tls-key=", key_path),
          absl::StrCat("--tls-ca=", ca_path)};
}

absl::StatusOr<Credentials> LoadCredentials(const TlsFiles& f) {
  Credentials c;
  if (!f.enabled()) {
    c.server = grpc::InsecureServerCredentials();
    c.channel = grpc::InsecureChannelCredentials();
    return c;
  }
  for (auto [flag, path] :
       {std::pair{"--tls-cert", &f.cert_path}, std::pair{"--tls-key", &f.key_path},
        std::pair{"--tls-ca", &f.ca_path}}) {
    if (path->empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, ": missing; --tls-cert, --tls-key and --tls-ca go together (mutual TLS)"));
    }
  }
  ASSIGN_OR_RETURN(std::string cert, ReadPem("--tls-cert", f.cert_path, "BEGIN CERTIFICATE"));
  ASSIGN_OR_RETURN(std::string key, ReadPem("--tls-key", f.key_path, "PRIVATE KEY"));
  ASSIGN_OR_RETURN(std::string ca, ReadPem("--tls-ca", f.ca_path, "BEGIN CERTIFICATE"));
  grpc::SslServerCredentialsOptions so(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  so.pem_root_certs = ca;
  so.pem_key_cert_pairs.push_back({key, cert});
  c.server = grpc::SslServerCredentials(so);
  grpc::SslCredentialsOptions co;
  co.pem_root_certs = ca;
  co.pem_private_key = key;
  co.pem_cert_chain = cert;
  c.channel = grpc::SslCredentials(co);
  if (c.server == nullptr || c.channel == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert/--tls-key: gRPC refused ", f.cert_path, " and ", f.key_path));
  }
  return c;
}

}  // namespace etchsim::rpc
