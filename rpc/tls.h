// Optional mutual TLS for every etchsim service and client, with gRPC's
// own SSL credentials.
//
// Every etchsim process is both a server and a client (chips open streams
// to chips), so TLS is all or nothing per process: --tls-cert and
// --tls-key are this process's identity, --tls-ca the authority that
// signed every peer's certificate. Servers require and verify a client
// certificate signed by that CA; clients verify the server's certificate
// against the CA and the address's host name (the certificate needs a
// subjectAltName for it, e.g. IP:127.0.0.1 or DNS:chip-7).
#ifndef ETCHSIM_RPC_TLS_H_
#define ETCHSIM_RPC_TLS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace etchsim::rpc {

struct TlsFiles {
  std::string cert_path;  // PEM certificate chain (--tls-cert)
  std::string key_path;   // PEM private key (--tls-key)
  std::string ca_path;    // PEM CA certificates (--tls-ca)
  bool enabled() const { return !cert_path.empty() || !key_path.empty() || !ca_path.empty(); }
  // The same files as flags, for a child process.
  std::vector<std::string> AsFlags() const;
};

// Credentials for one process; plaintext when no file was given.
struct Credentials {
  std::shared_ptr<grpc::ServerCredentials> server;
  std::shared_ptr<grpc::ChannelCredentials> channel;
};

// Reads and checks the files with OpenSSL before gRPC sees them: all three
// or none; every certificate and the key parse (a truncated file is
// refused); the key is the certificate's; the certificate verifies against
// the CA (every peer trusts the same one). Errors are one line naming the
// flag and the file.
absl::StatusOr<Credentials> LoadCredentials(const TlsFiles& files);

}  // namespace etchsim::rpc

#endif  // ETCHSIM_RPC_TLS_H_
