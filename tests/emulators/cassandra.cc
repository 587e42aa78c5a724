// Cassandra 1.2 as bin/cassandra, its cassandra.yaml checks
// (DatabaseDescriptor) and bin/nodetool show themselves to the agent.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <system_error>
#include <utility>
#include <vector>

#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/net_util.h"
#include "common/status_macros.h"
#include "tests/emulators/product_util.h"
#include "tests/emulators/products.h"
#include "yaml-cpp/yaml.h"

namespace bamctl::emulator {
namespace {

namespace fs = std::filesystem;

constexpr absl::string_view kVersion = "1.2.13";
constexpr absl::string_view kDhtPackage = "org.apache.cassandra.dht.";

// DatabaseDescriptor's refusal, as bin/cassandra prints it, naming the file.
absl::Status Fatal(const std::string& file, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(
      file, ": ", message,
      "\nFatal configuration error; unable to start server.  See log for stacktrace."));
}

// The scalar at `key` of the top-level map; nullopt when absent or null.
std::optional<std::string> Scalar(const YAML::Node& root, const char* key) {
  YAML::Node node = root[key];
  if (!node.IsDefined() || node.IsNull() || !node.IsScalar()) return std::nullopt;
  return node.Scalar();
}

enum class Parsed { kOk, kNotANumber, kTooLarge };

// Java's BigInteger/Long parsing: an optional sign and decimal digits whose
// magnitude must not exceed `limit`.
Parsed ParseSigned(absl::string_view text, absl::uint128 limit, bool* negative,
                   absl::uint128* magnitude) {
  *negative = absl::ConsumePrefix(&text, "-");
  if (!*negative) absl::ConsumePrefix(&text, "+");
  if (text.empty() || !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
    return Parsed::kNotANumber;
  }
  absl::uint128 value = 0;
  for (char c : text) {
    const unsigned digit = c - '0';
    if (value > (limit - digit) / 10) return Parsed::kTooLarge;
    value = value * 10 + digit;
  }
  *magnitude = value;
  return Parsed::kOk;
}

// TokenFactory.validate of each partitioner Cassandra 1.2 ships.
absl::Status CheckToken(absl::string_view partitioner, absl::string_view token) {
  const std::string quoted = absl::StrCat("\"", token, "\"");
  bool negative = false;
  absl::uint128 value = 0;
  if (partitioner == "RandomPartitioner") {
    switch (ParseSigned(token, absl::uint128(1) << 127, &negative, &value)) {
      case Parsed::kNotANumber:
        return absl::InvalidArgumentError(absl::StrCat(
            "For input string: ", quoted, " (RandomPartitioner tokens are integers 0 to 2**127)"));
      case Parsed::kTooLarge:
        break;
      case Parsed::kOk:
        if (!negative || value == 0) return absl::OkStatus();
    }
    return absl::InvalidArgumentError(
        absl::StrCat("Token must be >= 0 and <= 2**127 (RandomPartitioner), got ", token));
  }
  if (partitioner == "Murmur3Partitioner") {
    const absl::uint128 limit = absl::uint128(1) << 63;  // |Long.MIN_VALUE|
    if (ParseSigned(token, limit, &negative, &value) != Parsed::kOk ||
        (!negative && value == limit)) {
      return absl::InvalidArgumentError(
          absl::StrCat("For input string: ", quoted,
                       " (Murmur3Partitioner tokens are integers -9223372036854775808 to "
                       "9223372036854775807)"));
    }
    return absl::OkStatus();
  }
  if (partitioner == "ByteOrderedPartitioner") {
    if (token.size() % 2 != 0 || !std::all_of(token.begin(), token.end(), absl::ascii_isxdigit)) {
      return absl::InvalidArgumentError(
          absl::StrCat("Token ", quoted,
                       " contains non-hex digits or has an odd length "
                       "(ByteOrderedPartitioner tokens are hex bytes)"));
    }
  }
  return absl::OkStatus();  // OrderPreservingPartitioner: any string
}

absl::StatusOr<int> Port(const YAML::Node& root, const char* key, int fallback,
                         const std::string& file) {
  std::optional<std::string> text = Scalar(root, key);
  if (!text) return fallback;
  int port = 0;
  if (!absl::SimpleAtoi(*text, &port) || port < 0 || port > 65535) {
    return Fatal(file, absl::StrCat(key, ": \"", *text, "\" is not a port (0-65535)"));
  }
  return port;
}

bool IsTrue(const YAML::Node& root, const char* key, bool fallback) {
  std::optional<std::string> text = Scalar(root, key);
  return text ? absl::AsciiStrToLower(*text) == "true" : fallback;
}

absl::StatusOr<YAML::Node> LoadYaml(const std::string& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return Fatal(file, "Cannot locate cassandra.yaml");
  try {
    YAML::Node root = YAML::LoadFile(file);
    if (!root.IsMap()) return Fatal(file, "Invalid yaml: the document is not a map");
    return root;
  } catch (const YAML::Exception& e) {
    return Fatal(file, absl::StrCat("Invalid yaml: ", e.what()));
  }
}

std::string YamlPath(const RunRequest& r) {
  return EnvOr(r.env, "CASSANDRA_CONF", r.home + "/conf") + "/cassandra.yaml";
}

// What bin/cassandra takes from the cassandra-env.sh it sources: the
// assignments that start a line (NAME=VALUE, NAME="VALUE"), later ones
// winning; the file's shell logic is not run. Empty when there is no file
// (bin/cassandra sources it only when present).
absl::StatusOr<std::map<std::string, std::string>> ReadCassandraEnv(const RunRequest& r,
                                                                    std::string* file) {
  *file = EnvOr(r.env, "CASSANDRA_CONF", r.home + "/conf") + "/cassandra-env.sh";
  std::map<std::string, std::string> vars;
  std::error_code ec;
  if (!fs::exists(*file, ec)) return vars;
  std::ifstream in(*file);
  if (!in) return absl::NotFoundError(absl::StrCat(*file, ": cannot be read"));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    const std::string name = line.substr(0, eq);
    if (!std::all_of(name.begin(), name.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; })) {
      continue;  // not an assignment at the start of the line
    }
    absl::string_view value = absl::StripAsciiWhitespace(absl::string_view(line).substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
      value = value.substr(1, value.size() - 2);
    }
    vars[name] = std::string(value);
  }
  return vars;
}

