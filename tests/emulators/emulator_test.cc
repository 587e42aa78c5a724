// bam-emulator: the checks in-process, and the installed programs as real
// processes on 127.0.0.1, started from what the project's own role drivers
// render (the agent's command lines, environments, files and probes).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/file_util.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "roles/cassandra/nodetool_status.h"
#include "roles/driver/file_sources.h"
#include "roles/hadoop/hadoop_driver.h"
#include "roles/probe/probe_runner.h"
#include "roles/render/node_renderer.h"
#include "roles/stock/stock.h"
#include "tests/emulators/daemon.h"
#include "tests/emulators/faults.h"
#include "tests/emulators/install.h"
#include "tests/emulators/products.h"
#include "tests/integration/child_process.h"
#include "tests/util/loopback_listener.h"
#include "tests/util/seed_plans.h"
#include "tests/util/test_util.h"

namespace bamctl::emulator {
namespace {

namespace fs = std::filesystem;
using ::bamctl::testing::ChildProcess;
using ::bamctl::testing::LoopbackListener;
using ::bamctl::testing::ReplaceOnce;
using ::bamctl::testing::SeedNodePlanEdited;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr std::chrono::seconds kWait(10);
constexpr char kJavaHome[] = "/opt/java/jdk1.6.0_29";  // the seed's java_home
constexpr char kHadoopHome[] = "/home/hadoop/hadoop";
constexpr char kCassandraHome[] = "/opt/cassandra";
constexpr char kBamHome[] = "/opt/wso2bam";

std::string EmulatorBin() {
  if (const char* bin = std::getenv("BAMCTL_EMULATOR_BIN"); bin != nullptr) return bin;
  return (fs::read_symlink("/proc/self/exe").parent_path() / "bam-emulator").string();
}

std::string Read(const fs::path& path) {
  absl::StatusOr<std::optional<std::string>> text = ReadFileIfExists(path.string());
  return text.ok() ? text->value_or("") : "";
}

void Write(const fs::path& path, absl::string_view content, mode_t mode = 0644) {
  ASSERT_TRUE(WriteFileAtomically(path.string(), content, mode).ok()) << path;
}

// Polls `done` every 50 ms until it holds or `timeout` passes.
bool Eventually(const std::function<bool()>& done, std::chrono::milliseconds timeout = kWait) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return true;
}

// `n` distinct ports free on 127.0.0.1 (held together, then released).
std::vector<uint32_t> FreePorts(int n) {
  std::vector<std::unique_ptr<LoopbackListener>> held;
  std::vector<uint32_t> ports;
  for (int i = 0; i < n; ++i) {
    held.push_back(std::make_unique<LoopbackListener>());
    ports.push_back(held.back()->port());
  }
  return ports;
}

bool PortFree(uint32_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return free;
}

// A BAM port offset whose four ports are free on 127.0.0.1.
int FreeBamOffset() {
  // Every port stays below the kernel's ephemeral range (32768 and up):
  // there, any outgoing connection (the analyzer's ZooKeeper client retries
  // many while BAM starts) may take a port between this check and the bind.
  constexpr int kLowest = 1000;
  constexpr int kSpan = 32768 - 9763 - kLowest;  // 9763: BAM's highest base port
  const int start = getpid() % kSpan;
  for (int i = 0; i < kSpan / 97; ++i) {
    const int offset = kLowest + (start + i * 97) % kSpan;
    if (PortFree(9443 + offset) && PortFree(9763 + offset) && PortFree(7611 + offset) &&
        PortFree(7711 + offset)) {
      return offset;
    }
  }
  ADD_FAILURE() << "no free BAM port offset";
  return 0;
}

bool Healthy(const Probe& probe) { return RunProbe(probe, std::chrono::seconds(1)).healthy; }

// A minimal valid cassandra.yaml on 127.0.0.1 with its directories under `root`.
std::string CassandraYaml(const std::string& root, uint32_t storage_port, uint32_t rpc_port) {
  return absl::StrCat(
      "cluster_name: 'Test Cluster'\n"
      "partitioner: org.apache.cassandra.dht.RandomPartitioner\n"
      "initial_token: 0\n"
      "listen_address: 127.0.0.1\n"
      "rpc_address: 127.0.0.1\n"
      "storage_port: ",
      storage_port, "\nrpc_port: ", rpc_port,
      "\nseed_provider:\n"
      "    - class_name: org.apache.cassandra.locator.SimpleSeedProvider\n"
      "      parameters:\n"
      "          - seeds: \"127.0.0.1\"\n"
      "data_file_directories:\n"
      "    - ",
      root, "/cassandra/data\ncommitlog_directory: ", root,
      "/cassandra/commitlog\nsaved_caches_directory: ", root, "/cassandra/saved_caches\n");
}

class EmulatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = bamctl::testing::MakeTempDir("emulator_test").string();
    fs::create_directories(root_ + "/logs");
    // The seed's JVM, as the agent's JAVA_HOME names it under the root.
    Write(root_ + kJavaHome + "/bin/java", "#!/bin/sh\nexit 0\n", 0755);
  }
  void TearDown() override {
    children_.clear();  // kills whatever still runs
    fs::remove_all(root_);
  }

  std::string JavaHome() const { return root_ + kJavaHome; }

  std::string InstallAt(Product product, const std::string& home,
                        const std::string& bind_address = "") {
    std::string dest = root_ + home;
    absl::Status installed = Install(product, dest, {EmulatorBin(), bind_address});
    EXPECT_TRUE(installed.ok()) << installed;
    return dest;
  }

  ChildProcess* Start(const std::vector<std::string>& argv,
                      const std::map<std::string, std::string>& env, const std::string& log) {
    absl::StatusOr<std::unique_ptr<ChildProcess>> child =
        ChildProcess::Start(argv, env, root_, LogPath(log));
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return nullptr;
    children_.push_back(*std::move(child));
    return children_.back().get();
  }
  std::string LogPath(const std::string& log) const { return root_ + "/logs/" + log + ".log"; }
  std::string Log(const std::string& log) const { return Read(LogPath(log)); }

  // Runs to completion (bounded) and returns the exit status, -1 on timeout.
  int RunToExit(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                const std::string& log) {
    ChildProcess* child = Start(argv, env, log);
    if (child == nullptr) return -1;
    absl::StatusOr<int> status = child->Wait(kWait);
    return status.ok() ? *status : -1;
  }

  static int Terminate(ChildProcess* child) {
    if (child == nullptr) return -1;
    kill(child->pid(), SIGTERM);
    absl::StatusOr<int> status = child->Wait(kWait);
    return status.ok() ? *status : -1;
  }

  // The services of the seed's `node` after `edits`, rendered as the agent
  // renders them on this root, from the shipped files of the emulated
  // installs (no stock fallback), with its files written.
  std::vector<ServicePlan> RenderSeed(
      const std::string& node, const std::vector<std::pair<std::string, std::string>>& edits) {
    RedactingSecretSource secrets;
    DirectoryFileSource disk("");
    RenderContext ctx;
    ctx.root = root_;
    ctx.base = &disk;
    ctx.secrets = &secrets;
    absl::StatusOr<std::vector<ServicePlan>> services =
        RenderNode(SeedNodePlanEdited(node, edits), ctx);
    EXPECT_TRUE(services.ok()) << services.status();
    if (!services.ok()) return {};
    absl::StatusOr<std::vector<ConfigFile>> files = NodeFiles(*services);
    EXPECT_TRUE(files.ok()) << files.status();
    for (const ConfigFile& f : files.value_or(std::vector<ConfigFile>())) {
      Write(f.path, f.content, f.mode);
    }
    return *std::move(services);
  }

  static const ServicePlan& Service(const std::vector<ServicePlan>& services,
                                    const std::string& name) {
    for (const ServicePlan& s : services) {
      if (s.name == name) return s;
    }
    ADD_FAILURE() << "no service " << name;
    static const ServicePlan kNone;
    return kNone;
  }

  ChildProcess* StartService(const ServicePlan& s) {
    return Start(s.process.argv, s.process.env, s.name);
  }

  bool ProbesPass(const ServicePlan& s) {
    return Eventually([&] {
      for (const Probe& p : s.probes) {
        if (!Healthy(p)) return false;
      }
      return true;
    });
  }

  std::string root_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
};

