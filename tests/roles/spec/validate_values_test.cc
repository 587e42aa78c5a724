// The value rules (paths, role users, MySQL names), each against the seed
// spec with one edit: the finding must carry its exact message, at the
// edited line, under the right field path.
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "tests/util/test_util.h"

namespace bamctl {
namespace {

using ::bamctl::testing::LineOf;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;

std::string Seed() { return ReadSourceFile("examples/seed-cluster.yaml"); }

std::string Describe(const std::vector<Diagnostic>& diagnostics) {
  return absl::StrJoin(diagnostics, "\n", [](std::string* out, const Diagnostic& d) {
    out->append(FormatDiagnostic("spec.yaml", d));
  });
}

constexpr char kPathRule[] =
    "; use an absolute path of letters, digits and / . _ - + with no empty, \".\" or \"..\" "
    "components";
constexpr char kUserRule[] =
    "; roles never run as root: give a user name of up to 32 letters, digits, '_', '-' and '.' "
    "(not starting with a digit, not root) or a numeric uid other than 0";
constexpr char kSystemDir[] =
    " is a system directory, which the role user would own; use a directory of its own, e.g. "
    "/var/lib/bamctl/<role>";

struct ValueCase {
  std::string name;
  std::string from;     // text of the seed to replace
  std::string to;       // ... with this
  std::string path;     // field path the error must name
  std::string message;  // the exact message
  std::string at;       // text whose line the error must name
};

void PrintTo(const ValueCase& c, std::ostream* os) { *os << c.name; }

// Edits that add a field under a section of the seed.
std::string Under(const std::string& section, const std::string& line) {
  return section + "\n  " + line;
}

std::vector<ValueCase> Cases() {
  const std::string zk = "zookeeper:";
  const std::string hadoop = "hadoop:";
  const std::string cassandra = "cassandra:";
  const std::string bam = "bam:";
  auto path_error = [](const std::string& value, const std::string& problem) {
    return "must be an absolute path, got \"" + value + "\", which " + problem + kPathRule;
  };
  auto user_error = [](const std::string& value, const std::string& problem) {
    return "role user \"" + value + "\" " + problem + kUserRule;
  };
  return {
      // Role users.
      {"UserRoot", "user: hadoop", "user: root", "hadoop.user", user_error("root", "is root"),
       "user: root"},
      {"UserEmpty", "user: hadoop", "user: \"\"", "hadoop.user", user_error("", "is empty"),
       "user: \"\""},
      {"UserUidZero", zk, Under(zk, "user: \"0\""), "zookeeper.user",
       user_error("0", "is uid 0 (root)"), "user: \"0\""},
      {"UserUidZeroPadded", cassandra, Under(cassandra, "user: \"000\""), "cassandra.user",
       user_error("000", "is uid 0 (root)"), "user: \"000\""},
      {"UserUidNotNumber", bam, Under(bam, "user: 0x0"), "bam.user",
       user_error("0x0", "starts with a digit but is not a uid"), "user: 0x0"},
      {"UserShell", "user: hadoop", "user: \"hadoop;id\"", "hadoop.user",
       user_error("hadoop;id", "contains \";\""), "hadoop;id"},
      {"UserNewline", "user: hadoop", "user: \"hadoop\\nroot\"", "hadoop.user",
       user_error("hadoop\\nroot", "contains \"\\n\""), "hadoop\\nroot"},
      {"UserLeadingDash", "user: hadoop", "user: -hadoop", "hadoop.user",
       user_error("-hadoop", "does not start with a letter or '_'"), "user: -hadoop"},
      {"UserControl", "user: hadoop", "user: \"had\\x01\"", "hadoop.user",
       user_error("had\\x01", "contains \"\\x01\""), "user: \"had"},
      {"UserTooLong", "user: hadoop", "user: " + std::string(33, 'u'), "hadoop.user",
       user_error(std::string(33, 'u'), "is longer than 32 characters"), "user: uuu"},
      // Shell-sourced paths (hadoop-env.sh).
      {"JavaHomeCommandSubstitution", "java_home: /opt/java/jdk1.6.0_29", "java_home: /x$(id)",
       "java_home", path_error("/x$(id)", "contains '$'"), "java_home: /x$(id)"},
      {"JavaHomeBacktick", "java_home: /opt/java/jdk1.6.0_29", "java_home: \"/x`id`\"", "java_home",
       path_error("/x`id`", "contains '`'"), "java_home:"},
      {"JavaHomeNewline", "java_home: /opt/java/jdk1.6.0_29", "java_home: \"/opt/j\\nid\"",
       "java_home", path_error("/opt/j\\nid", "contains a control character"), "java_home:"},
      {"HadoopJavaHomeSpace", hadoop, Under(hadoop, "java_home: \"/opt/my jdk\""),
       "hadoop.java_home", path_error("/opt/my jdk", "contains ' '"), "/opt/my jdk"},
      {"HadoopJavaHomeQuote", hadoop, Under(hadoop, "java_home: \"/opt/j'dk\""), "hadoop.java_home",
       path_error("/opt/j'dk", "contains '''"), "/opt/j'dk"},
      // Line-oriented zoo.cfg.
      {"ZooKeeperDataDirNewline", zk,
       Under(zk, "data_dir: \"/var/zk\\nserver.9=evil:2888:3888\\n4lw.commands.whitelist=*\""),
       "zookeeper.data_dir",
       path_error("/var/zk\\nserver.9=evil:2888:3888\\n4lw.commands.whitelist=*",
                  "contains a control character"),
       "data_dir:"},
      {"ZooKeeperDataDirEquals", zk, Under(zk, "data_dir: /var/zk=1"), "zookeeper.data_dir",
       path_error("/var/zk=1", "contains '='"), "data_dir: /var/zk=1"},
      {"ZooKeeperDataDirCarriageReturn", zk, Under(zk, "data_dir: \"/var/zk\\r\""),
       "zookeeper.data_dir", path_error("/var/zk\\r", "contains a control character"), "data_dir:"},
      // Normalized paths.
      {"ConfDirDotDot", zk, Under(zk, "conf_dir: /opt/zookeeper/../../etc"), "zookeeper.conf_dir",
       path_error("/opt/zookeeper/../../etc", "has a \"..\" component"), "conf_dir:"},
      {"ConfDirDot", zk, Under(zk, "conf_dir: /opt/./zookeeper"), "zookeeper.conf_dir",
       path_error("/opt/./zookeeper", "has a \".\" component"), "conf_dir:"},
      {"ConfDirDoubleSlash", zk, Under(zk, "conf_dir: /opt//zookeeper"), "zookeeper.conf_dir",
       path_error("/opt//zookeeper", "has an empty component (\"//\" or a trailing \"/\")"),
       "conf_dir:"},
      {"DataDirTrailingSlash", hadoop, Under(hadoop, "data_dir: /srv/dfs/"), "hadoop.data_dir",
       path_error("/srv/dfs/", "has an empty component (\"//\" or a trailing \"/\")"),
       "data_dir: /srv/dfs/"},
      {"HomeRelative", "home: /home/hadoop/hadoop", "home: hadoop", "hadoop.home",
       path_error("hadoop", "is not absolute"), "home: hadoop"},
      {"DataDirListComma", cassandra, Under(cassandra, "data_dir: /a,/b"), "cassandra.data_dir",
       path_error("/a,/b", "contains ','"), "data_dir: /a,/b"},
      {"CommitlogDirColon", cassandra, Under(cassandra, "commitlog_dir: /a:/b"),
       "cassandra.commitlog_dir", path_error("/a:/b", "contains ':'"), "commitlog_dir:"},
      {"HiveWarehouseHash", bam, Under(bam, "hive_warehouse_dir: \"/user/hive#x\""),
       "bam.hive_warehouse_dir", path_error("/user/hive#x", "contains '#'"), "hive_warehouse_dir"},
      // System directories.
      {"ZooKeeperDataDirEtc", zk, Under(zk, "data_dir: /etc"), "zookeeper.data_dir",
       std::string("\"/etc\"") + kSystemDir, "data_dir: /etc"},
      {"ZooKeeperConfDirEtc", zk, Under(zk, "conf_dir: /etc"), "zookeeper.conf_dir",
       std::string("\"/etc\"") + kSystemDir, "conf_dir: /etc"},
      {"HadoopHomeRoot", "home: /home/hadoop/hadoop", "home: /", "hadoop.home",
       std::string("\"/\"") + kSystemDir, "home: /\n"},
      {"HadoopTmpDirTmp", "tmp_dir: /tmp/hadoop", "tmp_dir: /tmp", "hadoop.tmp_dir",
       std::string("\"/tmp\"") + kSystemDir, "tmp_dir: /tmp"},
      {"NameDirUsr", hadoop, Under(hadoop, "name_dir: /usr"), "hadoop.name_dir",
       std::string("\"/usr\"") + kSystemDir, "name_dir: /usr"},
      {"CassandraDataDirVarLib", cassandra, Under(cassandra, "data_dir: /var/lib"),
       "cassandra.data_dir", std::string("\"/var/lib\"") + kSystemDir, "data_dir: /var/lib"},
      {"CassandraCachesLib64", cassandra, Under(cassandra, "saved_caches_dir: /lib64"),
       "cassandra.saved_caches_dir", std::string("\"/lib64\"") + kSystemDir, "saved_caches_dir"},
      {"BamHomeRoot", bam, Under(bam, "home: /root"), "bam.home",
       std::string("\"/root\"") + kSystemDir, "home: /root"},
      {"CassandraHomeBoot", cassandra, Under(cassandra, "home: /boot"), "cassandra.home",
       std::string("\"/boot\"") + kSystemDir, "home: /boot"},
      {"DataDirUnderProc", zk, Under(zk, "data_dir: /proc/1"), "zookeeper.data_dir",
       std::string("\"/proc/1\"") + kSystemDir, "data_dir: /proc/1"},
      {"DataDirUnderSys", hadoop, Under(hadoop, "data_dir: /sys/fs/x"), "hadoop.data_dir",
       std::string("\"/sys/fs/x\"") + kSystemDir, "data_dir: /sys/fs/x"},
      {"DataDirVar", zk, Under(zk, "data_dir: /var"), "zookeeper.data_dir",
       std::string("\"/var\"") + kSystemDir, "data_dir: /var"},
      // The password file.
      {"PasswordFileDotDot", "password_file: /etc/bamctl/secrets/bamdb-password",
       "password_file: /etc/bamctl/../shadow", "bam.summary_datasource.password_file",
       "secret file reference \"/etc/bamctl/../shadow\" has a \"..\" component" +
           std::string(kPathRule),
       "password_file: /etc/bamctl/../shadow"},
      {"PasswordFileNewline", "password_file: /etc/bamctl/secrets/regdb-password",
       "password_file: \"/etc/x\\n\"", "bam.registry_datasource.password_file",
       "secret file reference \"/etc/x\\n\" contains a control character" + std::string(kPathRule),
       "password_file: \"/etc/x"},
      {"ClusterNameNewline", "cluster_name: Test Cluster", "cluster_name: \"Test\\nCluster\"",
       "cassandra.cluster_name",
       "\"Test\\nCluster\" contains a control character; use printable characters only",
       "cluster_name:"},
      // Names in the MySQL options file and the schema command line.
      {"DatabaseShell", "database: regdb", "database: \"regdb; id\"",
       "bam.registry_datasource.database",
       "\"regdb; id\" is not a plain MySQL name: use letters, digits and '_', at most 64",
       "regdb; id"},
      {"UsernameHash", "username: bam_user", "username: \"bam#user\"",
       "bam.summary_datasource.username",
       "\"bam#user\" is not a plain MySQL name: use letters, digits, '_', '-' and '.', at most 32",
       "bam#user"},
      {"UsernameNewline", "username: reg_user", "username: \"reg\\npassword=x\"",
       "bam.registry_datasource.username",
       "\"reg\\npassword=x\" is not a plain MySQL name: use letters, digits, '_', '-' and '.', "
       "at most 32",
       "username: \"reg"},
  };
}

class ValueRuleTest : public ::testing::TestWithParam<ValueCase> {};

TEST_P(ValueRuleTest, RefusedWithTheExactMessage) {
  const ValueCase& c = GetParam();
  const std::string text = ReplaceOnce(Seed(), c.from, c.to);
  LoadedSpec loaded = LoadSpec(text);
  EXPECT_FALSE(loaded.ok());
  const Diagnostic* found = nullptr;
  for (const Diagnostic& d : loaded.diagnostics) {
    if (d.path == c.path) found = &d;
  }
  ASSERT_NE(found, nullptr) << "no finding at " << c.path << "; got:\n"
                            << Describe(loaded.diagnostics);
  EXPECT_EQ(found->severity, Severity::kError);
  EXPECT_EQ(found->message, c.message);
  EXPECT_EQ(found->pos.line, LineOf(text, c.at)) << FormatDiagnostic("spec.yaml", *found);
}

INSTANTIATE_TEST_SUITE_P(Values, ValueRuleTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<ValueCase>& info) {
                           return info.param.name;
                         });

// Values that look close to a refused one but are fine.
TEST(ValueRuleTest, AcceptsOrdinaryValues) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"user: hadoop", "user: \"1001\""},
           {"user: hadoop", "user: _hadoop.svc-1"},
           {"zookeeper:", "zookeeper:\n  data_dir: /var/lib/zookeeper"},
           {"zookeeper:", "zookeeper:\n  conf_dir: /etc/zookeeper/conf"},
           {"cassandra:", "cassandra:\n  home: /usr/share/cassandra"},
           {"java_home: /opt/java/jdk1.6.0_29", "java_home: /usr/lib/jvm/java-8+x"},
           {"tmp_dir: /tmp/hadoop", "tmp_dir: /tmp/hadoop-data"},
       }) {
    LoadedSpec loaded = LoadSpec(ReplaceOnce(Seed(), from, to));
    EXPECT_TRUE(loaded.ok()) << to << ":\n" << Describe(loaded.diagnostics);
  }
}

}  // namespace
}  // namespace bamctl