// A heap size as the JVM's -Xmx/-Xmn take it: digits and an optional unit.
bool IsJvmSize(absl::string_view size) {
  absl::string_view digits = size;
  if (!digits.empty() && absl::StrContains("kKmMgG", digits.back())) digits.remove_suffix(1);
  return !digits.empty() && std::all_of(digits.begin(), digits.end(), absl::ascii_isdigit);
}

// A directory key of cassandra.yaml as Java resolves it (relative to the
// working directory).
std::string Absolute(const std::string& dir) {
  std::error_code ec;
  fs::path abs = fs::absolute(dir, ec);
  return ec ? dir : abs.lexically_normal().string();
}

absl::StatusOr<DaemonPlan> LoadDaemon(const std::string& file) {
  ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(file));
  DaemonPlan plan;
  plan.product = Product::kCassandra;
  plan.source = "CassandraDaemon";

  // Stricter than Cassandra, which would call the cluster "Test Cluster":
  // the driver owns the key, so a missing one is a driver bug.
  std::optional<std::string> cluster = Scalar(root, "cluster_name");
  if (!cluster || cluster->empty()) {
    return Fatal(file, "cluster_name is missing (the ring's name, e.g. 'Test Cluster')");
  }

  std::optional<std::string> partitioner_class = Scalar(root, "partitioner");
  if (!partitioner_class || partitioner_class->empty()) {
    return Fatal(file, "Missing directive: partitioner");
  }
  absl::string_view partitioner = *partitioner_class;
  if (absl::StrContains(partitioner, '.') && !absl::ConsumePrefix(&partitioner, kDhtPackage)) {
    partitioner = "";
  }
  if (partitioner != "RandomPartitioner" && partitioner != "Murmur3Partitioner" &&
      partitioner != "ByteOrderedPartitioner" && partitioner != "OrderPreservingPartitioner") {
    return Fatal(file, absl::StrCat("Invalid partitioner class ", *partitioner_class,
                                    " (valid: org.apache.cassandra.dht.RandomPartitioner, "
                                    "Murmur3Partitioner, ByteOrderedPartitioner, "
                                    "OrderPreservingPartitioner)"));
  }
  const std::string token = Scalar(root, "initial_token").value_or("");
  for (absl::string_view t : absl::StrSplit(token, ',', absl::SkipWhitespace())) {
    absl::Status valid = CheckToken(partitioner, absl::StripAsciiWhitespace(t));
    if (!valid.ok()) return Fatal(file, absl::StrCat("initial_token: ", valid.message()));
  }

  // Stricter than Cassandra, which would take the host name's address.
  std::optional<std::string> listen = Scalar(root, "listen_address");
  if (!listen || listen->empty()) {
    return Fatal(file, "listen_address is missing (this node's address for the other nodes)");
  }
  absl::StatusOr<std::string> listen_ip = ResolveIPv4(*listen);
  if (!listen_ip.ok()) return Fatal(file, absl::StrCat("Unknown listen_address '", *listen, "'"));
  if (*listen_ip == "0.0.0.0") return Fatal(file, "listen_address cannot be 0.0.0.0!");
  std::optional<std::string> rpc = Scalar(root, "rpc_address");
  if (!rpc || rpc->empty()) {
    return Fatal(file, "rpc_address is missing (the address Thrift clients connect to)");
  }
  if (!ResolveIPv4(*rpc).ok()) {
    return Fatal(file, absl::StrCat("Unknown host in rpc_address ", *rpc));
  }

  // SimpleSeedProvider: seed_provider[0].parameters[0].seeds, comma-separated.
  std::string seeds_text;
  try {
    YAML::Node seeds = root["seed_provider"][0]["parameters"][0]["seeds"];
    if (seeds.IsDefined() && seeds.IsScalar()) seeds_text = seeds.Scalar();
  } catch (const YAML::Exception&) {
    // the shape is wrong: no seeds, reported below
  }
  DaemonPlan::Gossip gossip;
  gossip.cluster_name = *cluster;
  gossip.address = *listen_ip;
  for (absl::string_view seed : absl::StrSplit(seeds_text, ',', absl::SkipWhitespace())) {
    seed = absl::StripAsciiWhitespace(seed);
    if (absl::StatusOr<std::string> ip = ResolveIPv4(seed); ip.ok()) {
      gossip.seeds.push_back(*ip);
    } else {
      plan.startup_log.push_back(absl::StrCat("WARN Seed provider couldn't lookup host ", seed));
    }
  }
  if (gossip.seeds.empty()) {
    return Fatal(file,
                 "The seed provider lists no seeds. (seed_provider: - parameters: - seeds: "
                 "\"ADDRESS,...\")");
  }

  std::optional<std::string> commitlog = Scalar(root, "commitlog_directory");
  std::optional<std::string> caches = Scalar(root, "saved_caches_directory");
  std::vector<std::string> data;
  if (root["data_file_directories"].IsSequence()) {
    for (const YAML::Node& d : root["data_file_directories"]) {
      if (d.IsScalar() && !d.Scalar().empty()) data.push_back(Absolute(d.Scalar()));
    }
  }
  if (!commitlog || commitlog->empty()) return Fatal(file, "commitlog_directory missing");
  if (data.empty()) {
    return Fatal(file,
                 "data_file_directories missing; at least one data directory must be specified");
  }
  if (!caches || caches->empty()) return Fatal(file, "saved_caches_directory missing");
  for (const std::string& d : data) {
    if (d == Absolute(*commitlog)) {
      return Fatal(file, "commitlog_directory must not be the same as any data_file_directories");
    }
  }
  plan.make_dirs = data;
  plan.make_dirs.push_back(Absolute(*commitlog));
  plan.make_dirs.push_back(Absolute(*caches));

  ASSIGN_OR_RETURN(int storage_port, Port(root, "storage_port", 7000, file));
  ASSIGN_OR_RETURN(int rpc_port, Port(root, "rpc_port", 9160, file));
  ASSIGN_OR_RETURN(int native_port, Port(root, "native_transport_port", 9042, file));
  plan.endpoints.push_back({"storage", file + ": listen_address, storage_port", *listen,
                            storage_port, Protocol::kGossip, ""});
  gossip.port = storage_port;
  if (std::optional<std::string> phi = Scalar(root, "phi_convict_threshold")) {
    // DatabaseDescriptor: 5 to 16.
    if (!absl::SimpleAtod(*phi, &gossip.phi_convict_threshold) ||
        gossip.phi_convict_threshold < 5 || gossip.phi_convict_threshold > 16) {
      return Fatal(file, "phi_convict_threshold must be between 5 and 16");
    }
  }
  plan.gossip = std::move(gossip);
  if (IsTrue(root, "start_rpc", true)) {
    plan.endpoints.push_back(
        {"rpc", file + ": rpc_address, rpc_port", *rpc, rpc_port, Protocol::kTcp, ""});
  }
  if (IsTrue(root, "start_native_transport", false)) {
    plan.endpoints.push_back({"native", file + ": rpc_address, native_transport_port", *rpc,
                              native_port, Protocol::kTcp, ""});
  }
  plan.startup_log.insert(
      plan.startup_log.begin(),
      {absl::StrCat("Cassandra version: ", kVersion, " (emulated by bam-emulator)"),
       absl::StrCat("Loading settings from file:", file),
       absl::StrCat("Cluster name: ", *cluster, ", partitioner: ", *partitioner_class,
                    ", initial_token: ", token.empty() ? "(none)" : token)});
  plan.shutdown_log = "Announcing shutdown";
  return plan;
}

