// Hadoop 1.0.4 as bin/hadoop and its daemons show themselves to the agent.

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <system_error>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "tests/emulators/daemon.h"
#include "tests/emulators/product_util.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kVersion = "1.0.4";
constexpr int kDefaultNameNodePort = 8020;  // NameNode.DEFAULT_PORT
// FSConstants.LAYOUT_VERSION of Hadoop 1.0.x, as VERSION files carry it.
constexpr int kLayoutVersion = -32;

// The site files the daemons read, in the order Hadoop adds them (a later
// file overrides an earlier one).
constexpr absl::string_view kSiteFiles[] = {"core-site.xml", "hdfs-site.xml", "mapred-site.xml"};

// A property value and where it came from.
struct Value {
  std::string text;
  std::string origin;  // "FILE: KEY", or "KEY (not set; Hadoop's default "X")"
  bool set = false;
};

class HadoopConf {
 public:
  static absl::StatusOr<HadoopConf> Load(const std::string& conf_dir) {
    HadoopConf conf;
    conf.dir_ = conf_dir;
    for (absl::string_view name : kSiteFiles) {
      const std::string path = absl::StrCat(conf_dir, "/", name);
      ASSIGN_OR_RETURN(std::unique_ptr<pugi::xml_document> doc, LoadXmlFile(path));
      if (doc == nullptr) continue;  // Hadoop skips a site file it cannot find
      pugi::xml_node root = doc->document_element();
      if (std::string_view(root.name()) != "configuration") {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": bad conf file: top-level element not <configuration>"));
      }
      for (pugi::xml_node p = root.child("property"); p; p = p.next_sibling("property")) {
        std::optional<std::string> key = ChildText(p, "name");
        std::optional<std::string> value = ChildText(p, "value");
        if (!key || key->empty() || !value) continue;  // Hadoop ignores such entries too
        conf.values_[*key] = {*value, absl::StrCat(path, ": ", *key), true};
      }
    }
    return conf;
  }

  // `key`'s value, else `fallback`: the value of Hadoop's *-default.xml.
  Value Get(const std::string& key, absl::string_view fallback) const {
    auto it = values_.find(key);
    if (it != values_.end()) return it->second;
    return {std::string(fallback),
            absl::StrCat(key, " (not set in the site files; Hadoop's default \"", fallback, "\")"),
            false};
  }

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::map<std::string, Value> values_;
};

// NetUtils.createSocketAddr: "host:port".
absl::StatusOr<Endpoint> SocketAddress(const HadoopConf& conf, const std::string& key,
                                       absl::string_view fallback, absl::string_view name,
                                       Protocol protocol) {
  const Value v = conf.Get(key, fallback);
  std::vector<std::string> parts = absl::StrSplit(v.text, absl::MaxSplits(':', 1));
  int port = 0;
  if (parts.size() != 2 || parts[0].empty() || !absl::SimpleAtoi(parts[1], &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(v.origin, ": Not a host:port pair: ", v.text,
                                                   " (want HOST:PORT, e.g. 10.0.0.1:50070)"));
  }
  return Endpoint{std::string(name), v.origin, parts[0], port, protocol, ""};
}

// NameNode.getAddress(conf): the authority of fs.default.name, which must be
// an hdfs:// URI (FileSystem.fixName turns a bare "host:port" into one).
absl::StatusOr<Endpoint> NameNodeAddress(const HadoopConf& conf) {
  const Value v = conf.Get("fs.default.name", "file:///");
  std::string uri = v.text;
  if (uri == "local") uri = "file:///";
  if (!absl::StrContains(uri, '/')) uri = absl::StrCat("hdfs://", uri, "/");
  auto invalid = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        v.origin, ": Invalid URI for NameNode address (check fs.default.name): ", v.text, " ", why,
        " (want hdfs://HOST:PORT)"));
  };
  std::pair<std::string, std::string> scheme_rest = absl::StrSplit(uri, absl::MaxSplits(':', 1));
  if (!absl::EqualsIgnoreCase(scheme_rest.first, "hdfs")) {
    return invalid("is not of scheme 'hdfs'.");
  }
  absl::string_view rest = scheme_rest.second;
  if (!absl::ConsumePrefix(&rest, "//")) return invalid("has no authority.");
  const std::string authority(rest.substr(0, rest.find('/')));
  if (authority.empty()) return invalid("has no authority.");
  std::pair<std::string, std::string> host_port =
      absl::StrSplit(authority, absl::MaxSplits(':', 1));
  int port = kDefaultNameNodePort;
  if (!host_port.second.empty() &&
      (!absl::SimpleAtoi(host_port.second, &port) || port < 0 || port > 65535)) {
    return invalid(absl::StrCat("has an invalid port \"", host_port.second, "\"."));
  }
  return Endpoint{"rpc", v.origin, host_port.first, port, Protocol::kTcp, ""};
}

