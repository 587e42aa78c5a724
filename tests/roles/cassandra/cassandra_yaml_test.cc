#include "roles/cassandra/cassandra_yaml.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/spec/spec_loader.h"
#include "roles/topology/compiler.h"
#include "tests/util/test_util.h"
#include "yaml-cpp/yaml.h"

namespace bamctl {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::LineOf;
using ::bamctl::testing::ReadSourceFile;
using ::bamctl::testing::ReplaceOnce;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kRandom[] = "org.apache.cassandra.dht.RandomPartitioner";
constexpr char kMurmur3[] = "org.apache.cassandra.dht.Murmur3Partitioner";

v1::ClusterPlan CompileSeed(const std::string& spec_text) {
  LoadedSpec loaded = LoadSpec(spec_text);
  EXPECT_TRUE(loaded.ok());
  absl::StatusOr<v1::ClusterPlan> plan = CompileTopology(loaded.spec);
  EXPECT_TRUE(plan.ok()) << plan.status();
  return plan.ok() ? *plan : v1::ClusterPlan();
}

// The lines of `text` the patch must leave alone, in order: all but the
// owned top-level keys, the data_file_directories items and the seeds
// entry. Written from the stock layout, not from the patcher's code, so a
// patcher that strays outside its keys makes the comparison differ.
struct Unowned {
  std::vector<std::string> lines;
  int removed = 0;
};

Unowned UnownedLines(const std::string& text) {
  static const char* const kOwned[] = {"cluster_name:",        "initial_token:",
                                       "partitioner:",         "data_file_directories:",
                                       "commitlog_directory:", "saved_caches_directory:",
                                       "storage_port:",        "listen_address:",
                                       "rpc_address:",         "rpc_port:"};
  Unowned out;
  bool in_data_dirs = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    absl::string_view content = absl::StripLeadingAsciiWhitespace(line);
    bool owned = absl::StartsWith(content, "- seeds:") ||
                 (in_data_dirs && content.size() < line.size() && absl::StartsWith(content, "- "));
    in_data_dirs = in_data_dirs && owned;
    for (const char* key : kOwned) {
      if (absl::StartsWith(line, key)) {
        owned = true;
        in_data_dirs = std::string(key) == "data_file_directories:";
      }
    }
    if (owned) {
      ++out.removed;
    } else {
      out.lines.emplace_back(line);
    }
  }
  return out;
}

class CassandraYamlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The stock file is a read-only fixture: work on a copy.
    dir_ = testing::MakeTempDir("cassandra_yaml_test");
    path_ = (dir_ / "cassandra.yaml").string();
    std::ofstream(path_, std::ios::binary) << ReadSourceFile("roles/stock/wso2-bam/cassandra.yaml");
    std::ifstream in(path_, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    stock_ = text.str();
    ASSERT_FALSE(stock_.empty());
    plan_ = CompileSeed(ReadSourceFile("examples/seed-cluster.yaml"));
    ASSERT_EQ(plan_.nodes_size(), 5);
  }
  void TearDown() override { fs::remove_all(dir_); }

  const v1::CassandraPlan& Cassandra(int node) const { return plan_.nodes(node).cassandra(); }

  std::string Patch(const std::string& text, const v1::CassandraPlan& plan) const {
    absl::StatusOr<std::string> out = PatchCassandraYaml(path_, text, plan);
    EXPECT_TRUE(out.ok()) << out.status();
    return out.ok() ? *out : "";
  }

  fs::path dir_;
  std::string path_;
  std::string stock_;
  v1::ClusterPlan plan_;
};

