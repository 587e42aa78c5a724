#include "pki/pki_dir.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "pki/certs.h"
#include "pki/client_config.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

mode_t ModeOf(const fs::path& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void Write(const fs::path& path, const std::string& text) { std::ofstream(path) << text; }

// Every file of `dir` with its content: what "changes nothing" compares.
std::map<std::string, std::string> Snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::directory_iterator(dir)) {
    files[entry.path().filename().string()] = Read(entry.path());
  }
  return files;
}

class PkiDirTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = testing::MakeTempDir("pki_dir_test"); }
  void TearDown() override { fs::remove_all(root_); }

  // An initialized PKI directory under the test's root.
  fs::path Init() {
    fs::path dir = root_ / "pki";
    auto written = InitPkiDir(dir.string(), "bam-test", {"ctl.example", "10.0.0.5", "::1"}, 7443);
    EXPECT_TRUE(written.ok()) << written.status();
    return dir;
  }

  fs::path root_;
};

TEST_F(PkiDirTest, InitWritesTheFilesWithTheirModes) {
  const fs::path dir = root_ / "new" / "pki";
  auto written = InitPkiDir(dir.string(), "bam-test", {"ctl.example", "10.0.0.5"}, 7443);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(ModeOf(dir), 0700u);
  std::vector<std::string> names;
  for (const WrittenFile& file : *written) {
    names.push_back(fs::path(file.path).filename().string());
    EXPECT_EQ(ModeOf(file.path), file.mode) << file.path;
  }
  EXPECT_THAT(names, UnorderedElementsAre("ca.crt", "ca.key", "controller.crt", "controller.key",
                                          "admin.crt", "admin.key", "bamctl.conf"));
  for (const char* key : {"ca.key", "controller.key", "admin.key"}) {
    EXPECT_EQ(ModeOf(dir / key), 0600u) << key;
  }
  EXPECT_EQ(ModeOf(dir / "ca.crt"), 0644u);
  // No temp file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 7);

  const std::string ca = Read(dir / "ca.crt");
  auto controller = IdentityOfCertificate(Read(dir / "controller.crt"));
  ASSERT_TRUE(controller.ok()) << controller.status();
  EXPECT_EQ(controller->name, "ctl.example");
  EXPECT_EQ(controller->role, PeerRole::kController);
  EXPECT_GT(controller->not_after, absl::Now() + kControllerCertLifetime - absl::Hours(1));
  EXPECT_TRUE(VerifyCertificate(Read(dir / "controller.crt"), ca, absl::Now()).ok());
  auto admin = IdentityOfCertificate(Read(dir / "admin.crt"));
  ASSERT_TRUE(admin.ok());
  EXPECT_EQ(admin->name, "admin");
  EXPECT_EQ(admin->role, PeerRole::kOperator);
  EXPECT_TRUE(CertificateAuthority::Load(ca, Read(dir / "ca.key")).ok());
}

TEST_F(PkiDirTest, SecondInitRefusesAndChangesNothing) {
  const fs::path dir = Init();
  const auto before = Snapshot(dir);
  auto again = InitPkiDir(dir.string(), "bam-test", {"other"}, 7443);
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(again.status().message(), HasSubstr("already holds ca.crt, ca.key"));
  EXPECT_EQ(Snapshot(dir), before);

  // One file is enough to refuse.
  const fs::path partial = root_ / "partial";
  fs::create_directories(partial);
  Write(partial / "admin.key", "mine");
  auto refused = InitPkiDir(partial.string(), "bam-test", {"ctl"}, 7443);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("already holds admin.key"));
  EXPECT_EQ(Snapshot(partial).size(), 1u);
}

TEST_F(PkiDirTest, InitRefusesBadArguments) {
  EXPECT_FALSE(InitPkiDir((root_ / "a").string(), "bam", {}, 7443).ok());
  EXPECT_FALSE(InitPkiDir((root_ / "a").string(), "bam", {"ctl"}, 0).ok());
  EXPECT_FALSE(InitPkiDir((root_ / "a").string(), "../bam", {"ctl"}, 7443).ok());
  auto bad_host = InitPkiDir((root_ / "a").string(), "bam", {"ctl one"}, 7443);
  ASSERT_FALSE(bad_host.ok());
  EXPECT_THAT(bad_host.status().message(), HasSubstr("DNS name \"ctl one\""));
  EXPECT_FALSE(fs::exists(root_ / "a"));
}