// The comma-separated directories of `key`. bam-emulator requires the key
// where Hadoop would fall back to ${hadoop.tmp.dir}: the driver always
// writes it, so its absence is a bug to show, not a default to hide.
absl::StatusOr<std::vector<std::string>> Dirs(const HadoopConf& conf, const std::string& key,
                                              absl::string_view hadoop_default) {
  const Value v = conf.Get(key, "");
  std::vector<std::string> dirs;
  for (absl::string_view d : absl::StrSplit(v.text, ',')) {
    d = absl::StripAsciiWhitespace(d);
    if (!d.empty()) dirs.emplace_back(d);
  }
  if (dirs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(conf.dir(), "/hdfs-site.xml: ", key,
                     " is not set; bam-emulator requires it where Hadoop would use ",
                     hadoop_default, " (want a comma-separated list of absolute directories)"));
  }
  return dirs;
}

std::string VersionFile(absl::string_view storage_type, int64_t namespace_id,
                        absl::string_view extra) {
  return absl::StrCat(
      "#", absl::FormatTime("%a %b %d %H:%M:%S UTC %Y", absl::Now(), absl::UTCTimeZone()),
      "\nnamespaceID=", namespace_id, "\n", extra, "cTime=0\nstorageType=", storage_type,
      "\nlayoutVersion=", kLayoutVersion, "\n");
}

// `hadoop namenode -format` (NameNode.format): asks before it reformats an
// existing directory and aborts with status 1 unless the answer is Y.
absl::StatusOr<Invocation> Format(const HadoopConf& conf, std::istream& in) {
  ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                   Dirs(conf, "dfs.name.dir", "${hadoop.tmp.dir}/dfs/name"));
  Invocation result;
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::exists(dir, ec)) continue;
    absl::StrAppend(&result.err, "Re-format filesystem in ", dir, " ? (Y or N) ");
    std::string answer;
    std::getline(in, answer);
    if (!absl::StartsWith(answer, "Y")) {
      absl::StrAppend(&result.err, "\nFormat aborted in ", dir, "\n");
      result.exit_code = 1;
      return result;
    }
  }
  std::random_device random;
  const int64_t namespace_id = std::uniform_int_distribution<int32_t>(1)(random);
  const std::string version = VersionFile("NAME_NODE", namespace_id, "");
  for (const std::string& dir : dirs) {
    // Storage.clearDirectory: current/ is replaced; the rest of the tree is kept.
    std::error_code ec;
    fs::remove_all(fs::path(dir) / "current", ec);
    for (absl::string_view file : {"fsimage", "edits", "fstime"}) {
      RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/current/", file), "", 0644));
    }
    RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/image/fsimage"), "", 0644));
    // VERSION last: its presence is what "formatted" means (the agent's done marker).
    RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/current/VERSION"), version, 0644));
    absl::StrAppend(&result.out, "INFO common.Storage: Storage directory ", dir,
                    " has been successfully formatted.\n");
  }
  return result;
}

// FSImage.recoverTransitionRead: every name dir must exist and be formatted.
absl::Status CheckNameDirs(const std::vector<std::string>& dirs) {
  for (const std::string& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("InconsistentFSStateException: Directory ", dir,
                       " is in an inconsistent state: storage directory does not exist or is not "
                       "accessible. (dfs.name.dir; run `hadoop namenode -format` first)"));
    }
    if (!fs::exists(fs::path(dir) / "current" / "VERSION", ec)) {
      return absl::FailedPreconditionError(
          absl::StrCat("java.io.IOException: NameNode is not formatted. (", dir,
                       "/current/VERSION is missing; run `hadoop namenode -format` first)"));
    }
  }
  return absl::OkStatus();
}