// NodeCmd.printClusterStatus of Cassandra 1.2 over the ring a node's
// gossip reports ("ADDRESS U|D N" lines): one datacenter, one token each.
std::string FormatStatus(absl::string_view ring) {
  std::vector<std::pair<std::string, std::string>> members;  // code, address
  for (absl::string_view line : absl::StrSplit(ring, '\n', absl::SkipEmpty())) {
    std::vector<std::string> f = absl::StrSplit(line, ' ');
    if (f.size() == 3) members.emplace_back(f[1] + f[2], f[0]);
  }
  std::string out =
      "Datacenter: datacenter1\n=======================\nStatus=Up/Down\n"
      "|/ State=Normal/Leaving/Joining/Moving\n"
      "--  Address          Load       Tokens  Owns   Host ID                               Rack\n";
  const double owns = members.empty() ? 0 : 100.0 / static_cast<double>(members.size());
  for (const auto& [code, address] : members) {
    // A host id derived from the address: stable across restarts, as the
    // real one (kept in the system keyspace) is.
    const uint64_t h = std::hash<std::string>()(address);
    const std::string id =
        absl::StrFormat("%08x-%04x-4%03x-8%03x-%012x", h >> 32, (h >> 16) & 0xffff, h & 0xfff,
                        (h >> 20) & 0xfff, h & 0xffffffffffffULL);
    absl::StrAppend(&out, absl::StrFormat("%-3s %-16s %-10s %-7d %-6s %s  rack1\n", code, address,
                                          code[0] == 'U' ? "36.4 KB" : "?", 1,
                                          absl::StrFormat("%.1f%%", owns), id));
  }
  return out;
}

}  // namespace

