#include "bamctl/cli.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "proto/plan.pb.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

struct Result {
  int code;
  std::string out;
  std::string err;
};

Result Bamctl(const std::vector<std::string>& args) {
  std::ostringstream out;
  std::ostringstream err;
  int code = RunBamctl(args, out, err);
  return {code, out.str(), err.str()};
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::MakeTempDir("cli_test"); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Every file under the temp dir with its contents: to prove a command
  // wrote nothing.
  std::set<std::pair<std::string, std::string>> Snapshot() const {
    std::set<std::pair<std::string, std::string>> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
      std::ifstream in(entry.path());
      std::ostringstream text;
      text << in.rdbuf();
      files.emplace(entry.path().string(), text.str());
    }
    return files;
  }

  fs::path dir_;
};

TEST_F(CliTest, ValidateSeedSucceeds) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"desired-state", "validate", "-f", spec});
  EXPECT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid: cluster \"bam-seed\", 5 nodes, 0 warnings"));
  EXPECT_EQ(r.err, "");
}

TEST_F(CliTest, ValidateReportsFileLineColumnAndWritesNothing) {
  std::string text = ReplaceOnce(ReadSourceFile("examples/seed-cluster.yaml"),
                                 "replication_factor: 3", "replication_factor: 4");
  std::string spec = Write("broken.yaml", text);
  auto before = Snapshot();
  Result r = Bamctl({"desired-state", "validate", "--file=" + spec});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(r.out, "");
  int line = testing::LineOf(text, "replication_factor: 4");
  EXPECT_THAT(r.err, StartsWith(spec + ":" + std::to_string(line) +
                                ":23: error: cassandra.replication_factor: "));
  EXPECT_EQ(Snapshot(), before);
}

TEST_F(CliTest, WarningsPrintButDoNotFail) {
  std::string spec = Write("warn.yaml", ReplaceOnce(ReadSourceFile("examples/seed-cluster.yaml"),
                                                    "heap_mb: 2048", "heap_mb: 1024"));
  Result r = Bamctl({"desired-state", "validate", "-f", spec});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_THAT(r.err, HasSubstr(": warning: bam.heap_mb: "));
  EXPECT_THAT(r.out, HasSubstr("1 warning\n"));
}

TEST_F(CliTest, MissingFile) {
  Result r = Bamctl({"desired-state", "validate", "-f", (dir_ / "nope.yaml").string()});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("cannot read"));
  EXPECT_THAT(r.err, HasSubstr("nope.yaml"));

  r = Bamctl({"desired-state", "validate", "-f", dir_.string()});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("is a directory"));
}

TEST_F(CliTest, UsageErrors) {
  EXPECT_EQ(Bamctl({}).code, kExitUsage);
  EXPECT_EQ(Bamctl({"frobnicate"}).code, kExitUsage);
  EXPECT_EQ(Bamctl({"desired-state"}).code, kExitUsage);
  EXPECT_EQ(Bamctl({"desired-state", "apply-now"}).code, kExitUsage);
  EXPECT_EQ(Bamctl({"desired-state", "validate"}).code, kExitUsage);
  Result r = Bamctl({"desired-state", "validate", "-f"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("needs a value"));
  r = Bamctl({"plan", "-f", "x.yaml", "--verbose"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("unknown flag --verbose; valid here: --file, --node, --output"));
  r = Bamctl({"plan", "-f", "x.yaml", "-o", "xml"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("valid formats are yaml, json, summary"));
  EXPECT_EQ(Bamctl({"help"}).code, kExitOk);
  EXPECT_EQ(Bamctl({"version"}).code, kExitOk);
}

TEST_F(CliTest, PlanOneNodeAsYaml) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"plan", "-f", spec, "--node", "node4"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, StartsWith("cluster_name: bam-seed\nnode: node4\n"));
  EXPECT_THAT(r.out, HasSubstr("  myid: 4\n"));
  EXPECT_THAT(r.out, HasSubstr("initial_token: \"56713727820156410577229101238628035242\""));
  EXPECT_THAT(r.out, HasSubstr("\n  namenode:\n    host: node1\n    port: 9000\n"));
}

TEST_F(CliTest, PlanAllNodesAsJsonParsesBack) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"plan", "-f", spec, "-o", "json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  v1::ClusterPlan plan;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(r.out, &plan).ok()) << r.out;
  ASSERT_EQ(plan.nodes_size(), 5);
  EXPECT_EQ(plan.nodes(4).cassandra().initial_token(), "113427455640312821154458202477256070485");
  EXPECT_EQ(plan.nodes(2).zookeeper().myid(), 3u);
  // Same input, same bytes.
  EXPECT_EQ(Bamctl({"plan", "-f", spec, "-o", "json"}).out, r.out);
}