TEST_F(PkiDirTest, ConfigRoundTrips) {
  const fs::path dir = Init();
  auto config = ReadClientConfig((dir / "bamctl.conf").string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->controller.value, "ctl.example:7443");
  EXPECT_EQ(config->ca_file.value, (dir / "ca.crt").string());
  EXPECT_EQ(config->cert_file.value, (dir / "admin.crt").string());
  EXPECT_EQ(config->key_file.value, (dir / "admin.key").string());
  auto tls = LoadClientTls(*config);
  ASSERT_TRUE(tls.ok()) << tls.status();
  EXPECT_EQ(tls->cert_pem, Read(dir / "admin.crt"));

  // Relative names: the directory can move.
  const fs::path moved = root_ / "moved";
  fs::rename(dir, moved);
  auto again = ReadClientConfig((moved / "bamctl.conf").string());
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(LoadClientTls(*again).ok());

  const std::string text = FormatClientConfig("a\nb", "[::1]:7443", "/x/ca.crt", "c.crt", "c.key");
  auto parsed = ParseClientConfig(text, "/etc/bamctl/c.conf");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->controller.value, "[::1]:7443");
  EXPECT_EQ(parsed->ca_file.value, "/x/ca.crt");
  EXPECT_EQ(parsed->cert_file.value, "/etc/bamctl/c.crt");
  EXPECT_EQ(parsed->key_file.line, 6);
}

TEST_F(PkiDirTest, ConfigErrorsNameFileAndLine) {
  auto error = [](const std::string& text) -> std::string {
    return std::string(ParseClientConfig(text, "x.conf").status().message());
  };
  const std::string files = "ca_file = ca\ncert_file = c\nkey_file = k\n";
  EXPECT_THAT(error("# c\n\ncontrol = h:1\n" + files),
              HasSubstr("x.conf:3: unknown key \"control\"; valid keys: controller, ca_file, "
                        "cert_file, key_file"));
  EXPECT_THAT(error(files + "controller\n"), HasSubstr("x.conf:4: want `key = value`"));
  EXPECT_THAT(error(files + "ca_file = again\n"),
              HasSubstr("x.conf:4: ca_file given again (first on line 1)"));
  EXPECT_THAT(error("controller = host\n" + files),
              HasSubstr("x.conf:1: controller \"host\": want HOST:PORT"));
  EXPECT_THAT(error("controller = ::1:7443\n" + files), HasSubstr("x.conf:1:"));
  // The controllers of an HA cluster: a list, each one checked.
  EXPECT_TRUE(ParseClientConfig("controller = a:1, b:2,c:3\n" + files, "x.conf").ok());
  EXPECT_THAT(error("controller = a:1,b\n" + files),
              HasSubstr("x.conf:1: controller \"b\": want HOST:PORT"));
  EXPECT_THAT(error("ca_file =\n"), HasSubstr("x.conf:1: ca_file has no value"));
  EXPECT_THAT(error("ca_file = a\n"), HasSubstr("x.conf: no cert_file"));
  EXPECT_THAT(ReadClientConfig((root_ / "none.conf").string()).status().message(),
              HasSubstr("none.conf: no such file"));
}

TEST_F(PkiDirTest, LoadClientTlsNamesTheFileAndLine) {
  const fs::path dir = Init();
  const std::string conf = (dir / "bamctl.conf").string();
  ASSERT_TRUE(IssueInDir(dir.string(), "bob", PeerRole::kViewer).ok());
  // admin's certificate with bob's key.
  Write(dir / "mixed.conf", "ca_file = ca.crt\ncert_file = admin.crt\nkey_file = bob.key\n");
  auto mixed = ReadClientConfig((dir / "mixed.conf").string());
  ASSERT_TRUE(mixed.ok());
  EXPECT_THAT(LoadClientTls(*mixed).status().message(),
              HasSubstr("mixed.conf:3: key_file " + (dir / "bob.key").string() +
                        ": the key is not the key of certificate"));

  Write(dir / "missing.conf", "ca_file = ca.crt\ncert_file = gone.crt\nkey_file = bob.key\n");
  auto missing = ReadClientConfig((dir / "missing.conf").string());
  ASSERT_TRUE(missing.ok());
  EXPECT_THAT(
      LoadClientTls(*missing).status().message(),
      HasSubstr("missing.conf:2: cert_file " + (dir / "gone.crt").string() + ": no such file"));

  Write(dir / "swapped.conf", "ca_file = ca.crt\ncert_file = bob.key\nkey_file = bob.key\n");
  auto swapped = ReadClientConfig((dir / "swapped.conf").string());
  ASSERT_TRUE(swapped.ok());
  EXPECT_THAT(LoadClientTls(*swapped).status().message(), HasSubstr("swapped.conf:2: cert_file"));
}