TEST_F(CassandraYamlTest, SeedNodesGetEveryValueTheSeedNames) {
  const char* tokens[] = {"0", "56713727820156410577229101238628035242",
                          "113427455640312821154458202477256070485"};
  for (int i = 2; i < 5; ++i) {
    SCOPED_TRACE(plan_.nodes(i).node());
    const std::string host = absl::StrCat("node", i + 1);
    std::string out = Patch(stock_, Cassandra(i));
    EXPECT_THAT(out, HasSubstr("\ncluster_name: 'Test Cluster'\n"));
    EXPECT_THAT(out, HasSubstr(absl::StrCat("\ninitial_token: ", tokens[i - 2], "\n")));
    EXPECT_THAT(out, HasSubstr(absl::StrCat("\npartitioner: ", kRandom, "\n")));
    EXPECT_THAT(out,
                HasSubstr("\n    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
                          "      parameters:\n"));
    EXPECT_THAT(out, HasSubstr("\n          - seeds: \"node3\"\n"));
    EXPECT_THAT(out, HasSubstr(absl::StrCat("\nlisten_address: ", host, "\n")));
    EXPECT_THAT(out, HasSubstr(absl::StrCat("\nrpc_address: ", host, "\n")));
    EXPECT_THAT(out, HasSubstr("\nrpc_port: 9160\n"));
    EXPECT_THAT(out, HasSubstr("\nstorage_port: 7000\n"));
    EXPECT_THAT(out, HasSubstr("\ndata_file_directories:\n    - /var/lib/cassandra/data\n"));
    EXPECT_THAT(out, HasSubstr("\ncommitlog_directory: /var/lib/cassandra/commitlog\n"));
    EXPECT_THAT(out, HasSubstr("\nsaved_caches_directory: /var/lib/cassandra/saved_caches\n"));
    EXPECT_THAT(out, ::testing::Not(HasSubstr(absl::StrCat("\npartitioner: ", kMurmur3))));

    // What Cassandra's YAML reader sees.
    YAML::Node yaml = YAML::Load(out);
    EXPECT_EQ(yaml["cluster_name"].as<std::string>(), "Test Cluster");
    EXPECT_EQ(yaml["initial_token"].as<std::string>(), tokens[i - 2]);
    EXPECT_EQ(yaml["partitioner"].as<std::string>(), kRandom);
    EXPECT_EQ(yaml["seed_provider"][0]["parameters"][0]["seeds"].as<std::string>(), "node3");
    EXPECT_EQ(yaml["listen_address"].as<std::string>(), host);
    EXPECT_EQ(yaml["rpc_address"].as<std::string>(), host);
    EXPECT_EQ(yaml["rpc_port"].as<int>(), 9160);
    ASSERT_EQ(yaml["data_file_directories"].size(), 1u);
    EXPECT_EQ(yaml["data_file_directories"][0].as<std::string>(), "/var/lib/cassandra/data");
    EXPECT_EQ(yaml["hinted_handoff_enabled"].as<std::string>(), "true");
  }
}

TEST_F(CassandraYamlTest, LinesTheDriverDoesNotOwnAreByteIdentical) {
  Unowned before = UnownedLines(stock_);
  // 10 owned keys, one data directory item and the seeds entry: a filter
  // that removed more would hide changes.
  ASSERT_EQ(before.removed, 12);
  for (int i = 2; i < 5; ++i) {
    SCOPED_TRACE(plan_.nodes(i).node());
    std::string out = Patch(stock_, Cassandra(i));
    Unowned after = UnownedLines(out);
    EXPECT_EQ(after.removed, 12);
    EXPECT_EQ(after.lines, before.lines);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'),
              std::count(stock_.begin(), stock_.end(), '\n'));
  }
}

TEST_F(CassandraYamlTest, TheUnownedComparisonSeesChanges) {
  std::string out = Patch(stock_, Cassandra(3));
  const Unowned good = UnownedLines(out);
  EXPECT_NE(UnownedLines(ReplaceOnce(out, "# commit log\n", "# commitlog\n")).lines, good.lines);
  EXPECT_NE(
      UnownedLines(ReplaceOnce(out, "ssl_storage_port: 7001", "ssl_storage_port: 7002")).lines,
      good.lines);
  EXPECT_NE(UnownedLines(ReplaceOnce(out, "seed_provider:\n    #", "seed_provider:\n  #")).lines,
            good.lines);
  EXPECT_NE(UnownedLines(absl::StrCat(out, "\n")).lines, good.lines);
}

TEST_F(CassandraYamlTest, SecondPatchIsANoOp) {
  for (int i = 2; i < 5; ++i) {
    SCOPED_TRACE(plan_.nodes(i).node());
    std::string once = Patch(stock_, Cassandra(i));
    ASSERT_NE(once, stock_);
    EXPECT_EQ(Patch(once, Cassandra(i)), once);
  }
  // Re-patching a file rendered for another node converges to the same bytes.
  EXPECT_EQ(Patch(Patch(stock_, Cassandra(2)), Cassandra(4)), Patch(stock_, Cassandra(4)));
}