// ---------------------------------------------------------------- faults

TEST(FaultsTest, UnscopedLinesApplyToEveryProgramScopedOnesToTheirService) {
  const std::string text =
      "# injected by a test\nexit-at-start\ndatanode:crash-now\n namenode : hang-at-start \n\n";
  absl::StatusOr<Faults> datanode = ParseFaults(text, "datanode", "emulator-fault");
  ASSERT_TRUE(datanode.ok()) << datanode.status();
  EXPECT_TRUE(datanode->exit_at_start);
  EXPECT_TRUE(datanode->crash_now);
  EXPECT_FALSE(datanode->hang_at_start);
  absl::StatusOr<Faults> namenode = ParseFaults(text, "namenode", "emulator-fault");
  ASSERT_TRUE(namenode.ok());
  EXPECT_TRUE(namenode->hang_at_start);
  EXPECT_FALSE(namenode->crash_now);
}

TEST(FaultsTest, UnknownWordNamesFileLineAndValidWords) {
  absl::StatusOr<Faults> faults = ParseFaults("exit-at-start\ncrash-later\n", "bam", "F");
  ASSERT_FALSE(faults.ok());
  EXPECT_THAT(std::string(faults.status().message()),
              HasSubstr("F:2: unknown fault \"crash-later\""));
  EXPECT_THAT(std::string(faults.status().message()), HasSubstr("crash-now"));
}

// ---------------------------------------------------------------- install

TEST_F(EmulatorTest, InstallLaysOutScriptsShippedFilesAndReadme) {
  const std::string bam = InstallAt(Product::kBam, kBamHome, "127.0.0.1");
  const fs::path script = bam + "/bin/wso2server.sh";
  EXPECT_EQ(fs::status(script).permissions() & fs::perms::all,
            fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                fs::perms::others_read | fs::perms::others_exec);
  EXPECT_THAT(Read(script),
              HasSubstr(absl::StrCat("exec '", EmulatorBin(), "' run wso2server.sh --home='", bam,
                                     "' --bind-address='127.0.0.1' -- \"$@\"\n")));
  EXPECT_EQ(Read(bam + "/repository/conf/carbon.xml"), *StockFile("wso2-bam/carbon.xml"));
  EXPECT_EQ(Read(bam + "/repository/conf/etc/tasks-config.xml"),
            *StockFile("wso2-bam/tasks-config.das-clustering-template.xml"));
  EXPECT_EQ(Read(bam + "/repository/conf/datasources/master-datasources.xml"),
            *StockFile("wso2-carbon-kernel/master-datasources.xml"));
  EXPECT_THAT(Read(bam + "/README.emulated"), HasSubstr("EMULATED"));

  const std::string cassandra = InstallAt(Product::kCassandra, kCassandraHome);
  EXPECT_EQ(Read(cassandra + "/conf/cassandra.yaml"), *StockFile("wso2-bam/cassandra.yaml"));
  EXPECT_THAT(Read(cassandra + "/bin/nodetool"), HasSubstr(" run nodetool --home="));
  const std::string hadoop = InstallAt(Product::kHadoop, kHadoopHome);
  EXPECT_THAT(Read(hadoop + "/bin/hadoop"), HasSubstr(" run hadoop --home="));
  EXPECT_THAT(Read(hadoop + "/conf/core-site.xml"), HasSubstr("<configuration>"));
}

TEST_F(EmulatorTest, ReinstallRewritesScriptsButKeepsConfigurationAndRemovedBundles) {
  const std::string bam = InstallAt(Product::kBam, kBamHome);
  const std::string script = Read(bam + "/bin/wso2server.sh");
  const std::string plugins = bam + "/repository/components/plugins/";
  ASSERT_TRUE(fs::exists(plugins + "org.wso2.carbon.bam.toolbox.deployer_2.3.0.jar"));
  Write(bam + "/repository/conf/carbon.xml", "<Server>patched by the agent</Server>\n");
  Write(bam + "/bin/wso2server.sh", "broken\n");
  fs::remove(plugins + "org.wso2.carbon.bam.toolbox.deployer_2.3.0.jar");
  InstallAt(Product::kBam, kBamHome);
  EXPECT_EQ(Read(bam + "/bin/wso2server.sh"), script);
  EXPECT_EQ(Read(bam + "/repository/conf/carbon.xml"), "<Server>patched by the agent</Server>\n");
  EXPECT_FALSE(fs::exists(plugins + "org.wso2.carbon.bam.toolbox.deployer_2.3.0.jar"));
}

TEST_F(EmulatorTest, CommandLineInstallExecsItsOwnAbsolutePath) {
  const std::string dest = root_ + "/hadoop-cli";
  EXPECT_EQ(RunToExit({EmulatorBin(), "install", "hadoop", dest}, {}, "install"), 0)
      << Log("install");
  EXPECT_THAT(Read(dest + "/bin/hadoop"),
              HasSubstr(absl::StrCat("exec '", fs::canonical(EmulatorBin()).string(), "' run")));
  EXPECT_NE(RunToExit({EmulatorBin(), "install", "zookeeper", dest}, {}, "bad-install"), 0);
}

// ---------------------------------------------------------------- Hadoop, in-process

class HadoopTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    home_ = InstallAt(Product::kHadoop, kHadoopHome);
    name_dir_ = root_ + "/dfs/name";
  }
  void WriteSite(const std::string& file,
                 const std::vector<std::pair<std::string, std::string>>& properties) {
    Write(home_ + "/conf/" + file, HadoopConfigXml(properties));
  }
  absl::StatusOr<Invocation> Run(std::vector<std::string> args, const std::string& stdin_text = "",
                                 bool with_java = true) {
    RunRequest r{"hadoop", home_, "", std::move(args), {}};
    if (with_java) r.env["JAVA_HOME"] = JavaHome();
    std::istringstream in(stdin_text);
    return PrepareHadoop(r, in);
  }
  std::string home_;
  std::string name_dir_;
};

TEST_F(HadoopTest, NameNodeRefusesFsDefaultNameThatIsNotHdfs) {
  WriteSite("hdfs-site.xml", {{"dfs.name.dir", name_dir_}});
  absl::StatusOr<Invocation> missing = Run({"namenode"});
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()),
              HasSubstr("fs.default.name (not set in the site files; Hadoop's default "
                        "\"file:///\"): Invalid URI for NameNode address (check fs.default.name): "
                        "file:/// is not of scheme 'hdfs'."));
  WriteSite("core-site.xml", {{"fs.default.name", "hdfs:///"}});
  absl::StatusOr<Invocation> no_host = Run({"namenode"});
  ASSERT_FALSE(no_host.ok());
  EXPECT_THAT(std::string(no_host.status().message()),
              HasSubstr(home_ + "/conf/core-site.xml: fs.default.name: Invalid URI"));
  EXPECT_THAT(std::string(no_host.status().message()), HasSubstr("has no authority"));
}