TEST_F(PkiDirTest, IssueWritesCertKeyAndConfigForPeople) {
  const fs::path dir = Init();
  auto written = IssueInDir(dir.string(), "carol", PeerRole::kViewer);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->size(), 3u);
  EXPECT_EQ(ModeOf(dir / "carol.key"), 0600u);
  auto identity = IdentityOfCertificate(Read(dir / "carol.crt"));
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->name, "carol");
  EXPECT_EQ(identity->role, PeerRole::kViewer);
  auto config = ReadClientConfig((dir / "carol.conf").string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->controller.value, "ctl.example:7443");
  EXPECT_TRUE(LoadClientTls(*config).ok());

  auto node = IssueInDir(dir.string(), "node1", PeerRole::kNode);
  ASSERT_TRUE(node.ok()) << node.status();
  EXPECT_EQ(node->size(), 2u);  // no config: agents are not bamctl
  EXPECT_FALSE(fs::exists(dir / "node1.conf"));
  auto node_identity = IdentityOfCertificate(Read(dir / "node1.crt"));
  ASSERT_TRUE(node_identity.ok());
  EXPECT_LT(node_identity->not_after, absl::Now() + kNodeCertLifetime + absl::Minutes(1));
}

// The controller's certificate lasts a year: a new one from the same CA,
// naming the same hosts, is put in place of the old.
TEST_F(PkiDirTest, IssueRenewsTheControllerCertificateWithItsHosts) {
  const fs::path dir = Init();
  auto written = IssueInDir(dir.string(), "controller-2027", PeerRole::kController,
                            {"ctl.example", "198.18.4.10", "[fd00::1]"});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(written->size(), 2u);  // no bamctl.conf for a controller
  EXPECT_EQ(ModeOf(dir / "controller-2027.key"), 0600u);
  const std::string pem = Read(dir / "controller-2027.crt");
  auto identity = IdentityOfCertificate(pem);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->role, PeerRole::kController);
  EXPECT_EQ(identity->name, "controller-2027");
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(cert, "ctl.example", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "198.18.4.10", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert, "fd00::1", 0), 1);
  EXPECT_NE(X509_check_host(cert, "other.example", 0, 0, nullptr), 1);
  X509_free(cert);
}

TEST_F(PkiDirTest, IssueRefusesBadNamesExistingFilesAndController) {
  const fs::path dir = Init();
  const auto before = Snapshot(dir);
  for (const char* name : {"../x", "a/b", "..", ".hidden", "", "x y"}) {
    auto refused = IssueInDir(dir.string(), name, PeerRole::kOperator);
    ASSERT_FALSE(refused.ok()) << name;
    EXPECT_THAT(refused.status().message(), HasSubstr("want 1 to 63 letters")) << name;
  }
  EXPECT_FALSE(IssueInDir(dir.string(), std::string(64, 'a'), PeerRole::kOperator).ok());
  EXPECT_THAT(IssueInDir(dir.string(), "admin", PeerRole::kOperator).status().message(),
              HasSubstr("already holds admin.crt, admin.key"));
  EXPECT_THAT(IssueInDir(dir.string(), "ctl2", PeerRole::kController).status().message(),
              HasSubstr("give --controller-host"));
  EXPECT_THAT(
      IssueInDir(dir.string(), "bob", PeerRole::kOperator, {"ctl.example"}).status().message(),
      HasSubstr("--controller-host is for controller certificates, not operator ones"));
  EXPECT_EQ(Snapshot(dir), before);

  EXPECT_THAT(IssueInDir((root_ / "empty").string(), "x", PeerRole::kNode).status().message(),
              HasSubstr("ca.crt: no such file; run bamctl pki init"));
}

}  // namespace
}  // namespace bamctl