// The directory a daemon keeps under hadoop.tmp.dir unless `key` names one.
std::optional<std::string> WorkDir(const HadoopConf& conf, const std::string& key,
                                   absl::string_view under_tmp) {
  Value v = conf.Get(key, "");
  if (v.set && !v.text.empty()) {
    std::vector<std::string> dirs = absl::StrSplit(v.text, ',');
    return std::string(absl::StripAsciiWhitespace(dirs.front()));
  }
  Value tmp = conf.Get("hadoop.tmp.dir", "");
  if (!tmp.set) return std::nullopt;  // the default names the user; skip it
  return absl::StrCat(tmp.text, "/", under_tmp);
}

// fs.checkpoint.period: seconds between checkpoints.
absl::StatusOr<int64_t> CheckpointPeriod(const HadoopConf& conf) {
  const Value period = conf.Get("fs.checkpoint.period", "3600");
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(period.text, &seconds) || seconds < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(period.origin, ": \"", period.text, "\" is not a number of seconds"));
  }
  return seconds;
}

absl::StatusOr<DaemonPlan> Daemon(const std::string& command, const HadoopConf& conf) {
  DaemonPlan plan;
  plan.product = Product::kHadoop;
  std::string class_name;
  if (command == "namenode") {
    plan.source = "namenode.NameNode";
    class_name = "NameNode";
    ASSIGN_OR_RETURN(Endpoint rpc, NameNodeAddress(conf));
    ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                     Dirs(conf, "dfs.name.dir", "${hadoop.tmp.dir}/dfs/name"));
    RETURN_IF_ERROR(CheckNameDirs(dirs));
    ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "dfs.http.address", "0.0.0.0:50070", "web",
                                                 Protocol::kHttpPage));
    rpc.protocol = Protocol::kNameNodeRpc;  // dfsadmin's commands
    plan.endpoints = {rpc, web};
    const Value extension = conf.Get("dfs.safemode.extension", "30000");
    DaemonPlan::SafeMode safe_mode;
    if (!absl::SimpleAtoi(extension.text, &safe_mode.extension_ms) || safe_mode.extension_ms < 0) {
      return absl::InvalidArgumentError(absl::StrCat(extension.origin, ": \"", extension.text,
                                                     "\" is not a number of milliseconds"));
    }
    safe_mode.name_dirs = dirs;
    plan.safe_mode = std::move(safe_mode);
  } else if (command == "secondarynamenode") {
    plan.source = "namenode.SecondaryNameNode";
    class_name = "SecondaryNameNode";
    ASSIGN_OR_RETURN(Endpoint namenode, NameNodeAddress(conf));
    plan.wait_for = {namenode};
    ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "dfs.secondary.http.address",
                                                 "0.0.0.0:50090", "web", Protocol::kHttpPage));
    plan.endpoints = {web};
    if (auto dir = WorkDir(conf, "fs.checkpoint.dir", "dfs/namesecondary")) {
      plan.make_dirs.push_back(*dir);
      ASSIGN_OR_RETURN(int64_t period, CheckpointPeriod(conf));
      plan.checkpoints = DaemonPlan::Checkpoints{namenode, *dir, period};
    }
  } else if (command == "jobtracker") {
    plan.source = "mapred.JobTracker";
    class_name = "JobTracker";
    ASSIGN_OR_RETURN(Endpoint rpc,
                     SocketAddress(conf, "mapred.job.tracker", "local", "rpc", Protocol::kTcp));
    ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "mapred.job.tracker.http.address",
                                                 "0.0.0.0:50030", "web", Protocol::kHttpPage));
    plan.endpoints = {rpc, web};
  } else if (command == "datanode") {
    plan.source = "datanode.DataNode";
    class_name = "DataNode";
    // DataNode.startDataNode: the namenode handshake comes before storage
    // and sockets, so a datanode binds nothing until its namenode answers.
    ASSIGN_OR_RETURN(Endpoint namenode, NameNodeAddress(conf));
    plan.wait_for = {namenode};
    ASSIGN_OR_RETURN(std::vector<std::string> dirs,
                     Dirs(conf, "dfs.data.dir", "${hadoop.tmp.dir}/dfs/data"));
    for (const std::string& dir : dirs) {
      plan.make_dirs.push_back(dir + "/current");
      // The namespaceID would come from the namenode's handshake, which
      // this emulation does not speak.
      plan.write_if_missing.emplace_back(
          dir + "/current/VERSION",
          VersionFile("DATA_NODE", 0, absl::StrCat("storageID=DS-emulated-", dir, "\n")));
    }
    ASSIGN_OR_RETURN(Endpoint data, SocketAddress(conf, "dfs.datanode.address", "0.0.0.0:50010",
                                                  "data", Protocol::kTcp));
    ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "dfs.datanode.http.address", "0.0.0.0:50075",
                                                 "web", Protocol::kHttpPage));
    ASSIGN_OR_RETURN(Endpoint ipc, SocketAddress(conf, "dfs.datanode.ipc.address", "0.0.0.0:50020",
                                                 "ipc", Protocol::kTcp));
    plan.endpoints = {data, web, ipc};
  } else {  // tasktracker
    plan.source = "mapred.TaskTracker";
    class_name = "TaskTracker";
    ASSIGN_OR_RETURN(Endpoint jobtracker, SocketAddress(conf, "mapred.job.tracker", "local",
                                                        "jobtracker", Protocol::kTcp));
    (void)jobtracker;  // checked only: its wait for the jobtracker is not modelled
    ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "mapred.task.tracker.http.address",
                                                 "0.0.0.0:50060", "web", Protocol::kHttpPage));
    plan.endpoints = {web};
    if (auto dir = WorkDir(conf, "mapred.local.dir", "mapred/local")) {
      plan.make_dirs.push_back(*dir);
    }
  }
  plan.startup_log = {
      absl::StrCat("STARTUP_MSG: Starting ", class_name),
      absl::StrCat("STARTUP_MSG:   version = ", kVersion, " (emulated by bam-emulator)")};
  plan.shutdown_log = absl::StrCat("SHUTDOWN_MSG: Shutting down ", class_name);
  return plan;
}