TEST_F(HadoopTest, JobTrackersNeedMapredJobTrackerAndNameNodeItsNameDir) {
  absl::StatusOr<Invocation> jobtracker = Run({"jobtracker"});
  ASSERT_FALSE(jobtracker.ok());
  EXPECT_THAT(std::string(jobtracker.status().message()),
              HasSubstr("mapred.job.tracker (not set in the site files; Hadoop's default "
                        "\"local\"): Not a host:port pair: local"));
  absl::StatusOr<Invocation> tasktracker = Run({"tasktracker"});
  ASSERT_FALSE(tasktracker.ok());
  EXPECT_THAT(std::string(tasktracker.status().message()), HasSubstr("mapred.job.tracker"));

  WriteSite("core-site.xml", {{"fs.default.name", "hdfs://127.0.0.1:9000"}});
  absl::StatusOr<Invocation> namenode = Run({"namenode"});
  ASSERT_FALSE(namenode.ok());
  EXPECT_THAT(std::string(namenode.status().message()),
              HasSubstr(home_ + "/conf/hdfs-site.xml: dfs.name.dir is not set"));
}

TEST_F(HadoopTest, FormatWritesVersionAndAsksBeforeReformatting) {
  WriteSite("hdfs-site.xml", {{"dfs.name.dir", name_dir_}});
  WriteSite("core-site.xml", {{"fs.default.name", "hdfs://127.0.0.1:9000"}});
  absl::StatusOr<Invocation> absent = Run({"namenode"});
  ASSERT_FALSE(absent.ok());
  EXPECT_THAT(std::string(absent.status().message()), HasSubstr("inconsistent state"));
  fs::create_directories(name_dir_);
  absl::StatusOr<Invocation> unformatted = Run({"namenode"});
  ASSERT_FALSE(unformatted.ok());
  EXPECT_THAT(std::string(unformatted.status().message()), HasSubstr("NameNode is not formatted."));

  // Hadoop 1 asks about any existing directory, formatted or not.
  absl::StatusOr<Invocation> format = Run({"namenode", "-format"}, "Y\n");
  ASSERT_TRUE(format.ok()) << format.status();
  EXPECT_EQ(format->exit_code, 0) << format->err;
  const std::string version = Read(name_dir_ + "/current/VERSION");
  EXPECT_THAT(version, HasSubstr("storageType=NAME_NODE\n"));

  absl::StatusOr<Invocation> declined = Run({"namenode", "-format"}, "N\n");
  ASSERT_TRUE(declined.ok());
  EXPECT_EQ(declined->exit_code, 1);
  EXPECT_THAT(declined->err,
              HasSubstr(absl::StrCat("Re-format filesystem in ", name_dir_, " ? (Y or N) ")));
  EXPECT_THAT(declined->err, HasSubstr("Format aborted in " + name_dir_));
  absl::StatusOr<Invocation> no_answer = Run({"namenode", "-format"});
  ASSERT_TRUE(no_answer.ok());
  EXPECT_EQ(no_answer->exit_code, 1);
  EXPECT_EQ(Read(name_dir_ + "/current/VERSION"), version);

  absl::StatusOr<Invocation> namenode = Run({"namenode"});
  ASSERT_TRUE(namenode.ok()) << namenode.status();
  ASSERT_TRUE(namenode->daemon.has_value());
  ASSERT_EQ(namenode->daemon->endpoints.size(), 2u);
  EXPECT_EQ(namenode->daemon->endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(namenode->daemon->endpoints[0].port, 9000);
  EXPECT_EQ(namenode->daemon->endpoints[1].host, "0.0.0.0");  // dfs.http.address's default
  EXPECT_EQ(namenode->daemon->endpoints[1].port, 50070);
}

TEST_F(HadoopTest, JavaHomeFromHadoopEnvMustHoldJava) {
  WriteSite("core-site.xml", {{"fs.default.name", "hdfs://127.0.0.1:9000"}});
  absl::StatusOr<Invocation> unset = Run({"jobtracker"}, "", /*with_java=*/false);
  ASSERT_FALSE(unset.ok());
  EXPECT_EQ(unset.status().message(), "Error: JAVA_HOME is not set.");
  // hadoop-env.sh wins over the environment, as bin/hadoop sources it.
  Write(home_ + "/conf/hadoop-env.sh", "# export JAVA_HOME=/x\nexport JAVA_HOME=/nonexistent\n");
  absl::StatusOr<Invocation> broken = Run({"jobtracker"});
  ASSERT_TRUE(broken.ok());
  EXPECT_EQ(broken->exit_code, 127);
  EXPECT_THAT(broken->err, HasSubstr("/nonexistent/bin/java: No such file or directory"));
}

// ---------------------------------------------------------------- Cassandra, in-process

class CassandraTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    home_ = InstallAt(Product::kCassandra, kCassandraHome);
    yaml_ = CassandraYaml(root_, 7000, 9160);
  }
  absl::StatusOr<Invocation> RunWith(const std::string& yaml) {
    Write(home_ + "/conf/cassandra.yaml", yaml);
    return PrepareCassandra(
        {"cassandra", home_, "", {"-f"}, {{"JAVA_HOME", JavaHome()}, {"PATH", "/nonexistent"}}});
  }
  void ExpectRefused(const std::string& from, const std::string& to, const std::string& message) {
    absl::StatusOr<Invocation> run = RunWith(ReplaceOnce(yaml_, from, to));
    ASSERT_FALSE(run.ok()) << from << " -> " << to;
    EXPECT_THAT(std::string(run.status().message()),
                HasSubstr(absl::StrCat(home_, "/conf/cassandra.yaml: ", message)))
        << from << " -> " << to;
    EXPECT_THAT(std::string(run.status().message()), HasSubstr("Fatal configuration error"));
  }
  std::string home_;
  std::string yaml_;
};

TEST_F(CassandraTest, ValidFileBindsStorageOnListenAndRpcOnRpcAddress) {
  absl::StatusOr<Invocation> run = RunWith(yaml_);
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(run->daemon.has_value());
  ASSERT_EQ(run->daemon->endpoints.size(), 3u);
  EXPECT_EQ(run->daemon->endpoints[0].name, "storage");
  EXPECT_EQ(run->daemon->endpoints[0].port, 7000);
  EXPECT_EQ(run->daemon->endpoints[1].name, "rpc");
  EXPECT_EQ(run->daemon->endpoints[1].port, 9160);
  // JMX from the installed cassandra-env.sh, on the listen address.
  EXPECT_EQ(run->daemon->endpoints[2].name, "jmx");
  EXPECT_EQ(run->daemon->endpoints[2].port, 7199);
  EXPECT_EQ(run->daemon->endpoints[2].host, run->daemon->endpoints[0].host);
  EXPECT_EQ(run->daemon->endpoints[2].protocol, Protocol::kJmx);
  EXPECT_EQ(run->daemon->make_dirs.size(), 3u);
}

