#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certs.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct ReqFree {
  void operator()(X509_REQ* r) const { X509_REQ_free(r); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using ReqPtr = std::unique_ptr<X509_REQ, ReqFree>;

X509Ptr ReadCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509Ptr cert(PEM_read_bio_X509(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return cert;
}

PkeyPtr ReadKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  PkeyPtr key(PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr));
  BIO_free(bio);
  return key;
}

// The certificate's subjectAltNames as "DNS:name" and "IP:address".
std::vector<std::string> AltNames(X509* cert) {
  std::vector<std::string> out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; names != nullptr && i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    const unsigned char* data = ASN1_STRING_get0_data(name->d.ia5);
    const int length = ASN1_STRING_length(name->d.ia5);
    if (name->type == GEN_DNS) {
      out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(data), length));
    } else if (name->type == GEN_IPADD) {
      char text[INET6_ADDRSTRLEN] = {};
      inet_ntop(length == 4 ? AF_INET : AF_INET6, data, text, sizeof(text));
      out.push_back(std::string("IP:") + text);
    }
  }
  GENERAL_NAMES_free(names);
  return out;
}

std::string PemOf(X509_REQ* req) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509_REQ(bio, req);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);  // NOLINT(google-runtime-int)
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::Create("test", absl::Hours(24));
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<CertificateAuthority>(*std::move(ca));
  }
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(PkiTest, CaIsSelfSignedCa) {
  X509Ptr cert = ReadCert(ca_->cert_pem());
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_ca(cert.get()), 1);
  EXPECT_NE(X509_get_key_usage(cert.get()) & KU_KEY_CERT_SIGN, 0u);
  EXPECT_EQ(X509_check_issued(cert.get(), cert.get()), X509_V_OK);
  EXPECT_NE(X509_get0_subject_key_id(cert.get()), nullptr);
  EXPECT_THAT(ca_->key_pem(), HasSubstr("BEGIN PRIVATE KEY"));
  EXPECT_TRUE(VerifyCertificate(ca_->cert_pem(), ca_->cert_pem(), absl::Now()).ok());
  EXPECT_FALSE(IdentityOfCertificate(ca_->cert_pem()).ok());  // no OU: not a peer
}

TEST_F(PkiTest, IssueForEveryRoleRoundTrips) {
  for (PeerRole role :
       {PeerRole::kOperator, PeerRole::kViewer, PeerRole::kNode, PeerRole::kController}) {
    SCOPED_TRACE(PeerRoleText(role));
    const absl::Time before = absl::Now();
    auto issued = ca_->Issue("peer1", role, absl::Hours(2));
    ASSERT_TRUE(issued.ok()) << issued.status();
    auto identity = IdentityOfCertificate(issued->cert_pem);
    ASSERT_TRUE(identity.ok()) << identity.status();
    EXPECT_EQ(identity->name, "peer1");
    EXPECT_EQ(identity->role, role);
    // Seconds in the certificate: within a few seconds of now + 2h.
    EXPECT_GE(identity->not_after, before + absl::Hours(2) - absl::Seconds(1));
    EXPECT_LE(identity->not_after, absl::Now() + absl::Hours(2) + absl::Seconds(1));
    EXPECT_TRUE(VerifyCertificate(issued->cert_pem, ca_->cert_pem(), absl::Now()).ok());
    EXPECT_TRUE(CheckKeyMatchesCertificate(issued->cert_pem, issued->key_pem).ok());

    X509Ptr cert = ReadCert(issued->cert_pem);
    ASSERT_NE(cert, nullptr);
    EXPECT_EQ(X509_check_ca(cert.get()), 0);
    const uint32_t eku = X509_get_extended_key_usage(cert.get());
    EXPECT_EQ((eku & XKU_SSL_SERVER) != 0, role == PeerRole::kController);
    EXPECT_EQ((eku & XKU_SSL_CLIENT) != 0, role != PeerRole::kController);
    EXPECT_NE(X509_get0_authority_key_id(cert.get()), nullptr);
    // 128-bit random serials: two certificates never share one.
    auto other = ca_->Issue("peer1", role, absl::Hours(2));
    ASSERT_TRUE(other.ok());
    X509Ptr other_cert = ReadCert(other->cert_pem);
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(cert.get()),
                               X509_get0_serialNumber(other_cert.get())),
              0);
  }
}

TEST_F(PkiTest, PeerRoleText) {
  EXPECT_EQ(*PeerRoleFromText("operator"), PeerRole::kOperator);
  EXPECT_EQ(*PeerRoleFromText("controller"), PeerRole::kController);
  auto bad = PeerRoleFromText("admin");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("valid roles are operator, viewer, node"));
}