TEST_F(CassandraYamlTest, AbsentKeysAreAppendedInStockOrder) {
  // Start from a file already patched for node4 so that everything but the
  // appended entries is expected to stay as it is.
  std::string text = ReplaceOnce(Patch(stock_, Cassandra(3)),
                                 "initial_token: 56713727820156410577229101238628035242\n", "");
  text = ReplaceOnce(text, "data_file_directories:\n    - /var/lib/cassandra/data\n", "");
  text = ReplaceOnce(text,
                     "seed_provider:\n"
                     "    # Addresses of hosts that are deemed contact points. \n"
                     "    # Cassandra nodes use this list of hosts to find each other and learn\n"
                     "    # the topology of the ring.  You must change this if you are running\n"
                     "    # multiple nodes!\n"
                     "    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
                     "      parameters:\n"
                     "          # seeds is actually a comma-delimited list of addresses.\n"
                     "          # Ex: \"<ip1>,<ip2>,<ip3>\"\n"
                     "          - seeds: \"node3\"\n",
                     "");
  std::string out = Patch(text, Cassandra(3));
  EXPECT_EQ(out, absl::StrCat(text,
                              "initial_token: 56713727820156410577229101238628035242\n"
                              "data_file_directories:\n"
                              "    - /var/lib/cassandra/data\n"
                              "seed_provider:\n"
                              "    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
                              "      parameters:\n"
                              "          - seeds: \"node3\"\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
  YAML::Node yaml = YAML::Load(out);
  EXPECT_EQ(yaml["seed_provider"][0]["parameters"][0]["seeds"].as<std::string>(), "node3");
  EXPECT_EQ(yaml["initial_token"].as<std::string>(), "56713727820156410577229101238628035242");
}

TEST_F(CassandraYamlTest, AppendsAfterALastLineWithoutNewlineAndToAnEmptyFile) {
  std::string out = Patch("hinted_handoff_enabled: true", Cassandra(2));
  EXPECT_THAT(out, StartsWith("hinted_handoff_enabled: true\ncluster_name: 'Test Cluster'\n"));
  EXPECT_THAT(out, HasSubstr("\n          - seeds: \"node3\"\n"));
  EXPECT_THAT(out, EndsWith("\nrpc_port: 9160\n"));
  EXPECT_EQ(Patch(out, Cassandra(2)), out);

  std::string empty = Patch("", Cassandra(2));
  YAML::Node yaml = YAML::Load(empty);
  EXPECT_EQ(yaml.size(), 11u);
  EXPECT_EQ(yaml["rpc_address"].as<std::string>(), "node3");
}

TEST_F(CassandraYamlTest, Murmur3PlanWritesMurmur3Partitioner) {
  v1::ClusterPlan plan =
      CompileSeed(ReplaceOnce(ReadSourceFile("examples/seed-cluster.yaml"),
                              "partitioner: org.apache.cassandra.dht.RandomPartitioner",
                              "partitioner: Murmur3Partitioner"));
  ASSERT_EQ(plan.nodes_size(), 5);
  const v1::CassandraPlan& c = plan.nodes(2).cassandra();
  ASSERT_EQ(c.initial_token(), "-9223372036854775808");
  std::string out = Patch(stock_, c);
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\npartitioner: ", kMurmur3, "\n")));
  EXPECT_THAT(out, HasSubstr("\ninitial_token: -9223372036854775808\n"));
  EXPECT_EQ(YAML::Load(out)["initial_token"].as<long long>(), INT64_MIN);
}

TEST_F(CassandraYamlTest, ShortPartitionerNameIsWrittenFullyQualified) {
  v1::CassandraPlan c = Cassandra(2);
  c.set_partitioner("RandomPartitioner");
  EXPECT_THAT(Patch(stock_, c), HasSubstr(absl::StrCat("\npartitioner: ", kRandom, "\n")));
}

TEST_F(CassandraYamlTest, TokenOutsideThePartitionersRangeIsAnError) {
  v1::CassandraPlan c = Cassandra(3);  // a RandomPartitioner token above 2^63
  c.set_partitioner(kMurmur3);
  absl::StatusOr<std::string> out = PatchCassandraYaml(path_, stock_, c);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()), HasSubstr(path_));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("initial_token"));
}

TEST_F(CassandraYamlTest, CommentedKeysAreIgnored) {
  std::string out =
      Patch("# listen_address: old\n#listen_address: old\nlisten_address: old\n  # rpc_port: 1\n",
            Cassandra(3));
  EXPECT_THAT(out, StartsWith("# listen_address: old\n#listen_address: old\n"
                              "listen_address: node4\n  # rpc_port: 1\n"));
  EXPECT_THAT(out, HasSubstr("\nrpc_port: 9160\n"));
}