TEST_F(CassandraTest, TokensMustFitThePartitioner) {
  ExpectRefused("initial_token: 0", "initial_token: 170141183460469231731687303715884105729",
                "initial_token: Token must be >= 0 and <= 2**127");
  ExpectRefused("initial_token: 0", "initial_token: -1", "initial_token: Token must be >= 0");
  ExpectRefused("initial_token: 0", "initial_token: node3",
                "initial_token: For input string: \"node3\"");
  ExpectRefused("RandomPartitioner\ninitial_token: 0",
                "Murmur3Partitioner\ninitial_token: 9223372036854775808",
                "initial_token: For input string: \"9223372036854775808\" (Murmur3Partitioner");
  ExpectRefused("RandomPartitioner", "SuperPartitioner", "Invalid partitioner class");
  // The ends of the ranges are tokens.
  EXPECT_TRUE(RunWith(ReplaceOnce(yaml_, "initial_token: 0",
                                  "initial_token: 170141183460469231731687303715884105728"))
                  .ok());
  EXPECT_TRUE(RunWith(ReplaceOnce(yaml_, "RandomPartitioner\ninitial_token: 0",
                                  "Murmur3Partitioner\ninitial_token: -9223372036854775808"))
                  .ok());
}

TEST_F(CassandraTest, RequiredKeysAndSeeds) {
  ExpectRefused("cluster_name: 'Test Cluster'\n", "", "cluster_name is missing");
  ExpectRefused("listen_address: 127.0.0.1\n", "", "listen_address is missing");
  ExpectRefused("rpc_address: 127.0.0.1\n", "", "rpc_address is missing");
  ExpectRefused("seeds: \"127.0.0.1\"", "seeds: \"\"", "The seed provider lists no seeds.");
  ExpectRefused("storage_port: 7000", "storage_port: x", "storage_port: \"x\" is not a port");
  ExpectRefused("commitlog_directory: ", "commitlog_dir: ", "commitlog_directory missing");
}

TEST_F(CassandraTest, StartScriptChecks) {
  Write(home_ + "/conf/cassandra.yaml", yaml_);
  absl::StatusOr<Invocation> background =
      PrepareCassandra({"cassandra", home_, "", {}, {{"JAVA_HOME", JavaHome()}}});
  ASSERT_TRUE(background.ok());
  EXPECT_EQ(background->exit_code, 1);
  EXPECT_FALSE(background->daemon.has_value());
  absl::StatusOr<Invocation> half_heap = PrepareCassandra(
      {"cassandra", home_, "", {"-f"}, {{"JAVA_HOME", JavaHome()}, {"MAX_HEAP_SIZE", "1G"}}});
  ASSERT_TRUE(half_heap.ok());
  EXPECT_EQ(half_heap->exit_code, 1);
  EXPECT_THAT(half_heap->err, HasSubstr("MAX_HEAP_SIZE and HEAP_NEWSIZE in pairs"));
  absl::StatusOr<Invocation> no_java =
      PrepareCassandra({"cassandra", home_, "", {"-f"}, {{"PATH", "/nonexistent"}}});
  ASSERT_TRUE(no_java.ok());
  EXPECT_EQ(no_java->exit_code, 1);
  EXPECT_THAT(no_java->err, HasSubstr("Unable to find java executable"));
}

TEST_F(CassandraTest, CassandraEnvSetsTheHeapAndTheJmxPortOverTheEnvironment) {
  const std::string env = home_ + "/conf/cassandra-env.sh";
  auto run = [&](const std::string& text) {
    Write(env, text);
    return PrepareCassandra(
        {"cassandra", home_, "", {"-f"}, {{"JAVA_HOME", JavaHome()}, {"MAX_HEAP_SIZE", "1G"}}});
  };
  // The file sets both: the environment's half pair does not matter.
  absl::StatusOr<Invocation> ok =
      run("MAX_HEAP_SIZE=\"2048M\"\nHEAP_NEWSIZE=\"512M\"\nJMX_PORT=\"7299\"\n");
  ASSERT_TRUE(ok.ok()) << ok.status();
  ASSERT_TRUE(ok->daemon.has_value()) << ok->err;
  EXPECT_EQ(ok->daemon->endpoints.back().port, 7299);
  EXPECT_THAT(ok->daemon->startup_log,
              ::testing::Contains(HasSubstr("-Xmx2048M, -Xmn512M, "
                                            "-Dcom.sun.management.jmxremote.port=7299]")));
  absl::StatusOr<Invocation> half = run("#MAX_HEAP_SIZE=\"4G\"\nJMX_PORT=\"7199\"\n");
  ASSERT_TRUE(half.ok());
  EXPECT_EQ(half->exit_code, 1);
  EXPECT_THAT(half->err, HasSubstr("in pairs"));
  absl::StatusOr<Invocation> size = run("MAX_HEAP_SIZE=lots\nHEAP_NEWSIZE=1M\nJMX_PORT=7199\n");
  ASSERT_TRUE(size.ok());
  EXPECT_EQ(size->exit_code, 1);
  EXPECT_THAT(size->err, HasSubstr("Invalid maximum heap size: -Xmxlots (" + env + ")"));
  absl::StatusOr<Invocation> port = run("MAX_HEAP_SIZE=1G\nHEAP_NEWSIZE=1M\nJMX_PORT=\"\"\n");
  ASSERT_TRUE(port.ok());
  EXPECT_EQ(port->exit_code, 1);
  EXPECT_THAT(port->err, HasSubstr("Invalid com.sun.management.jmxremote.port number"));
}

// ---------------------------------------------------------------- BAM, in-process

class BamTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    home_ = InstallAt(Product::kBam, kBamHome, "127.0.0.1");
  }
  absl::StatusOr<Invocation> Run(std::vector<std::string> args = {}) {
    return PrepareBam(
        {"wso2server.sh", home_, "127.0.0.1", std::move(args), {{"JAVA_HOME", JavaHome()}}});
  }
  void Edit(const std::string& rel, const std::string& from, const std::string& to) {
    const std::string path = home_ + "/repository/conf/" + rel;
    Write(path, ReplaceOnce(Read(path), from, to));
  }
  std::string home_;
};

TEST_F(BamTest, PortsAreCarbonsPlusTheOffset) {
  Edit("carbon.xml", "<Offset>0</Offset>", "<Offset>5</Offset>");
  absl::StatusOr<Invocation> run = Run({"-Ddisable.cassandra.server.startup=true"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(run->daemon.has_value());
  std::map<std::string, int> ports;
  for (const Endpoint& e : run->daemon->endpoints) {
    ports[e.name] = e.port;
    EXPECT_EQ(e.host, "127.0.0.1");
  }
  EXPECT_EQ(ports,
            (std::map<std::string, int>{
                {"https", 9448}, {"console", 9768}, {"thrift", 7616}, {"thrift-secure", 7716}}));
  // -DportOffset wins over carbon.xml; without the disable flag the
  // embedded Cassandra starts too.
  absl::StatusOr<Invocation> embedded = Run({"-DportOffset=1"});
  ASSERT_TRUE(embedded.ok()) << embedded.status();
  EXPECT_EQ(embedded->daemon->endpoints.back().name, "embedded-cassandra");
  EXPECT_EQ(embedded->daemon->endpoints.back().port, 9161);
}

// Tomcat's connectors come from catalina-server.xml: their ports (plus the
// offset) and, when given, the address they bind.
TEST_F(BamTest, TheConsoleConnectorsAreCatalinasWithTheirAddress) {
  Edit("tomcat/catalina-server.xml", "port=\"9763\"", "port=\"9780\" address=\"127.0.0.7\"");
  absl::StatusOr<Invocation> run = Run({"-Ddisable.cassandra.server.startup=true"});
  ASSERT_TRUE(run.ok()) << run.status();
  ASSERT_TRUE(run->daemon.has_value());
  std::map<std::string, std::string> bound;
  for (const Endpoint& e : run->daemon->endpoints) {
    bound[e.name] = absl::StrCat(e.host, ":", e.port);
  }
  EXPECT_EQ(bound["console"], "127.0.0.7:9780");
  EXPECT_EQ(bound["https"], "127.0.0.1:9443");  // no address: the install's --bind-address
  Edit("tomcat/catalina-server.xml", "port=\"9443\"", "port=\"94x3\"");
  absl::StatusOr<Invocation> bad = Run();
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()),
              HasSubstr("tomcat/catalina-server.xml: a <Connector> port \"94x3\" is not a port"));
}

