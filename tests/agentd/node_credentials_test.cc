// The agent's node certificate files: checks before use, renewal timing,
// replacement that a crash cannot leave mismatched, and the start-up
// choice between TLS and plaintext.
#include "agentd/tls/node_credentials.h"

#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "agentd/tls/enrol.h"
#include "common/clock.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::testing::HasSubstr;

class NodeCredentialsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = bamctl::testing::MakeTempDir("node_credentials_test");
    files_.ca_file = (dir_ / "ca.crt").string();
    files_.cert_file = (dir_ / "node.crt").string();
    files_.key_file = (dir_ / "node.key").string();
    absl::StatusOr<CertificateAuthority> ca = CertificateAuthority::Create("test", absl::Hours(24));
    ASSERT_TRUE(ca.ok()) << ca.status();
    ca_ = std::make_unique<CertificateAuthority>(*std::move(ca));
    ASSERT_TRUE(WriteFileAtomically(files_.ca_file, ca_->cert_pem(), 0644).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void WritePair(const KeyAndCertificate& pair) {
    ASSERT_TRUE(WriteFileAtomically(files_.cert_file, pair.cert_pem, 0644).ok());
    ASSERT_TRUE(WriteFileAtomically(files_.key_file, pair.key_pem, 0600).ok());
  }
  KeyAndCertificate Issue(const std::string& name, PeerRole role,
                          absl::Duration lifetime = absl::Hours(1)) {
    absl::StatusOr<KeyAndCertificate> pair = ca_->Issue(name, role, lifetime);
    EXPECT_TRUE(pair.ok()) << pair.status();
    return *pair;
  }
  absl::Status Load(absl::Time now = absl::Now()) {
    return LoadNodeCredentials(files_, "node1", now).status();
  }

  std::filesystem::path dir_;
  NodeTlsFiles files_;
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(NodeCredentialsTest, AcceptsTheNodesOwnCertificate) {
  WritePair(Issue("node1", PeerRole::kNode));
  absl::StatusOr<grpc::SslCredentialsOptions> options =
      LoadNodeCredentials(files_, "node1", absl::Now());
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->pem_root_certs, ca_->cert_pem());
}

TEST_F(NodeCredentialsTest, RefusesAnotherNodesCertificate) {
  WritePair(Issue("node2", PeerRole::kNode));
  absl::Status s = Load();
  EXPECT_THAT(s.message(), HasSubstr("names node \"node2\", but --node is \"node1\""));
  EXPECT_THAT(s.message(), HasSubstr(files_.cert_file));
}

TEST_F(NodeCredentialsTest, RefusesACertificateWhoseRoleIsNotNode) {
  WritePair(Issue("node1", PeerRole::kOperator));
  EXPECT_THAT(Load().message(), HasSubstr("role (OU) is \"operator\""));
}

TEST_F(NodeCredentialsTest, RefusesAKeyOfAnotherCertificate) {
  KeyAndCertificate pair = Issue("node1", PeerRole::kNode);
  pair.key_pem = Issue("node1", PeerRole::kNode).key_pem;
  WritePair(pair);
  absl::Status s = Load();
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr(files_.key_file));
}

TEST_F(NodeCredentialsTest, RefusesACertificateOfAnotherCa) {
  absl::StatusOr<CertificateAuthority> other =
      CertificateAuthority::Create("other", absl::Hours(1));
  ASSERT_TRUE(other.ok());
  absl::StatusOr<KeyAndCertificate> pair = other->Issue("node1", PeerRole::kNode, absl::Hours(1));
  ASSERT_TRUE(pair.ok());
  WritePair(*pair);
  EXPECT_THAT(Load().message(), HasSubstr("not valid under the cluster CA (--ca_file)"));
}

TEST_F(NodeCredentialsTest, RefusesAnExpiredCertificate) {
  WritePair(Issue("node1", PeerRole::kNode, absl::Hours(1)));
  EXPECT_TRUE(Load().ok());
  EXPECT_FALSE(Load(absl::Now() + absl::Hours(2)).ok());
}

TEST_F(NodeCredentialsTest, AMissingFileNamesItsFlag) {
  EXPECT_THAT(Load().message(), HasSubstr("--cert_file"));
}

TEST(RenewalDueTest, TwoThirdsThroughTheLifetime) {
  Identity identity;
  identity.not_before = absl::FromUnixSeconds(1'000'000);
  identity.not_after = identity.not_before + absl::Hours(24 * 30);
  EXPECT_EQ(RenewalDue(identity), identity.not_before + absl::Hours(24 * 20));
}