TEST_F(CliTest, PlanSummaryShowsTheClusterFacts) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"plan", "-f", spec, "-o", "summary"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, StartsWith("cluster bam-seed: 5 nodes\n"));
  EXPECT_THAT(r.out, HasSubstr("masters=node2 slaves=node3,node4,node5"));
  EXPECT_THAT(r.out, HasSubstr("myid=5 server.3=node3:2888:3888 server.4=node4:2888:3888 "
                               "server.5=node5:2888:3888"));
  EXPECT_THAT(r.out, HasSubstr("initial_token=113427455640312821154458202477256070485 "
                               "seeds=node3"));
  EXPECT_THAT(r.out, HasSubstr("toolbox-deployer=removed"));

  r = Bamctl({"plan", "-f", spec, "-o", "summary", "--node", "node2"});
  EXPECT_THAT(r.out, StartsWith("cluster bam-seed: 1 nodes\nnode2 (192.168.4.101)"));
  EXPECT_THAT(r.out, HasSubstr("job.submission.acl=hadoop"));
}

TEST_F(CliTest, RenderShowsServicesAndFiles) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"render", "-f", spec, "--node", "node3"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# service zookeeper (roles: zookeeper)\n"));
  EXPECT_THAT(r.out, HasSubstr("# service datanode (roles: datanode)\n"));
  EXPECT_THAT(r.out, HasSubstr("==> /opt/zookeeper/conf/zoo.cfg (0644 zookeeper) <==\n"));
  EXPECT_THAT(r.out, HasSubstr("server.5=node5:2888:3888\n"));
  EXPECT_THAT(r.out, HasSubstr("==> /opt/zookeeper/data/myid (0644 zookeeper) <==\n3\n"));

  r = Bamctl({"render", "-f", spec, "--node", "node3", "--role", "zookeeper"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("# service datanode")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("hdfs-site.xml")));

  r = Bamctl({"render", "-f", spec, "--node", "node3", "--role", "namenode"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("does not run role namenode"));
  EXPECT_EQ(Bamctl({"render", "-f", spec, "--node", "node3", "--role", "hbase"}).code, kExitUsage);
  EXPECT_EQ(Bamctl({"render", "-f", spec}).code, kExitUsage);
}

TEST_F(CliTest, RenderOutWritesTheFilesUnderADirectory) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  const fs::path out = dir_ / "out";
  Result r = Bamctl({"render", "-f", spec, "--node", "node4", "--out", out.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  std::ifstream myid(out / "opt/zookeeper/data/myid");
  std::string id;
  myid >> id;
  EXPECT_EQ(id, "4");
  EXPECT_TRUE(fs::exists(out / "home/hadoop/hadoop/conf/core-site.xml"));
  EXPECT_EQ(fs::status(out / "opt/zookeeper/conf/zoo.cfg").permissions() & fs::perms::all,
            fs::perms(0644));
  EXPECT_THAT(r.out, HasSubstr((out / "opt/zookeeper/conf/zoo.cfg").string()));
}

TEST_F(CliTest, RenderPatchesFilesFromAHostTree) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  const fs::path host = dir_ / "host";
  fs::create_directories(host / "home/hadoop/hadoop/conf");
  std::ofstream(host / "home/hadoop/hadoop/conf/hadoop-env.sh")
      << "# site comment\n# export JAVA_HOME=/usr/lib/j2sdk1.5-sun\n";
  Result r = Bamctl({"render", "-f", spec, "--node", "node4", "--role", "datanode", "--host-root",
                     host.string()});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("# site comment\nexport JAVA_HOME=/opt/java/jdk1.6.0_29\n"));
}