TEST_F(BamTest, RefusesBadOffsetDataSourceWithoutUrlAndUnknownRegistryDataSource) {
  Edit("carbon.xml", "<Offset>0</Offset>", "<Offset>one</Offset>");
  absl::StatusOr<Invocation> offset = Run();
  ASSERT_FALSE(offset.ok());
  EXPECT_THAT(std::string(offset.status().message()),
              HasSubstr(home_ + "/repository/conf/carbon.xml: Ports/Offset: \"one\" is not a port "
                                "offset"));
  Edit("carbon.xml", "<Offset>one</Offset>", "<Offset>0</Offset>");

  Edit("registry.xml", "<dataSource>jdbc/SHARED_DB</dataSource>",
       "<dataSource>jdbc/NOPE</dataSource>");
  absl::StatusOr<Invocation> registry = Run();
  ASSERT_FALSE(registry.ok());
  EXPECT_THAT(
      std::string(registry.status().message()),
      HasSubstr("registry.xml: dbConfig govregistry: data source jdbc/NOPE is not defined"));

  Edit("datasources/master-datasources.xml",
       "<url>jdbc:h2:./repository/database/WSO2SHARED_DB;DB_CLOSE_ON_EXIT=FALSE;LOCK_TIMEOUT="
       "60000</url>",
       "");
  absl::StatusOr<Invocation> url = Run();
  ASSERT_FALSE(url.ok());
  EXPECT_THAT(std::string(url.status().message()),
              HasSubstr("master-datasources.xml: datasource WSO2_SHARED_DB has no <url>"));

  Edit("carbon.xml", "</Server>", "");
  absl::StatusOr<Invocation> malformed = Run();
  ASSERT_FALSE(malformed.ok());
  EXPECT_THAT(std::string(malformed.status().message()),
              HasSubstr(home_ + "/repository/conf/carbon.xml: not well-formed XML"));
}

TEST_F(BamTest, JavaHomeChecksOfWso2ServerSh) {
  absl::StatusOr<Invocation> unset = PrepareBam({"wso2server.sh", home_, "", {}, {}});
  ASSERT_TRUE(unset.ok());
  EXPECT_EQ(unset->exit_code, 1);
  EXPECT_THAT(unset->err, HasSubstr("You must set the JAVA_HOME variable"));
  absl::StatusOr<Invocation> wrong =
      PrepareBam({"wso2server.sh", home_, "", {}, {{"JAVA_HOME", root_}}});
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ(wrong->exit_code, 1);
  EXPECT_THAT(wrong->err, HasSubstr("JAVA_HOME is not defined correctly"));
}

TEST(HttpReplyTest, CarbonRedirectsTheConsoleToHttpsAndHadoopPagesAnswer200) {
  Endpoint carbon{
      "console", "", "127.0.0.1", 9763, Protocol::kHttpCarbon, "https://127.0.0.1:9443"};
  EXPECT_THAT(HttpReply(carbon, "GET /carbon/ HTTP/1.0\r\nHost: x\r\n\r\n"),
              HasSubstr("HTTP/1.1 302 Found\r\nLocation: https://127.0.0.1:9443/carbon/\r\n"));
  EXPECT_THAT(HttpReply(carbon, "GET /other HTTP/1.0\r\n\r\n"), HasSubstr("HTTP/1.1 404"));
  Endpoint web{"web", "", "127.0.0.1", 50070, Protocol::kHttpPage, ""};
  EXPECT_THAT(HttpReply(web, "GET / HTTP/1.0\r\n\r\n"), HasSubstr("HTTP/1.1 200 OK\r\n"));
  EXPECT_THAT(HttpReply(web, "garbage"), HasSubstr("HTTP/1.1 400"));
}

// ---------------------------------------------------------------- real processes

// The seed's node1 on 127.0.0.1 with all four of its node-local Hadoop
// daemons (namenode, jobtracker, datanode, tasktracker) on free ports, and
// BAM at a free offset.
std::vector<std::pair<std::string, std::string>> Node1Edits(const std::vector<uint32_t>& p,
                                                            int bam_offset, int safemode_ms = 500) {
  return {
      {"manage_hosts_file: true", "manage_hosts_file: true\nrender_addresses: true"},
      {"    address: 192.168.4.100\n"
       "    roles: [namenode, jobtracker, bam-receiver, bam-analyzer, bam-dashboard]",
       "    address: 127.0.0.1\n"
       "    roles: [namenode, jobtracker, datanode, tasktracker, bam-receiver, bam-analyzer, "
       "bam-dashboard]"},
      {"  dfs_replication: 1\n",
       absl::StrCat("  dfs_replication: 1\n  namenode_port: ", p[0], "\n  namenode_http_port: ",
                    p[1], "\n  jobtracker_port: ", p[2], "\n  jobtracker_http_port: ", p[3],
                    "\n  datanode_port: ", p[4], "\n  datanode_http_port: ", p[5],
                    "\n  datanode_ipc_port: ", p[6], "\n  tasktracker_http_port: ", p[7],
                    "\n  safemode_extension_ms: ", safemode_ms, "\n")},
      {"  port_offset: 0", absl::StrCat("  port_offset: ", bam_offset)},
  };
}

TEST_F(EmulatorTest, HadoopDaemonsRunFromWhatTheDriversRender) {
  InstallAt(Product::kHadoop, kHadoopHome);
  InstallAt(Product::kBam, kBamHome, "127.0.0.1");
  const std::vector<ServicePlan> services = RenderSeed("node1", Node1Edits(FreePorts(8), 0));
  ASSERT_FALSE(services.empty());
  const ServicePlan& namenode = Service(services, "namenode");

  // The datanode starts first and waits for its namenode before it binds.
  ChildProcess* datanode = StartService(Service(services, "datanode"));
  ASSERT_EQ(namenode.init_steps.size(), 1u);
  const InitStep& format = namenode.init_steps[0];
  ASSERT_EQ(RunToExit(format.argv, format.env, "format"), 0) << Log("format");
  EXPECT_TRUE(fs::exists(format.done_marker));
  EXPECT_FALSE(Healthy(Service(services, "datanode").probes[0]));

  std::vector<ChildProcess*> running = {datanode};
  for (const char* name : {"namenode", "jobtracker", "tasktracker"}) {
    running.push_back(StartService(Service(services, name)));
  }
  for (const char* name : {"namenode", "datanode", "jobtracker", "tasktracker"}) {
    EXPECT_TRUE(ProbesPass(Service(services, name))) << name << ":\n" << Log(name);
  }
  EXPECT_TRUE(fs::exists(root_ + kHadoopHome + "/dfs/data/current/VERSION"));
  for (ChildProcess* child : running) EXPECT_EQ(Terminate(child), 0);
}