absl::StatusOr<Invocation> PrepareCassandra(const RunRequest& r) {
  bool foreground = false;
  for (size_t i = 0; i < r.args.size(); ++i) {
    const std::string& a = r.args[i];
    if (a == "-f") {
      foreground = true;
    } else if (a == "-v") {
      return Invocation{absl::StrCat(kVersion, "\n"), "", 0, std::nullopt};
    } else if ((a == "-p" || a == "-D") && i + 1 < r.args.size()) {
      ++i;  // pid file / system property: nothing to emulate
    } else if (!absl::StartsWith(a, "-D")) {
      return Invocation{"", "Error parsing arguments!\n", 1, std::nullopt};
    }
  }
  // bin/cassandra: $JAVA_HOME/bin/java, else `which java`.
  const std::string java_home = EnvOr(r.env, "JAVA_HOME", "");
  if (!(!java_home.empty() && IsExecutable(java_home + "/bin/java")) &&
      !FindOnPath("java", EnvOr(r.env, "PATH", ""))) {
    return Invocation{"",
                      "Unable to find java executable. Check JAVA_HOME and PATH environment "
                      "variables.\n",
                      1, std::nullopt};
  }
  // cassandra-env.sh: its assignments override the environment.
  std::string env_file;
  ASSIGN_OR_RETURN(auto env_vars, ReadCassandraEnv(r, &env_file));
  auto setting = [&](const std::string& name) {
    auto it = env_vars.find(name);
    return it != env_vars.end() ? it->second : EnvOr(r.env, name, "");
  };
  const std::string max_heap = setting("MAX_HEAP_SIZE");
  const std::string new_size = setting("HEAP_NEWSIZE");
  if (max_heap.empty() != new_size.empty()) {
    return Invocation{
        "", "please set or unset MAX_HEAP_SIZE and HEAP_NEWSIZE in pairs (see cassandra-env.sh)\n",
        1, std::nullopt};
  }
  for (const auto& [flag, size] : {std::pair("-Xmx", max_heap), std::pair("-Xmn", new_size)}) {
    if (!size.empty() && !IsJvmSize(size)) {
      return Invocation{"",
                        absl::StrCat("Invalid ", flag == std::string("-Xmx") ? "maximum" : "new",
                                     " heap size: ", flag, size, " (", env_file,
                                     ")\nError: Could not create the Java Virtual Machine.\n"),
                        1, std::nullopt};
    }
  }
  int jmx_port = 0;
  const std::string jmx = setting("JMX_PORT");
  if (!env_vars.empty() &&
      (!absl::SimpleAtoi(jmx, &jmx_port) || jmx_port < 1 || jmx_port > 65535)) {
    return Invocation{"",
                      absl::StrCat("Error: Invalid com.sun.management.jmxremote.port number: \"",
                                   jmx, "\" (JMX_PORT in ", env_file, ")\n"),
                      1, std::nullopt};
  }
  if (!foreground) {
    // A real bin/cassandra without -f forks into the background, which a
    // supervisor cannot watch; the emulator refuses instead of forking.
    return Invocation{"",
                      "bam-emulator: bin/cassandra without -f would daemonize (fork into the "
                      "background); not emulated, run it with -f\n",
                      1, std::nullopt};
  }
  ASSIGN_OR_RETURN(DaemonPlan plan, LoadDaemon(YamlPath(r)));
  plan.startup_log.push_back(absl::StrCat(
      "JVM arguments: [",
      max_heap.empty() ? "(heap sized from the machine's memory)"
                       : absl::StrCat("-Xms", max_heap, ", -Xmx", max_heap, ", -Xmn", new_size),
      jmx_port > 0 ? absl::StrCat(", -Dcom.sun.management.jmxremote.port=", jmx_port) : "", "]"));
  if (jmx_port > 0) {
    // Cassandra 1.x's JMX binds every interface; the emulator binds the
    // listen address, so the nodes of a local cluster share a port number.
    const Endpoint& storage = plan.endpoints.front();
    plan.endpoints.push_back({"jmx", env_file + ": JMX_PORT (on listen_address)", storage.host,
                              jmx_port, Protocol::kJmx, ""});
  }
  Invocation run;
  run.daemon = std::move(plan);
  return run;
}