// A secret never reaches output meant for people: the spec points at real
// password files, and no command's output or written file may contain them.
TEST_F(CliTest, SecretsNeverAppearInAnyOutput) {
  const std::string secret = "Zq9-very-secret-password";
  Write("reg-pw", secret + "\n");
  Write("bam-pw", secret + "-bam\n");
  std::string text = ReadSourceFile("examples/seed-cluster.yaml");
  text = ReplaceOnce(text, "/etc/bamctl/secrets/regdb-password", (dir_ / "reg-pw").string());
  text = ReplaceOnce(text, "/etc/bamctl/secrets/bamdb-password", (dir_ / "bam-pw").string());
  const std::string spec = Write("seed.yaml", text);

  std::vector<std::vector<std::string>> commands = {
      {"desired-state", "validate", "-f", spec},
      {"plan", "-f", spec},
      {"plan", "-f", spec, "-o", "json"},
      {"plan", "-f", spec, "-o", "summary"},
  };
  for (const char* node : {"node1", "node2", "node3", "node4", "node5"}) {
    commands.push_back({"render", "-f", spec, "--node", node});
    commands.push_back({"render", "-f", spec, "--node", node, "--out", (dir_ / "out").string()});
  }
  for (const auto& command : commands) {
    Result r = Bamctl(command);
    EXPECT_EQ(r.code, kExitOk) << command[0] << ": " << r.err;
    EXPECT_EQ(r.out.find(secret), std::string::npos) << command[0];
    EXPECT_EQ(r.err.find(secret), std::string::npos) << command[0];
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir_ / "out")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    std::ifstream in(entry.path());
    std::ostringstream content;
    content << in.rdbuf();
    EXPECT_EQ(content.str().find(secret), std::string::npos) << entry.path();
  }
  EXPECT_GT(files, 10);
}

TEST_F(CliTest, PlanUnknownNodeAndInvalidSpec) {
  std::string spec = Write("seed.yaml", ReadSourceFile("examples/seed-cluster.yaml"));
  Result r = Bamctl({"plan", "-f", spec, "--node", "node9"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("no node named \"node9\""));
  EXPECT_THAT(r.err, HasSubstr("nodes: node1, node2, node3, node4, node5"));

  std::string bad = Write("bad.yaml",
                          "name: x\nnodes: [{name: a, address: 10.0.0.1, "
                          "roles: [datanode]}]\n");
  r = Bamctl({"plan", "-f", bad});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_EQ(r.out, "");
  EXPECT_THAT(r.err, HasSubstr("no node has role namenode"));
}

TEST_F(CliTest, PkiInitAndIssueTellWhatTheyWroteButNoKey) {
  const std::string pki = (dir_ / "pki").string();
  Result r = Bamctl({"pki", "init", "--dir", pki, "--controller-host", "ctl.example,10.0.0.5",
                     "--cluster", "bam-seed"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("0600  " + pki + "/ca.key"));
  EXPECT_THAT(r.out, HasSubstr("export BAMCTL_CONFIG=" + pki + "/bamctl.conf\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("PRIVATE KEY")));
  EXPECT_TRUE(fs::exists(dir_ / "pki" / "controller.key"));

  const auto before = Snapshot();
  r = Bamctl({"pki", "init", "--dir", pki, "--controller-host", "ctl.example"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("already holds ca.crt"));
  EXPECT_EQ(Snapshot(), before);

  r = Bamctl({"pki", "issue", "--dir", pki, "--name", "dave", "--role", "viewer"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("export BAMCTL_CONFIG=" + pki + "/dave.conf\n"));
  EXPECT_THAT(r.out, Not(HasSubstr("PRIVATE KEY")));
  r = Bamctl({"pki", "issue", "--dir", pki, "--name", "../dave", "--role", "node"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("name \"../dave\""));
  r = Bamctl({"pki", "issue", "--dir", pki, "--name", "x", "--role", "root"});
  EXPECT_EQ(r.code, kExitUsage);
  EXPECT_THAT(r.err, HasSubstr("valid roles are operator, viewer, node, controller"));
  // The controller's certificate, renewed: it must name its hosts.
  r = Bamctl({"pki", "issue", "--dir", pki, "--name", "x", "--role", "controller"});
  EXPECT_EQ(r.code, kExitFailed);
  EXPECT_THAT(r.err, HasSubstr("give --controller-host"));
  r = Bamctl({"pki", "issue", "--dir", pki, "--name", "ctl-2027", "--role", "controller",
              "--controller-host", "ctl.example,198.18.4.10"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_THAT(r.out, HasSubstr("as controller.crt and controller.key"));
  EXPECT_EQ(Bamctl({"pki", "init", "--dir", pki}).code, kExitUsage);  // no --controller-host
}

}  // namespace
}  // namespace bamctl