// bin/hadoop sources hadoop-env.sh, whose JAVA_HOME wins over the
// environment's, and then runs $JAVA_HOME/bin/java.
absl::StatusOr<std::optional<Invocation>> CheckJava(const RunRequest& r,
                                                    const std::string& conf_dir) {
  std::string java_home = EnvOr(r.env, "JAVA_HOME", "");
  ASSIGN_OR_RETURN(std::optional<std::string> env_sh,
                   ReadFileIfExists(conf_dir + "/hadoop-env.sh"));
  for (absl::string_view line : absl::StrSplit(env_sh.value_or(""), '\n')) {
    line = absl::StripAsciiWhitespace(line);
    if (absl::ConsumePrefix(&line, "export JAVA_HOME=")) {
      java_home = std::string(absl::StripSuffix(absl::StripPrefix(line, "\""), "\""));
    }
  }
  if (java_home.empty()) return absl::FailedPreconditionError("Error: JAVA_HOME is not set.");
  const std::string java = java_home + "/bin/java";
  if (IsExecutable(java)) return std::nullopt;
  Invocation failed;
  failed.err =
      absl::StrCat(r.home, "/bin/hadoop: line 320: ", java, ": No such file or directory\n");
  failed.exit_code = 127;  // the shell's "command not found"
  return failed;
}

constexpr absl::string_view kDfsAdminUsage =
    "Usage: java DFSAdmin\n"
    "           [-safemode enter | leave | get | wait]\n"
    "           [-saveNamespace]\n"
    "           (emulated by bam-emulator: these only)\n";