TEST_F(CassandraYamlTest, KeepsSpacingAndTrailingComments) {
  v1::CassandraPlan c = Cassandra(3);
  c.set_rpc_port(9161);
  std::string out = Patch(
      "rpc_port:\t    9160  # thrift\n"
      "cluster_name: 'a # b' # name\n"
      "listen_address :   old\n"
      "initial_token:\n"
      "partitioner: # set below\n",
      c);
  EXPECT_THAT(out, StartsWith("rpc_port:\t    9161  # thrift\n"
                              "cluster_name: 'Test Cluster' # name\n"
                              "listen_address :   node4\n"
                              "initial_token: 56713727820156410577229101238628035242\n"
                              "partitioner: org.apache.cassandra.dht.RandomPartitioner # set "
                              "below\n"));
  EXPECT_EQ(Patch(out, c), out);
}

TEST_F(CassandraYamlTest, ReplacesContinuationLinesAndFlowLists) {
  std::string out = Patch(
      "listen_address:\n  old\n"
      "data_file_directories: [/a, /b] # dirs\n"
      "commitlog_directory: /c\n"
      "saved_caches_directory:\n- /x\n- /y\n\n# next\n"
      "rpc_port: 1\n",
      Cassandra(3));
  EXPECT_THAT(out, StartsWith("listen_address: node4\n"
                              "data_file_directories: # dirs\n"
                              "    - /var/lib/cassandra/data\n"
                              "commitlog_directory: /var/lib/cassandra/commitlog\n"
                              "saved_caches_directory: /var/lib/cassandra/saved_caches\n"
                              "\n# next\n"
                              "rpc_port: 9160\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
}

// Found by cassandra_yaml_fuzz: blanks after a value on the key line were
// kept, and the next patch took them for the separator and dropped them.
TEST_F(CassandraYamlTest, DataDirectoriesKeyLineKeepsACommentButNotBlanks) {
  std::string out = Patch("data_file_directories: -  \n  - /a\n", Cassandra(3));
  EXPECT_THAT(out, StartsWith("data_file_directories:\n  - /var/lib/cassandra/data\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
  out = Patch("data_file_directories: [/a]  # dirs \n", Cassandra(3));
  EXPECT_THAT(out, StartsWith("data_file_directories:  # dirs \n    - /var/lib/cassandra/data\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
}

TEST_F(CassandraYamlTest, DataDirectoryItemsKeepTheFilesIndentation) {
  std::string out = Patch("data_file_directories:\n  - /a\n  - /b\n", Cassandra(3));
  EXPECT_THAT(out, StartsWith("data_file_directories:\n  - /var/lib/cassandra/data\n"));
}

TEST_F(CassandraYamlTest, CrLfLineEndingsSurvive) {
  std::string crlf = absl::StrReplaceAll(stock_, {{"\n", "\r\n"}});
  std::string out = Patch(ReplaceOnce(crlf, "initial_token: 0\r\n", ""), Cassandra(3));
  EXPECT_EQ(absl::StrReplaceAll(out, {{"\r\n", ""}}).find('\n'), std::string::npos);
  EXPECT_THAT(out, HasSubstr("\r\ndata_file_directories:\r\n    - /var/lib/cassandra/data\r\n"));
  EXPECT_THAT(out, EndsWith("\r\ninitial_token: 56713727820156410577229101238628035242\r\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
}

// Found by cassandra_yaml_fuzz: a value continued on a CRLF line in an LF
// file took the CRLF onto its key line, which the next patch then took as
// the file's line ending; the second pass changed the file (and would have
// restarted Cassandra once more).
TEST_F(CassandraYamlTest, MixedLineEndingsPatchTheSameTwice) {
  const std::string mixed =
      "cluster_name: x\n# c\n  continued\r\n# d\n"
      "data_file_directories:\r\n  - /a\n";
  std::string out = Patch(mixed, Cassandra(3));
  EXPECT_THAT(out, StartsWith("cluster_name: 'Test Cluster'\n# d\n"
                              "data_file_directories:\r\n  - /var/lib/cassandra/data\r\n"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
  // A block that ends the file without a line ending gets its own ending
  // when keys are appended after it.
  EXPECT_THAT(Patch("rpc_port: 1\r\n  2", Cassandra(3)),
              StartsWith("rpc_port: 9160\r\ncluster_name"));
  out = Patch("s\ndata_file_directories: 1\r\n# c\n-", Cassandra(3));
  EXPECT_THAT(out, StartsWith("s\ndata_file_directories:\r\n- /var/lib/cassandra/data\r\n"
                              "cluster_name"));
  EXPECT_EQ(Patch(out, Cassandra(3)), out);
}

// Found by cassandra_yaml_fuzz: "seed_provider:\r" at the end of a file
// was no key to the patcher (YAML breaks the line there), so a second
// seed_provider was appended, and the next patch refused the duplicate.
TEST_F(CassandraYamlTest, ALoneCarriageReturnIsRefusedNamingTheLine) {
  absl::StatusOr<std::string> out =
      PatchCassandraYaml("cassandra.yaml", "a: 1\nseed_provider:\r", Cassandra(3));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "cassandra.yaml:2: a carriage return without a line feed; cassandra.yaml must end "
            "its lines with LF or CRLF");
  EXPECT_FALSE(PatchCassandraYaml("cassandra.yaml", "a: 1\rb: 2\n", Cassandra(3)).ok());
  EXPECT_TRUE(PatchCassandraYaml("cassandra.yaml", "a: 1\r\nb: 2\r\n", Cassandra(3)).ok());
}

TEST_F(CassandraYamlTest, QuotesValuesYamlWouldMisread) {
  v1::CassandraPlan c = Cassandra(3);
  c.set_cluster_name("Bob's Cluster");
  c.set_listen_address("yes");
  c.set_rpc_address("192.168.4.103");
  c.set_data_dir("/data dir/#1");
  c.set_commitlog_dir("1.5");
  c.clear_seeds();
  c.add_seeds("node3");
  c.add_seeds("10.0.0.2");
  std::string out = Patch(stock_, c);
  EXPECT_THAT(out, HasSubstr("\ncluster_name: 'Bob''s Cluster'\n"));
  EXPECT_THAT(out, HasSubstr("\nlisten_address: 'yes'\n"));
  EXPECT_THAT(out, HasSubstr("\nrpc_address: 192.168.4.103\n"));
  EXPECT_THAT(out, HasSubstr("\n    - '/data dir/#1'\n"));
  EXPECT_THAT(out, HasSubstr("\ncommitlog_directory: '1.5'\n"));
  EXPECT_THAT(out, HasSubstr("- seeds: \"node3,10.0.0.2\"\n"));
  YAML::Node yaml = YAML::Load(out);
  EXPECT_EQ(yaml["cluster_name"].as<std::string>(), "Bob's Cluster");
  EXPECT_EQ(yaml["listen_address"].as<std::string>(), "yes");
  EXPECT_EQ(yaml["data_file_directories"][0].as<std::string>(), "/data dir/#1");
  EXPECT_EQ(Patch(out, c), out);
}

TEST_F(CassandraYamlTest, SeedProviderWithoutSeedsNamesFileAndLine) {
  std::string text = ReplaceOnce(stock_, "          - seeds: \"127.0.0.1\"\n", "");
  absl::StatusOr<std::string> out = PatchCassandraYaml(path_, text, Cassandra(2));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(out.status().message()),
              StartsWith(absl::StrCat(path_, ":", LineOf(text, "\nseed_provider:") + 1, ": ")));
  EXPECT_THAT(std::string(out.status().message()), HasSubstr("seeds"));
}

TEST_F(CassandraYamlTest, TwoSeedsEntriesAreAnError) {
  std::string text = ReplaceOnce(stock_, "          - seeds: \"127.0.0.1\"\n",
                                 "          - seeds: \"a\"\n          - seeds: \"b\"\n");
  absl::StatusOr<std::string> out = PatchCassandraYaml(path_, text, Cassandra(2));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              StartsWith(absl::StrCat(path_, ":", LineOf(text, "- seeds: \"b\""), ": ")));
}

TEST_F(CassandraYamlTest, DuplicateOwnedKeyNamesBothLines) {
  std::string text = absl::StrCat(stock_, "rpc_port: 9161\n");
  absl::StatusOr<std::string> out = PatchCassandraYaml(path_, text, Cassandra(2));
  ASSERT_FALSE(out.ok());
  EXPECT_THAT(std::string(out.status().message()),
              StartsWith(absl::StrCat(path_, ":701: duplicate key")));
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr(absl::StrCat("first on line ", LineOf(stock_, "\nrpc_port:") + 1)));
}

TEST_F(CassandraYamlTest, UnwritablePlanValuesAreErrors) {
  v1::CassandraPlan c = Cassandra(2);
  c.set_listen_address("node3\nrpc_port: 1");
  EXPECT_EQ(PatchCassandraYaml(path_, stock_, c).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Cassandra(2);
  c.clear_seeds();
  EXPECT_EQ(PatchCassandraYaml(path_, stock_, c).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Cassandra(2);
  c.set_rpc_port(0);
  EXPECT_EQ(PatchCassandraYaml(path_, stock_, c).status().code(),
            absl::StatusCode::kInvalidArgument);
  c = Cassandra(2);
  c.set_partitioner("ByteOrderedPartitioner");
  EXPECT_EQ(PatchCassandraYaml(path_, stock_, c).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace bamctl
