#include "rpc/tls.h"

#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "base/file_util.h"
#include "base/status_macros.h"
#include "grpcpp/grpcpp.h"
#include "openssl/err.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "openssl/x509_vfy.h"

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

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_free(s); }
};
using Cert = std::unique_ptr<X509, X509Free>;

// OpenSSL's reason for the last failure, and its queue emptied.
std::string OpensslReason() {
  const unsigned long e = ERR_peek_last_error();
  const char* reason = e != 0 ? ERR_reason_error_string(e) : nullptr;
  ERR_clear_error();
  return reason != nullptr ? reason : "unknown error";
}

std::unique_ptr<BIO, BioFree> Bio(const std::string& pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

// Every certificate block of `pem`, each parsed: a truncated or corrupt
// block is refused here, naming the file, rather than by gRPC later.
absl::StatusOr<std::vector<Cert>> ParseCertificates(absl::string_view flag, const std::string& path,
                                                    const std::string& pem) {
  size_t blocks = 0;
  for (size_t at = pem.find("-----BEGIN CERTIFICATE-----"); at != std::string::npos;
       at = pem.find("-----BEGIN CERTIFICATE-----", at + 1)) {
    ++blocks;
  }
  std::vector<Cert> certs;
  auto bio = Bio(pem);
  ERR_clear_error();
  while (certs.size() < blocks) {
    Cert c(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (c == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": ", path, ": certificate ", certs.size() + 1, " of ", blocks,
                       " does not parse (truncated or corrupt PEM: ", OpensslReason(), ")"));
    }
    certs.push_back(std::move(c));
  }
  return certs;
}

// Passphrase callback: none is given, so an encrypted key is refused
// instead of prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return 0; }

// The files as a consistent identity: every certificate and the key parse,
// the key is the first certificate's, and that certificate is signed
// (through the chain's others) by the CA every peer trusts.
absl::Status CheckIdentity(const TlsFiles& f, const std::string& cert_pem,
                           const std::string& key_pem, const std::string& ca_pem) {
  ASSIGN_OR_RETURN(std::vector<Cert> chain, ParseCertificates("--tls-cert", f.cert_path, cert_pem));
  ASSIGN_OR_RETURN(std::vector<Cert> cas, ParseCertificates("--tls-ca", f.ca_path, ca_pem));
  auto bio = Bio(key_pem);
  ERR_clear_error();
  std::unique_ptr<EVP_PKEY, PkeyFree> key(
      PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--tls-key: ", f.key_path, ": the private key does not parse (truncated, corrupt or ",
        "passphrase-protected PEM: ", OpensslReason(), ")"));
  }
  if (X509_check_private_key(chain.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("--tls-key: ", f.key_path,
                                                   ": is not the key of the certificate in ",
                                                   f.cert_path, " (--tls-cert)"));
  }
  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  for (const Cert& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
  std::unique_ptr<STACK_OF(X509), StackFree> untrusted(sk_X509_new_null());
  for (size_t i = 1; i < chain.size(); ++i) sk_X509_push(untrusted.get(), chain[i].get());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store.get(), chain.front().get(), untrusted.get()) != 1) {
    ERR_clear_error();
    return absl::ResourceExhaustedError("TLS: out of memory checking the certificates");
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int err = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("--tls-cert: ", f.cert_path, ": does not verify against --tls-ca ", f.ca_path,
                     " (", X509_verify_cert_error_string(err),
                     "); every process's certificate must be signed by "
                     "the CA its peers trust"));
  }
  return absl::OkStatus();
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
  // gRPC would only find out when it listens or dials, with several lines
  // of its own logging and a misleading error ("address in use", "empty
  // address list"); check everything it will need now.
  RETURN_IF_ERROR(CheckIdentity(f, cert, key, ca));
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