// `hadoop dfsadmin ...`: one command to the namenode's RPC port
// (fs.default.name), answered as DFSAdmin prints it; exit 255 (its -1) on
// any failure.
absl::StatusOr<Invocation> DfsAdmin(const HadoopConf& conf, const std::vector<std::string>& args) {
  std::string command;
  std::string name;  // as DFSAdmin prefixes its errors
  if (args.size() == 2 && args[0] == "-safemode" &&
      (args[1] == "enter" || args[1] == "leave" || args[1] == "get" || args[1] == "wait")) {
    command = absl::StrCat("safemode ", args[1] == "wait" ? "get" : args[1]);
    name = "safemode";
  } else if (args.size() == 1 && args[0] == "-saveNamespace") {
    command = "saveNamespace";
    name = "saveNamespace";
  } else {
    return Invocation{"", std::string(kDfsAdminUsage), 255, std::nullopt};
  }
  ASSIGN_OR_RETURN(Endpoint namenode, NameNodeAddress(conf));
  while (true) {
    absl::StatusOr<std::string> answer =
        TcpRequest(namenode.host, namenode.port, command + "\n", std::chrono::seconds(60));
    if (!answer.ok()) {
      return Invocation{"",
                        absl::StrCat(name, ": Call to ", namenode.host, ":", namenode.port,
                                     " failed on connection exception: java.net.ConnectException: ",
                                     answer.status().message(), "\n"),
                        255, std::nullopt};
    }
    const std::string line(absl::StripAsciiWhitespace(*answer));
    absl::string_view error = line;
    if (absl::ConsumePrefix(&error, "error ")) {
      return Invocation{"", absl::StrCat(name, ": ", error, "\n"), 255, std::nullopt};
    }
    // -safemode wait polls until the namenode has left safe mode.
    if (args[0] == "-safemode" && args[1] == "wait" && line == "Safe mode is ON") {
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    return Invocation{line == "ok" ? "" : line + "\n", "", 0, std::nullopt};
  }
}

// `hadoop secondarynamenode -checkpoint [force]`: one checkpoint, then
// exit. SecondaryNameNode starts its HTTP server first, so it fails while
// the secondary daemon holds dfs.secondary.http.address; without `force`
// it checkpoints only when the edit log has reached fs.checkpoint.size,
// which the emulated one never does.
absl::StatusOr<Invocation> CheckpointNow(const HadoopConf& conf, bool force) {
  ASSIGN_OR_RETURN(Endpoint namenode, NameNodeAddress(conf));
  ASSIGN_OR_RETURN(Endpoint web, SocketAddress(conf, "dfs.secondary.http.address", "0.0.0.0:50090",
                                               "web", Protocol::kHttpPage));
  absl::StatusOr<int> bound = BindListener(web);
  if (!bound.ok()) {
    return Invocation{"", absl::StrCat(bound.status().message(), "\n"), 255, std::nullopt};
  }
  close(*bound);
  const std::optional<std::string> dir = WorkDir(conf, "fs.checkpoint.dir", "dfs/namesecondary");
  if (!dir.has_value()) {
    return Invocation{"", "fs.checkpoint.dir: not set and hadoop.tmp.dir unknown\n", 255,
                      std::nullopt};
  }
  if (!force) {
    return Invocation{
        "EditLog size 4 bytes is smaller than configured checkpoint size 67108864 "
        "bytes.\nSkipping checkpoint.\n",
        "", 0, std::nullopt};
  }
  absl::StatusOr<std::vector<std::string>> done = Checkpoint(namenode, *dir);
  if (!done.ok()) {
    return Invocation{"",
                      absl::StrCat("Exception in doCheckpoint: ", done.status().message(), "\n"),
                      255, std::nullopt};
  }
  return Invocation{absl::StrCat(absl::StrJoin(*done, "\n"), "\n"), "", 0, std::nullopt};
}

constexpr absl::string_view kUsage =
    "Usage: hadoop [--config confdir] COMMAND\n"
    "where COMMAND is one of: namenode -format | namenode | secondarynamenode | datanode |\n"
    "  jobtracker | tasktracker | dfsadmin | version   (emulated by bam-emulator)\n";

}  // namespace