TEST_F(NodeCredentialsTest, RenewalReplacesBothFilesKeepingTheKeyPrivate) {
  WritePair(Issue("node1", PeerRole::kNode));
  FakeClock clock(absl::ToUnixMillis(absl::Now()));
  absl::StatusOr<std::unique_ptr<FileNodeCredentials>> source =
      FileNodeCredentials::Load(files_, "node1", &clock);
  ASSERT_TRUE(source.ok()) << source.status();
  const int64_t due = (*source)->RenewalDueMillis();
  EXPECT_GT(due, clock.NowMillis());
  absl::StatusOr<std::string> csr = (*source)->NewRenewalRequest();
  ASSERT_TRUE(csr.ok());
  absl::StatusOr<std::string> cert = ca_->Sign(*csr, "node1", PeerRole::kNode, absl::Hours(3));
  ASSERT_TRUE(cert.ok());
  ASSERT_TRUE((*source)->InstallRenewed(*cert).ok());
  EXPECT_GT((*source)->RenewalDueMillis(), due);
  EXPECT_EQ(*ReadFileIfExists(files_.cert_file), *cert);
  EXPECT_TRUE(Load().ok());
  struct stat st {};
  ASSERT_EQ(stat(files_.key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  EXPECT_FALSE(std::filesystem::exists(files_.key_file + ".new"));
}

TEST_F(NodeCredentialsTest, RefusesARenewedCertificateForAnotherKey) {
  WritePair(Issue("node1", PeerRole::kNode));
  FakeClock clock(absl::ToUnixMillis(absl::Now()));
  absl::StatusOr<std::unique_ptr<FileNodeCredentials>> source =
      FileNodeCredentials::Load(files_, "node1", &clock);
  ASSERT_TRUE(source.ok());
  ASSERT_TRUE((*source)->NewRenewalRequest().ok());
  const std::string before = *ReadFileIfExists(files_.cert_file).value();
  EXPECT_FALSE((*source)->InstallRenewed(Issue("node1", PeerRole::kNode).cert_pem).ok());
  EXPECT_EQ(*ReadFileIfExists(files_.cert_file).value(), before);
}

TEST_F(NodeCredentialsTest, RecoveryFinishesARenewalCutBetweenTheRenames) {
  WritePair(Issue("node1", PeerRole::kNode));
  // The crash came after the key's rename: KEY is new, CERT.new waits.
  KeyAndCertificate renewed = Issue("node1", PeerRole::kNode);
  ASSERT_TRUE(WriteFileAtomically(files_.key_file, renewed.key_pem, 0600).ok());
  ASSERT_TRUE(WriteFileAtomically(files_.cert_file + ".new", renewed.cert_pem, 0644).ok());
  EXPECT_FALSE(Load().ok());
  ASSERT_TRUE(RecoverInterruptedRenewal(files_).ok());
  EXPECT_TRUE(Load().ok());
  EXPECT_EQ(*ReadFileIfExists(files_.cert_file).value(), renewed.cert_pem);
}

TEST_F(NodeCredentialsTest, RecoveryDropsARenewalCutBeforeBothFilesWereWritten) {
  KeyAndCertificate old = Issue("node1", PeerRole::kNode);
  WritePair(old);
  ASSERT_TRUE(
      WriteFileAtomically(files_.key_file + ".new", Issue("node1", PeerRole::kNode).key_pem, 0600)
          .ok());
  ASSERT_TRUE(RecoverInterruptedRenewal(files_).ok());
  EXPECT_FALSE(std::filesystem::exists(files_.key_file + ".new"));
  EXPECT_EQ(*ReadFileIfExists(files_.key_file).value(), old.key_pem);
  EXPECT_TRUE(Load().ok());
}

TEST(PrepareNodeCredentialsTest, NeitherTlsNorPlaintextIsRefusedNamingBoth) {
  AgentTlsSettings settings;
  settings.node = "node1";
  absl::StatusOr<std::unique_ptr<FileNodeCredentials>> c =
      PrepareNodeCredentials(settings, SystemClock::Get());
  EXPECT_THAT(c.status().message(), HasSubstr("--ca_file"));
  EXPECT_THAT(c.status().message(), HasSubstr("--insecure_plaintext"));
  settings.insecure_plaintext = true;
  c = PrepareNodeCredentials(settings, SystemClock::Get());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c, nullptr);
}

TEST_F(NodeCredentialsTest, WithoutCertificateOrTokenTheErrorSaysHowToEnrol) {
  AgentTlsSettings settings;
  settings.node = "node1";
  settings.files = files_;
  absl::StatusOr<std::unique_ptr<FileNodeCredentials>> c =
      PrepareNodeCredentials(settings, SystemClock::Get());
  EXPECT_THAT(c.status().message(), HasSubstr("--bootstrap_token"));
}

}  // namespace
}  // namespace bamctl