// Safe mode as Hadoop 1.x plays it: on at start until dfs.safemode.extension
// has passed (dfshealth.jsp says so, which the driver's probe reads), or
// entered and left with dfsadmin; saveNamespace only in safe mode; and the
// namenode restart's pre-stop commands as the driver renders them.
TEST_F(EmulatorTest, NameNodeSafeModeAndSaveNamespaceAsDfsAdminSeesThem) {
  InstallAt(Product::kHadoop, kHadoopHome);
  InstallAt(Product::kBam, kBamHome, "127.0.0.1");  // node1 renders its BAM too
  const std::vector<ServicePlan> services =
      RenderSeed("node1", Node1Edits(FreePorts(8), 0, /*safemode_ms=*/3000));
  const ServicePlan& namenode = Service(services, "namenode");
  const InitStep& format = namenode.init_steps[0];
  ASSERT_EQ(RunToExit(format.argv, format.env, "format"), 0) << Log("format");
  ChildProcess* child = StartService(namenode);
  ASSERT_TRUE(Eventually([&] { return Healthy(namenode.probes[0]); })) << Log("namenode");
  const Probe& web = namenode.probes[1];
  ASSERT_EQ(web.http_unhealthy_text, "Safe mode is ON");
  ProbeResult starting = RunProbe(web, std::chrono::seconds(1));
  EXPECT_FALSE(starting.healthy);
  EXPECT_THAT(starting.reason, HasSubstr("says \"Safe mode is ON\""));
  EXPECT_TRUE(ProbesPass(namenode)) << Log("namenode");  // after the extension
  EXPECT_THAT(Log("namenode"), HasSubstr("STATE* Safe mode is OFF."));

  const std::string hadoop = root_ + kHadoopHome + "/bin/hadoop";
  auto dfsadmin = [&](std::vector<std::string> args, const std::string& log) {
    args.insert(args.begin(), {hadoop, "dfsadmin"});
    return RunToExit(args, namenode.process.env, log);
  };
  EXPECT_EQ(dfsadmin({"-saveNamespace"}, "save-outside"), 255);
  EXPECT_THAT(Log("save-outside"),
              HasSubstr("saveNamespace: java.io.IOException: Safe mode should be turned ON in "
                        "order to create namespace image."));
  // The restart's pre-stop commands, as the driver renders them.
  ASSERT_EQ(namenode.restart.pre_stop.size(), 2u);
  EXPECT_TRUE(namenode.restart.pre_stop_required);
  EXPECT_EQ(RunToExit(namenode.restart.pre_stop[0], namenode.process.env, "enter"), 0);
  EXPECT_THAT(Log("enter"), HasSubstr("Safe mode is ON"));
  EXPECT_FALSE(Healthy(web));
  const std::string fstime = root_ + kHadoopHome + "/dfs/name/current/fstime";
  fs::remove(fstime);
  EXPECT_EQ(RunToExit(namenode.restart.pre_stop[1], namenode.process.env, "save"), 0)
      << Log("save");
  EXPECT_TRUE(fs::exists(fstime));
  EXPECT_THAT(Log("namenode"), HasSubstr("Saving image file"));
  Write(root_ + kHadoopHome + "/emulator-fault", "namenode:save-fails\n");
  EXPECT_EQ(dfsadmin({"-saveNamespace"}, "save-fails"), 255);
  EXPECT_THAT(Log("save-fails"), HasSubstr("No space left on device"));
  fs::remove(root_ + kHadoopHome + "/emulator-fault");
  // Entered by hand, it stays until left by hand.
  EXPECT_EQ(dfsadmin({"-safemode", "get"}, "get"), 0);
  EXPECT_THAT(Log("get"), HasSubstr("Safe mode is ON"));
  ASSERT_EQ(namenode.restart.pre_stop_undo.size(), 1u);
  EXPECT_EQ(RunToExit(namenode.restart.pre_stop_undo[0], namenode.process.env, "leave"), 0);
  EXPECT_THAT(Log("leave"), HasSubstr("Safe mode is OFF"));
  EXPECT_TRUE(Healthy(web));
  EXPECT_EQ(dfsadmin({"-refreshNodes"}, "usage"), 255);
  EXPECT_EQ(Terminate(child), 0);
  // No namenode: the connection failure, as DFSAdmin words it.
  EXPECT_EQ(dfsadmin({"-safemode", "get"}, "down"), 255);
  EXPECT_THAT(Log("down"), HasSubstr("failed on connection exception"));
}

// A secondary namenode's checkpoints as Hadoop 1.x makes them: the
// namenode refuses one while in safe mode; after it, the merged image lands
// in fs.checkpoint.dir and the namenode rolls its image; the running
// secondary checkpoints every fs.checkpoint.period; and a one-shot
// `-checkpoint force` collides with the running secondary's HTTP port,
// which is why a namenode restart saves the namespace instead.
TEST_F(EmulatorTest, SecondaryNameNodeCheckpointsAsHadoopDoes) {
  const std::string home = InstallAt(Product::kHadoop, kHadoopHome);
  const std::vector<uint32_t> p = FreePorts(3);
  const std::string conf = root_ + "/hadoop-conf";
  Write(conf + "/core-site.xml",
        HadoopConfigXml({{"fs.default.name", absl::StrCat("hdfs://127.0.0.1:", p[0])},
                         {"hadoop.tmp.dir", root_ + "/hadoop-tmp"},
                         {"fs.checkpoint.dir", root_ + "/checkpoint"},
                         {"fs.checkpoint.period", "1"}}));
  Write(conf + "/hdfs-site.xml",
        HadoopConfigXml({{"dfs.name.dir", root_ + "/name"},
                         {"dfs.http.address", absl::StrCat("127.0.0.1:", p[1])},
                         {"dfs.secondary.http.address", absl::StrCat("127.0.0.1:", p[2])},
                         {"dfs.safemode.extension", "1500"}}));
  const std::map<std::string, std::string> env = {{"JAVA_HOME", JavaHome()},
                                                  {"HADOOP_CONF_DIR", conf}};
  const std::string hadoop = home + "/bin/hadoop";
  ASSERT_EQ(RunToExit({hadoop, "namenode", "-format"}, env, "format"), 0) << Log("format");
  ChildProcess* namenode = Start({hadoop, "namenode"}, env, "namenode");
  const Probe rpc{Probe::Kind::kTcp, "rpc", "127.0.0.1", p[0], ""};
  ASSERT_TRUE(Eventually([&] { return Healthy(rpc); })) << Log("namenode");

  const std::vector<std::string> force = {hadoop, "secondarynamenode", "-checkpoint", "force"};
  EXPECT_EQ(RunToExit(force, env, "in-safe-mode"), 255);
  EXPECT_THAT(Log("in-safe-mode"),
              HasSubstr("SafeModeException: Checkpoint not created. Name node is in safe mode."));
  EXPECT_FALSE(fs::exists(root_ + "/checkpoint/current/fsimage"));
  EXPECT_EQ(RunToExit({hadoop, "secondarynamenode", "-checkpoint"}, env, "small"), 0);
  EXPECT_THAT(Log("small"), HasSubstr("Skipping checkpoint."));

  int tries = 0;
  ASSERT_TRUE(Eventually([&] {
    return RunToExit(force, env, absl::StrCat("force", ++tries)) == 0;
  })) << Log(absl::StrCat("force", tries));
  EXPECT_THAT(Log(absl::StrCat("force", tries)), HasSubstr("Checkpoint done. New Image Size:"));
  EXPECT_TRUE(fs::exists(root_ + "/checkpoint/current/fsimage"));
  EXPECT_THAT(Log("namenode"), HasSubstr("Roll FSImage from the secondary namenode"));

  ChildProcess* secondary = Start({hadoop, "secondarynamenode"}, env, "secondary");
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(Log("secondary"), "Checkpoint done. New Image Size:");
  })) << Log("secondary");
  EXPECT_EQ(RunToExit(force, env, "collides"), 255);
  EXPECT_THAT(Log("collides"), HasSubstr("java.net.BindException"));
  EXPECT_EQ(Terminate(secondary), 0);
  EXPECT_EQ(Terminate(namenode), 0);
}