absl::StatusOr<std::vector<std::string>> Checkpoint(const Endpoint& namenode,
                                                    const std::string& dir) {
  auto call = [&](const char* command) -> absl::Status {
    absl::StatusOr<std::string> answer = TcpRequest(
        namenode.host, namenode.port, absl::StrCat(command, "\n"), std::chrono::seconds(60));
    if (!answer.ok()) {
      return absl::UnavailableError(
          absl::StrCat("java.net.ConnectException: Call to ", namenode.host, ":", namenode.port,
                       " failed on connection exception: ", answer.status().message()));
    }
    absl::string_view line = absl::StripAsciiWhitespace(*answer);
    if (absl::ConsumePrefix(&line, "error ")) return absl::FailedPreconditionError(line);
    if (line != "ok") {
      return absl::InternalError(absl::StrCat("unexpected answer to ", command, ": ", line));
    }
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(call("rollEditLog"));
  std::vector<std::string> lines = {"Downloaded file fsimage size 112 bytes.",
                                    "Downloaded file edits size 4 bytes."};
  // The merged image, as FSImage.saveNamespace writes it in the checkpoint
  // directory.
  RETURN_IF_ERROR(MakeDirs(dir + "/current", 0755));
  RETURN_IF_ERROR(WriteFileAtomically(dir + "/current/fsimage", "emulated fsimage\n", 0644));
  RETURN_IF_ERROR(WriteFileAtomically(dir + "/current/fstime",
                                      absl::StrCat(absl::ToUnixMillis(absl::Now()), "\n"), 0644));
  lines.push_back(absl::StrCat("Posted URL ", namenode.host, ":", namenode.port,
                               "putimage=1&port=50090&machine=emulated&token=-18:0:0:0"));
  RETURN_IF_ERROR(call("rollFSImage"));
  lines.push_back("Checkpoint done. New Image Size: 112");
  return lines;
}

absl::StatusOr<Invocation> PrepareHadoop(const RunRequest& r, std::istream& in) {
  std::vector<std::string> args = r.args;
  std::string conf_dir = EnvOr(r.env, "HADOOP_CONF_DIR", r.home + "/conf");
  if (args.size() >= 2 && args[0] == "--config") {
    conf_dir = args[1];
    args.erase(args.begin(), args.begin() + 2);
  }
  if (args.empty()) return Invocation{"", std::string(kUsage), 1, std::nullopt};
  const std::string& command = args[0];
  if (command == "version") {
    return Invocation{absl::StrCat("Hadoop ", kVersion, " (emulated by bam-emulator)\n"), "", 0,
                      std::nullopt};
  }
  static constexpr absl::string_view kDaemons[] = {"namenode", "secondarynamenode", "jobtracker",
                                                   "datanode", "tasktracker"};
  if (command == "dfsadmin") {
    ASSIGN_OR_RETURN(std::optional<Invocation> no_java, CheckJava(r, conf_dir));
    if (no_java) return *std::move(no_java);
    ASSIGN_OR_RETURN(HadoopConf conf, HadoopConf::Load(conf_dir));
    return DfsAdmin(conf, std::vector<std::string>(args.begin() + 1, args.end()));
  }
  if (std::find(std::begin(kDaemons), std::end(kDaemons), command) == std::end(kDaemons)) {
    return Invocation{"", absl::StrCat("Could not find the main class: ", command, "\n", kUsage), 1,
                      std::nullopt};
  }
  ASSIGN_OR_RETURN(std::optional<Invocation> java_failed, CheckJava(r, conf_dir));
  if (java_failed) return *std::move(java_failed);
  ASSIGN_OR_RETURN(HadoopConf conf, HadoopConf::Load(conf_dir));
  const std::vector<std::string> options(args.begin() + 1, args.end());
  if (command == "namenode" && options == std::vector<std::string>{"-format"}) {
    return Format(conf, in);
  }
  if (command == "secondarynamenode" && !options.empty() && options[0] == "-checkpoint" &&
      (options.size() == 1 || (options.size() == 2 && options[1] == "force"))) {
    return CheckpointNow(conf, options.size() == 2);
  }
  if (!options.empty()) {
    return Invocation{"",
                      absl::StrCat("Usage: java ", command,
                                   " (options not emulated: ", absl::StrJoin(options, " "), ")\n"),
                      1, std::nullopt};
  }
  ASSIGN_OR_RETURN(DaemonPlan plan, Daemon(command, conf));
  Invocation run;
  run.daemon = std::move(plan);
  return run;
}

}  // namespace bamctl::emulator