TEST_F(PkiTest, SubjectAltNames) {
  auto issued = ca_->Issue("ctl.example", PeerRole::kController, absl::Hours(1),
                           {"ctl.example", "localhost"}, {"127.0.0.1", "fd00::2"});
  ASSERT_TRUE(issued.ok()) << issued.status();
  X509Ptr cert = ReadCert(issued->cert_pem);
  EXPECT_THAT(AltNames(cert.get()), UnorderedElementsAre("DNS:ctl.example", "DNS:localhost",
                                                         "IP:127.0.0.1", "IP:fd00::2"));
  EXPECT_EQ(X509_check_host(cert.get(), "ctl.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "fd00::2", 0), 1);

  auto bad_ip = ca_->Issue("c", PeerRole::kController, absl::Hours(1), {}, {"300.1.1.1"});
  ASSERT_FALSE(bad_ip.ok());
  EXPECT_THAT(bad_ip.status().message(), HasSubstr("IP address \"300.1.1.1\""));
  auto bad_dns = ca_->Issue("c", PeerRole::kController, absl::Hours(1), {"a b"});
  ASSERT_FALSE(bad_dns.ok());
  EXPECT_THAT(bad_dns.status().message(), HasSubstr("DNS name \"a b\""));
}

TEST_F(PkiTest, VerifyRefusesOtherCaAndExpired) {
  auto other = CertificateAuthority::Create("other", absl::Hours(24));
  ASSERT_TRUE(other.ok());
  auto issued = other->Issue("mallory", PeerRole::kOperator, absl::Hours(1));
  ASSERT_TRUE(issued.ok());
  absl::Status wrong_ca = VerifyCertificate(issued->cert_pem, ca_->cert_pem(), absl::Now());
  EXPECT_EQ(wrong_ca.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(wrong_ca.message(), HasSubstr("unable to get local issuer certificate"));

  auto brief = ca_->Issue("brief", PeerRole::kNode, absl::Seconds(1));
  ASSERT_TRUE(brief.ok());
  EXPECT_TRUE(VerifyCertificate(brief->cert_pem, ca_->cert_pem(), absl::Now()).ok());
  absl::Status expired =
      VerifyCertificate(brief->cert_pem, ca_->cert_pem(), absl::Now() + absl::Hours(1));
  EXPECT_THAT(expired.message(), HasSubstr("certificate has expired"));
  // Not yet valid before its start (a minute of skew before issuing).
  absl::Status early =
      VerifyCertificate(brief->cert_pem, ca_->cert_pem(), absl::Now() - absl::Hours(1));
  EXPECT_THAT(early.message(), HasSubstr("not yet valid"));
}

TEST_F(PkiTest, SignUsesTheGivenSubjectNotTheRequests) {
  auto request = NewKeyAndRequest("admin");  // a node asking to be someone else
  ASSERT_TRUE(request.ok()) << request.status();
  auto cert_pem = ca_->Sign(request->csr_pem, "node3", PeerRole::kNode, absl::Hours(1));
  ASSERT_TRUE(cert_pem.ok()) << cert_pem.status();
  auto identity = IdentityOfCertificate(*cert_pem);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->name, "node3");
  EXPECT_EQ(identity->role, PeerRole::kNode);
  EXPECT_TRUE(CheckKeyMatchesCertificate(*cert_pem, request->key_pem).ok());
  EXPECT_TRUE(VerifyCertificate(*cert_pem, ca_->cert_pem(), absl::Now()).ok());
}

TEST_F(PkiTest, SignRefusesARequestWhoseSignatureDoesNotVerify) {
  // A request carrying key A's public key but signed by key B.
  auto a = NewKeyAndRequest("a");
  auto b = NewKeyAndRequest("b");
  ASSERT_TRUE(a.ok() && b.ok());
  PkeyPtr key_a = ReadKey(a->key_pem);
  PkeyPtr key_b = ReadKey(b->key_pem);
  ReqPtr req(X509_REQ_new());
  X509_REQ_set_pubkey(req.get(), key_a.get());
  X509_REQ_sign(req.get(), key_b.get(), EVP_sha256());
  auto signed_pem = ca_->Sign(PemOf(req.get()), "node1", PeerRole::kNode, absl::Hours(1));
  ASSERT_FALSE(signed_pem.ok());
  EXPECT_THAT(signed_pem.status().message(), HasSubstr("signature does not verify"));

  auto garbage = ca_->Sign("not a request", "node1", PeerRole::kNode, absl::Hours(1));
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), HasSubstr("BEGIN CERTIFICATE REQUEST"));
}

TEST_F(PkiTest, LoadChecksKeyAndCa) {
  auto loaded = CertificateAuthority::Load(ca_->cert_pem(), ca_->key_pem());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto issued = loaded->Issue("x", PeerRole::kViewer, absl::Hours(1));
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE(VerifyCertificate(issued->cert_pem, ca_->cert_pem(), absl::Now()).ok());

  auto other = CertificateAuthority::Create("other", absl::Hours(1));
  ASSERT_TRUE(other.ok());
  auto mismatched = CertificateAuthority::Load(ca_->cert_pem(), other->key_pem());
  ASSERT_FALSE(mismatched.ok());
  EXPECT_THAT(mismatched.status().message(), HasSubstr("is not the key of certificate"));

  auto leaf = CertificateAuthority::Load(issued->cert_pem, issued->key_pem);
  ASSERT_FALSE(leaf.ok());
  EXPECT_THAT(leaf.status().message(), HasSubstr("is not a CA"));

  auto not_pem = CertificateAuthority::Load("junk", ca_->key_pem());
  ASSERT_FALSE(not_pem.ok());
  EXPECT_THAT(not_pem.status().message(), HasSubstr("CA certificate is not a PEM certificate"));
}

}  // namespace
}  // namespace bamctl