absl::StatusOr<Invocation> PrepareNodetool(const RunRequest& r) {
  std::string host = "127.0.0.1";
  std::string port = "7199";
  std::string command;
  for (size_t i = 0; i < r.args.size(); ++i) {
    const std::string& a = r.args[i];
    const bool has_value = i + 1 < r.args.size();
    if ((a == "-h" || a == "--host") && has_value) {
      host = r.args[++i];
    } else if ((a == "-p" || a == "--port") && has_value) {
      port = r.args[++i];
    } else if (command.empty() && !absl::StartsWith(a, "-")) {
      command = a;
    }
  }
  const std::string target = absl::StrCat(host, ":", port);
  // nodetool connects to the JMX port first: a wrong port fails here, as
  // the real one does.
  auto call = [&](const std::string& operation) -> absl::StatusOr<std::string> {
    int jmx_port = 0;
    if (!absl::SimpleAtoi(port, &jmx_port)) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid port: ", port));
    }
    absl::StatusOr<std::string> answer =
        TcpRequest(absl::StripPrefix(absl::StripSuffix(host, "]"), "["), jmx_port, operation + "\n",
                   std::chrono::seconds(30));
    if (!answer.ok()) {
      return absl::UnavailableError(
          absl::StrCat("Failed to connect to '", target, "': ", answer.status().message()));
    }
    return answer;
  };
  if (command == "drain") {
    absl::StatusOr<std::string> answer = call("drain");
    if (!answer.ok()) return Invocation{"", absl::StrCat(answer.status().message(), "\n"), 1};
    if (absl::StripAsciiWhitespace(*answer) != "ok") {
      return Invocation{"", absl::StrCat("drain failed at ", target, ": ", *answer, "\n"), 1,
                        std::nullopt};
    }
    return Invocation{"", "", 0, std::nullopt};  // the real one prints nothing
  }
  if (command == "status") {
    absl::StatusOr<std::string> answer = call("status");
    if (!answer.ok()) return Invocation{"", absl::StrCat(answer.status().message(), "\n"), 1};
    return Invocation{FormatStatus(*answer), "", 0, std::nullopt};
  }
  if (command == "version") {
    return Invocation{absl::StrCat("ReleaseVersion: ", kVersion, "\n"), "", 0, std::nullopt};
  }
  if (command == "ring" || command == "info") {
    const std::string file = YamlPath(r);
    ASSIGN_OR_RETURN(YAML::Node root, LoadYaml(file));
    return Invocation{
        absl::StrCat("Datacenter: datacenter1 (emulated by bam-emulator)\n",
                     "Address          Status  State   Token\n",
                     Scalar(root, "listen_address").value_or("?"), "  Up      Normal  ",
                     Scalar(root, "initial_token").value_or("?"), "\n"),
        "", 0, std::nullopt};
  }
  return Invocation{"",
                    absl::StrCat("usage: nodetool [-h HOST] [-p PORT] COMMAND (emulated: drain, "
                                 "ring, status, info, version); got \"",
                                 command, "\"\n"),
                    1, std::nullopt};
}

}  // namespace bamctl::emulator