TEST_F(EmulatorTest, BamRunsFromWhatTheDriverRendersAndAnswersItsProbes) {
  InstallAt(Product::kHadoop, kHadoopHome);
  InstallAt(Product::kBam, kBamHome, "127.0.0.1");
  const std::vector<ServicePlan> services =
      RenderSeed("node1", Node1Edits(FreePorts(8), FreeBamOffset()));
  ASSERT_FALSE(services.empty());
  const ServicePlan& bam = Service(services, "bam");
  ChildProcess* child = StartService(bam);
  EXPECT_TRUE(ProbesPass(bam)) << Log("bam");
  for (const Probe& p : bam.probes) {
    if (p.kind == Probe::Kind::kHttp) {
      EXPECT_EQ(RunProbe(p, std::chrono::seconds(1)).reason, "HTTP 302 from /carbon/");
    }
  }
  EXPECT_EQ(Terminate(child), 0) << Log("bam");
}

// The seed's node3 on 127.0.0.1 with free Cassandra ports (its
// directories render under the root, like every host path).
std::vector<std::pair<std::string, std::string>> Node3Edits(const std::string& /*root*/) {
  const std::vector<uint32_t> p = FreePorts(3);
  return {{"manage_hosts_file: true", "manage_hosts_file: true\nrender_addresses: true"},
          {"    address: 192.168.4.102", "    address: 127.0.0.1"},
          {"  rpc_port: 9160",
           absl::StrCat("  rpc_port: ", p[0], "\n  storage_port: ", p[1], "\n  jmx_port: ", p[2])}};
}

TEST_F(EmulatorTest, CassandraRunsFromTheRenderedYamlAndDrains) {
  InstallAt(Product::kHadoop, kHadoopHome);
  InstallAt(Product::kCassandra, kCassandraHome);
  const std::vector<ServicePlan> services = RenderSeed("node3", Node3Edits(root_));
  ASSERT_FALSE(services.empty());
  const ServicePlan& cassandra = Service(services, "cassandra");
  ChildProcess* child = StartService(cassandra);
  EXPECT_TRUE(ProbesPass(cassandra)) << Log("cassandra");
  // Created by Cassandra itself here (the agent creates them on hosts).
  for (const char* dir : {"data", "commitlog", "saved_caches"}) {
    EXPECT_TRUE(fs::is_directory(root_ + "/var/lib/cassandra/" + dir)) << dir;
  }
  // A drain to another port fails as nodetool does; the rendered one
  // reaches the JMX port cassandra-env.sh gave the node, which then stops
  // serving its clients and peers.
  ASSERT_EQ(cassandra.restart.pre_stop.size(), 1u);
  std::vector<std::string> wrong = cassandra.restart.pre_stop[0];
  ASSERT_EQ(wrong.size(), 6u);
  wrong[4] = absl::StrCat(FreePorts(1)[0]);
  EXPECT_EQ(RunToExit(wrong, {}, "wrong-drain"), 1);
  EXPECT_THAT(Log("wrong-drain"), HasSubstr("Failed to connect to '127.0.0.1:" + wrong[4] + "'"));
  EXPECT_TRUE(ProbesPass(cassandra));
  // The peer view as the driver renders it: the ring this node's gossip sees.
  EXPECT_EQ(RunToExit(cassandra.restart.peer_view, {}, "view"), 0) << Log("view");
  absl::StatusOr<std::vector<RingMember>> ring = ParseNodetoolStatus(Log("view"));
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_THAT(*ring, ElementsAre(RingMember{"127.0.0.1", true, 'N'}));
  EXPECT_EQ(RunToExit(cassandra.restart.pre_stop[0], {}, "drain"), 0) << Log("drain");
  EXPECT_THAT(Log("cassandra"), HasSubstr("DRAINED"));
  EXPECT_FALSE(Healthy(cassandra.probes[0]));  // Thrift stopped
  EXPECT_EQ(Terminate(child), 0) << Log("cassandra");
}

// Gossip as `nodetool status` shows it, which is what the agent's peer
// view reads: three nodes on three loopback addresses find each other
// through their seed; a drained node is DOWN for the others at once (it
// announced its shutdown) and UP again once it runs again (a new
// generation).
TEST_F(EmulatorTest, CassandraNodesGossipAndNodetoolStatusShowsEachOnesView) {
  const std::vector<uint32_t> p = FreePorts(3);  // storage, rpc, jmx: every node's
  std::vector<std::string> homes;
  std::vector<ChildProcess*> nodes;
  for (int i = 1; i <= 3; ++i) {
    const std::string address = absl::StrCat("127.0.0.", i);
    homes.push_back(InstallAt(Product::kCassandra, absl::StrCat("/opt/cassandra", i)));
    std::string yaml = CassandraYaml(absl::StrCat(root_, "/", i), p[0], p[1]);
    yaml = absl::StrReplaceAll(
        yaml, {{"listen_address: 127.0.0.1", absl::StrCat("listen_address: ", address)},
               {"rpc_address: 127.0.0.1", absl::StrCat("rpc_address: ", address)}});
    Write(homes.back() + "/conf/cassandra.yaml", yaml);
    Write(homes.back() + "/conf/cassandra-env.sh", absl::StrCat("JMX_PORT=\"", p[2], "\"\n"));
  }
  auto start = [&](int i) {
    return Start({homes[i - 1] + "/bin/cassandra", "-f"}, {{"JAVA_HOME", JavaHome()}},
                 absl::StrCat("cassandra", i));
  };
  int calls = 0;
  // Node i's view of node j: "UN", "DN", or "" when it does not list it.
  auto view = [&](int i, int j) -> std::string {
    const std::string log = absl::StrCat("status", ++calls);
    if (RunToExit({homes[i - 1] + "/bin/nodetool", "-h", absl::StrCat("127.0.0.", i), "-p",
                   absl::StrCat(p[2]), "status"},
                  {}, log) != 0) {
      return "";
    }
    absl::StatusOr<std::vector<RingMember>> ring = ParseNodetoolStatus(Log(log));
    EXPECT_TRUE(ring.ok()) << ring.status() << "\n" << Log(log);
    for (const RingMember& m : ring.ok() ? *ring : std::vector<RingMember>()) {
      if (m.address == absl::StrCat("127.0.0.", j)) return StatusCode(m);
    }
    return "";
  };
  for (int i = 1; i <= 3; ++i) nodes.push_back(start(i));
  for (int i = 1; i <= 3; ++i) {
    for (int j = 1; j <= 3; ++j) {
      EXPECT_TRUE(Eventually([&] { return view(i, j) == "UN"; }))
          << i << " sees " << j << ": " << view(i, j) << "\n"
          << Log(absl::StrCat("cassandra", i));
    }
  }
  EXPECT_THAT(Log("cassandra1"), HasSubstr("InetAddress /127.0.0.2 is now UP"));

  const std::vector<std::string> drain = {homes[1] + "/bin/nodetool", "-h",   "127.0.0.2", "-p",
                                          absl::StrCat(p[2]),         "drain"};
  ASSERT_EQ(RunToExit(drain, {}, "drain"), 0) << Log("drain");
  EXPECT_EQ(view(1, 2), "DN") << "the drain announced the shutdown";
  EXPECT_TRUE(Eventually([&] { return view(3, 2) == "DN"; }));
  EXPECT_THAT(Log("cassandra1"), HasSubstr("InetAddress /127.0.0.2 is now DOWN"));
  EXPECT_EQ(Terminate(nodes[1]), 0);
  nodes[1] = start(2);
  for (int i : {1, 3}) {
    EXPECT_TRUE(Eventually([&] { return view(i, 2) == "UN"; })) << i;
  }
  EXPECT_THAT(Log("cassandra1"), HasSubstr("Node /127.0.0.2 has restarted, now UP"));
  for (ChildProcess* node : nodes) EXPECT_EQ(Terminate(node), 0);
}

