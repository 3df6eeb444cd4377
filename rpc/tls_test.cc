// TLS files are checked before gRPC sees them: a key that is not the
// certificate's, a truncated certificate or key, and a certificate another
// CA signed are each one line naming the flag and the file.
#include "rpc/tls.h"

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "openssl/evp.h"
#include "openssl/pem.h"
#include "openssl/x509.h"
#include "openssl/x509v3.h"

namespace etchsim::rpc {
namespace {

struct Key {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> k{EVP_RSA_gen(2048), EVP_PKEY_free};
};

// A certificate for CN=`cn` with `key`, signed by `issuer_key` under
// `issuer` (null: self-signed).
std::unique_ptr<X509, decltype(&X509_free)> MakeCert(const std::string& cn, EVP_PKEY* key,
                                                     X509* issuer, EVP_PKEY* issuer_key) {
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 86400);
  X509_set_pubkey(x.get(), key);
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(x.get(), issuer ? X509_get_subject_name(issuer) : name);
  if (issuer == nullptr) {  // a CA
    X509_EXTENSION* ext =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  X509_sign(x.get(), issuer_key ? issuer_key : key, EVP_sha256());
  return x;
}

std::string Pem(X509* x) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, x);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

std::string Pem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string s(data, static_cast<size_t>(n));
  BIO_free(b);
  return s;
}

class TlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/etchsim_tls_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    Key ca_key, node_key, other_key, stranger_ca_key;
    auto ca = MakeCert("ca", ca_key.k.get(), nullptr, nullptr);
    auto node = MakeCert("node", node_key.k.get(), ca.get(), ca_key.k.get());
    auto stranger_ca = MakeCert("otherca", stranger_ca_key.k.get(), nullptr, nullptr);
    auto stranger =
        MakeCert("stranger", other_key.k.get(), stranger_ca.get(), stranger_ca_key.k.get());
    Write("ca.pem", Pem(ca.get()));
    Write("node.pem", Pem(node.get()));
    Write("node.key", Pem(node_key.k.get()));
    Write("other.key", Pem(other_key.k.get()));
    Write("stranger.pem", Pem(stranger.get()));
    const std::string cert = Pem(node.get()), key = Pem(node_key.k.get());
    Write("truncated.pem", cert.substr(0, cert.size() * 2 / 3));
    Write("truncated.key", key.substr(0, key.size() / 2));
  }
  void TearDown() override {
    for (const char* f : {"ca.pem", "node.pem", "node.key", "other.key", "stranger.pem",
                          "truncated.pem", "truncated.key"}) {
      std::remove(Path(f).c_str());
    }
    std::remove(dir_.c_str());
  }
  std::string Path(const std::string& f) const { return absl::StrCat(dir_, "/", f); }
  void Write(const std::string& f, const std::string& text) { std::ofstream(Path(f)) << text; }
  absl::Status Load(const std::string& cert, const std::string& key, const std::string& ca) {
    return LoadCredentials({Path(cert), Path(key), Path(ca)}).status();
  }
  std::string dir_;
};

TEST_F(TlsTest, AConsistentIdentityLoads) {
  EXPECT_TRUE(Load("node.pem", "node.key", "ca.pem").ok())
      << Load("node.pem", "node.key", "ca.pem");
}

TEST_F(TlsTest, EveryInconsistencyIsOneLineNamingTheFile) {
  struct Case {
    const char* cert;
    const char* key;
    const char* ca;
    std::string want;
  };
  const Case cases[] = {
      // Once four lines of gRPC logging and "address in use".
      {"node.pem", "other.key", "ca.pem",
       absl::StrCat("--tls-key: ", Path("other.key"), ": is not the key of the certificate in ",
                    Path("node.pem"), " (--tls-cert)")},
      // Once a gRPC dump and "empty address list" after 5 s.
      {"truncated.pem", "node.key", "ca.pem",
       absl::StrCat("--tls-cert: ", Path("truncated.pem"), ": certificate 1 of 1 does not parse")},
      {"node.pem", "truncated.key", "ca.pem",
       absl::StrCat("--tls-key: ", Path("truncated.key"), ": the private key does not parse")},
      {"node.pem", "node.key", "truncated.pem",
       absl::StrCat("--tls-ca: ", Path("truncated.pem"), ": certificate 1 of 1 does not parse")},
      {"stranger.pem", "other.key", "ca.pem",
       absl::StrCat("--tls-cert: ", Path("stranger.pem"), ": does not verify against --tls-ca ",
                    Path("ca.pem"))},
  };
  for (const Case& c : cases) {
    const absl::Status s = Load(c.cert, c.key, c.ca);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << c.want;
    EXPECT_EQ(s.message().find(c.want), 0u) << s.message();
    EXPECT_EQ(s.message().find('\n'), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace etchsim::rpc