// A hand-written Cassandra on 127.0.0.1 (for what the drivers never render).
class CassandraProcessTest : public EmulatorTest {
 protected:
  void SetUp() override {
    EmulatorTest::SetUp();
    home_ = InstallAt(Product::kCassandra, kCassandraHome);
    ports_ = FreePorts(3);
    Write(home_ + "/conf/cassandra.yaml", CassandraYaml(root_, ports_[0], ports_[1]));
    Write(home_ + "/conf/cassandra-env.sh", absl::StrCat("JMX_PORT=\"", ports_[2], "\"\n"));
  }
  ChildProcess* StartCassandra(const std::string& log = "cassandra") {
    return Start({home_ + "/bin/cassandra", "-f"}, {{"JAVA_HOME", JavaHome()}}, log);
  }
  Probe RpcProbe() const { return {Probe::Kind::kTcp, "rpc", "127.0.0.1", ports_[1], ""}; }
  void InjectFaults(absl::string_view text) { Write(home_ + "/emulator-fault", text); }

  std::string home_;
  std::vector<uint32_t> ports_;
};

TEST_F(CassandraProcessTest, BadTokenExitsOneNamingTheKey) {
  const std::string yaml = home_ + "/conf/cassandra.yaml";
  Write(yaml, ReplaceOnce(Read(yaml), "RandomPartitioner\ninitial_token: 0",
                          "Murmur3Partitioner\ninitial_token: "
                          "56713727820156410577229101238628035242"));
  ChildProcess* child = StartCassandra();
  ASSERT_NE(child, nullptr);
  EXPECT_EQ(child->Wait(kWait).value_or(-1), 1);
  EXPECT_THAT(Log("cassandra"), HasSubstr(yaml + ": initial_token: For input string"));
}

TEST_F(CassandraProcessTest, UnformattedNameNodeExitsOne) {
  const std::string hadoop = InstallAt(Product::kHadoop, kHadoopHome);
  Write(hadoop + "/conf/core-site.xml",
        HadoopConfigXml({{"fs.default.name", "hdfs://127.0.0.1:1"}}));
  Write(hadoop + "/conf/hdfs-site.xml", HadoopConfigXml({{"dfs.name.dir", root_ + "/name"}}));
  fs::create_directories(root_ + "/name");
  EXPECT_EQ(
      RunToExit({hadoop + "/bin/hadoop", "namenode"},
                {{"JAVA_HOME", JavaHome()}, {"HADOOP_CONF_DIR", hadoop + "/conf"}}, "namenode"),
      1);
  EXPECT_THAT(Log("namenode"), HasSubstr("NameNode is not formatted."));
}

TEST_F(CassandraProcessTest, SigtermClosesListenersAndExitsZero) {
  ChildProcess* child = StartCassandra();
  ASSERT_TRUE(Eventually([&] { return Healthy(RpcProbe()); })) << Log("cassandra");
  EXPECT_EQ(Terminate(child), 0);
  EXPECT_FALSE(Healthy(RpcProbe()));
}

TEST_F(CassandraProcessTest, ExitAndCrashAtStart) {
  InjectFaults("exit-at-start\n");
  EXPECT_EQ(RunToExit({home_ + "/bin/cassandra", "-f"}, {{"JAVA_HOME", JavaHome()}}, "exit"), 1);
  InjectFaults("crash-at-start\n");
  EXPECT_EQ(RunToExit({home_ + "/bin/cassandra", "-f"}, {{"JAVA_HOME", JavaHome()}}, "crash"),
            128 + SIGABRT);
  // Scoped to another program of the install: cassandra is not affected,
  // nodetool is.
  InjectFaults("nodetool:exit-at-start\n");
  EXPECT_EQ(RunToExit({home_ + "/bin/nodetool", "version"}, {}, "nodetool"), 1);
  ChildProcess* child = StartCassandra();
  EXPECT_TRUE(Eventually([&] { return Healthy(RpcProbe()); })) << Log("cassandra");
  EXPECT_EQ(Terminate(child), 0);
}

TEST_F(CassandraProcessTest, CrashNowWhileRunning) {
  ChildProcess* child = StartCassandra();
  ASSERT_TRUE(Eventually([&] { return Healthy(RpcProbe()); })) << Log("cassandra");
  InjectFaults("cassandra:crash-now\n");
  EXPECT_EQ(child->Wait(kWait).value_or(-1), 128 + SIGKILL);
}

TEST_F(CassandraProcessTest, HangAtStartBindsNothingUntilSigterm) {
  InjectFaults("hang-at-start\n");
  ChildProcess* child = StartCassandra();
  // Its first log line comes after the point where it would have bound.
  ASSERT_TRUE(Eventually([&] { return !Log("cassandra").empty(); }));
  EXPECT_FALSE(Healthy(RpcProbe()));
  EXPECT_EQ(Terminate(child), 0);
}

TEST_F(CassandraProcessTest, IgnoreTermLeavesOnlySigkill) {
  InjectFaults("ignore-term\n");
  ChildProcess* child = StartCassandra();
  ASSERT_TRUE(Eventually([&] { return Healthy(RpcProbe()); })) << Log("cassandra");
  kill(child->pid(), SIGTERM);
  EXPECT_FALSE(child->Wait(std::chrono::seconds(1)).ok());  // still running
  EXPECT_TRUE(Healthy(RpcProbe()));
  kill(child->pid(), SIGKILL);
  EXPECT_EQ(child->Wait(kWait).value_or(-1), 128 + SIGKILL);
}

TEST_F(CassandraProcessTest, UnknownFaultWordIsAnEmulatorError) {
  InjectFaults("explode\n");
  EXPECT_EQ(RunToExit({home_ + "/bin/cassandra", "-f"}, {{"JAVA_HOME", JavaHome()}}, "typo"), 2);
  EXPECT_THAT(Log("typo"), HasSubstr("unknown fault \"explode\""));
}

}  // namespace
}  // namespace bamctl::emulator
