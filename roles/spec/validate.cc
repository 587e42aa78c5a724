#include "roles/spec/validate.h"

#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "roles/spec/cassandra_tokens.h"
#include "roles/spec/ports.h"
#include "roles/spec/role_kind.h"
#include "roles/spec/validate_values.h"
#include "roles/spec/version.h"

namespace bamctl {
namespace {

using v1::ClusterSpec;
using v1::NodeSpec;

constexpr uint32_t kMaxPort = 65535;

std::string NodePath(int i) { return absl::StrCat("nodes[", i, "]"); }

bool IsHostName(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  bool all_numeric = true;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!absl::ascii_isalnum(c) && c != '-') return false;
      if (!absl::ascii_isdigit(c)) all_numeric = false;
    }
  }
  return !all_numeric;  // "256.1.1.1" is a broken address, not a name
}

bool IsIpv6Address(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsIpAddress(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || IsIpv6Address(s);
}

// Replicas a consistency level needs to answer, for a single data center;
// nullopt for unknown levels. ANY is satisfied by a hint alone.
std::optional<uint32_t> ReplicasNeeded(absl::string_view level, uint32_t rf) {
  if (level == "ANY") return 0;
  if (level == "ONE") return 1;
  if (level == "TWO") return 2;
  if (level == "THREE") return 3;
  if (level == "QUORUM" || level == "LOCAL_QUORUM" || level == "EACH_QUORUM") return rf / 2 + 1;
  if (level == "ALL") return rf;
  return std::nullopt;
}

constexpr absl::string_view kValidConsistency =
    "ONE, TWO, THREE, QUORUM, LOCAL_QUORUM, EACH_QUORUM, ALL (and ANY for writes)";

class Validator {
 public:
  Validator(const ClusterSpec& spec, const SourceMap& sources)
      : spec_(spec), sources_(sources), sink_(&sources) {}

  std::vector<Diagnostic> Run() {
    CheckName();
    CheckNodes();
    CheckHadoop();
    CheckZooKeeper();
    CheckCassandra();
    CheckBam();
    CheckIpv6();
    CheckPorts();
    CheckValues(spec_, sources_, &sink_);
    CheckRestartOnConfigChange();
    if (spec_.max_nodes_disrupted() == 0) {
      sink_.Error("max_nodes_disrupted",
                  "must be at least 1: a restart takes its host's role down");
    }
    return sink_.Take();
  }

 private:
  // "written at line 12" / "defaulted": for messages that mention a second place.
  std::string Where(const std::string& path) const {
    SourcePos pos = sources_.Lookup(path);
    if (!sources_.Contains(path)) return "(the default)";
    return absl::StrCat("(", path, ", line ", pos.line, ")");
  }

  // " (default)" when the field was not written, so a message about a value
  // the user never typed says where it came from.
  std::string DefaultNote(const std::string& path) const {
    return sources_.Contains(path) ? "" : " (the default)";
  }

  void CheckName() {
    if (spec_.name().empty()) {
      sink_.Error("name", "the cluster needs a name, e.g. name: bam-prod");
      return;
    }
    for (char c : spec_.name()) {
      if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.') {
        sink_.Error("name", absl::StrCat("cluster name \"", spec_.name(),
                                         "\" may hold only letters, digits, '-', '_' and '.'"));
        return;
      }
    }
  }

  void CheckNodes() {
    if (spec_.nodes().empty()) {
      sink_.Error("nodes", "the cluster has no nodes; list at least one under nodes:");
      return;
    }
    std::map<std::string, int> names;
    std::map<std::string, int> addresses;
    for (int i = 0; i < spec_.nodes_size(); ++i) {
      const NodeSpec& node = spec_.nodes(i);
      const std::string p = NodePath(i);
      if (node.name().empty()) {
        sink_.Error(p + ".name", "every node needs a name (its host name, e.g. node1)");
      } else if (!IsHostName(node.name())) {
        sink_.Error(p + ".name",
                    absl::StrCat("node name \"", node.name(),
                                 "\" is not a valid host name: use letters, digits and '-' "
                                 "(not first or last), dot-separated labels of up to 63"));
      } else if (auto [it, fresh] = names.emplace(absl::AsciiStrToLower(node.name()), i); !fresh) {
        // Host names are case-insensitive: node1 and Node1 collide in DNS.
        sink_.Error(p + ".name",
                    absl::StrCat("node name \"", node.name(), "\" is already used by ",
                                 NodePath(it->second), " ", Where(NodePath(it->second) + ".name"),
                                 "; node names must be unique"));
      }
      if (node.address().empty()) {
        sink_.Error(p + ".address",
                    absl::StrCat("node \"", node.name(), "\" needs an address (IP or host name)"));
      } else if (!IsIpAddress(node.address()) && !IsHostName(node.address())) {
        sink_.Error(p + ".address", absl::StrCat("address \"", node.address(),
                                                 "\" is neither an IPv4/IPv6 address nor a "
                                                 "host name"));
      } else if (spec_.manage_hosts_file() && !IsIpAddress(node.address())) {
        sink_.Error(p + ".address",
                    absl::StrCat("address \"", node.address(),
                                 "\" is a host name, but manage_hosts_file writes address lines "
                                 "to hosts files; give an IPv4 or IPv6 address"));
      } else if (auto [it, fresh] = addresses.emplace(node.address(), i); !fresh) {
        sink_.Error(p + ".address",
                    absl::StrCat("address ", node.address(), " is already used by node \"",
                                 spec_.nodes(it->second).name(), "\" ",
                                 Where(NodePath(it->second) + ".address"),
                                 "; each node needs its own address"));
      }
      CheckNodeRoles(i);
    }
  }

  // Restarting every instance of a role at once is safe only for roles
  // with nothing to lose: no quorum, no single master, no task holder.
  void CheckRestartOnConfigChange() {
    std::set<std::string> seen;
    for (int i = 0; i < spec_.restart_on_config_change_size(); ++i) {
      const std::string& name = spec_.restart_on_config_change(i);
      const std::string p = absl::StrCat("restart_on_config_change[", i, "]");
      std::optional<RoleKind> kind = ParseRoleName(name);
      if (!kind) {
        sink_.Error(p, absl::StrCat("unknown role \"", name,
                                    "\"; valid roles: ", ValidRoleNamesForError()));
        continue;
      }
      if (!seen.insert(name).second) {
        sink_.Error(p, absl::StrCat("role ", name, " is listed twice"));
        continue;
      }
      switch (*kind) {
        case RoleKind::kZooKeeper:
        case RoleKind::kCassandra:
          sink_.Error(p, absl::StrCat("restarting every ", name,
                                      " at once loses the quorum; leave it out and apply config "
                                      "changes with a rolling restart"));
          break;
        case RoleKind::kNameNode:
        case RoleKind::kJobTracker:
        case RoleKind::kBamAnalyzer:
          sink_.Error(p, absl::StrCat(name,
                                      " restarts mean downtime (a single master, or the analyzer "
                                      "holding the scheduled tasks); leave it out and restart "
                                      "it on purpose"));
          break;
        default:
          break;
      }
    }
  }

  void CheckNodeRoles(int i) {
    const NodeSpec& node = spec_.nodes(i);
    const std::string p = NodePath(i);
    if (node.roles().empty()) {
      sink_.Warning(p + ".roles",
                    absl::StrCat("node \"", node.name(), "\" has no roles; it will run nothing"));
    }
    std::set<RoleKind> seen;
    for (int j = 0; j < node.roles_size(); ++j) {
      const std::string rp = absl::StrCat(p, ".roles[", j, "]");
      std::optional<RoleKind> kind = ParseRoleName(node.roles(j));
      if (!kind) {
        sink_.Error(rp, absl::StrCat("unknown role \"", node.roles(j),
                                     "\"; valid roles: ", ValidRoleNamesForError()));
        continue;
      }
      if (!seen.insert(*kind).second) {
        sink_.Error(rp, absl::StrCat("role ", node.roles(j), " is listed twice on node \"",
                                     node.name(), "\""));
        continue;
      }
      roles_[*kind].push_back(i);
    }
    if (node.has_zookeeper_server_id() && !seen.contains(RoleKind::kZooKeeper)) {
      sink_.Error(p + ".zookeeper_server_id",
                  absl::StrCat("node \"", node.name(),
                               "\" has a zookeeper_server_id but no zookeeper role; remove the "
                               "id or add the role"));
    }
    if (node.has_cassandra_initial_token() && !seen.contains(RoleKind::kCassandra)) {
      sink_.Error(p + ".cassandra_initial_token",
                  absl::StrCat("node \"", node.name(),
                               "\" has a cassandra_initial_token but no cassandra role; remove "
                               "the token or add the role"));
    }
  }

  const std::vector<int>& NodesWith(RoleKind kind) { return roles_[kind]; }

  std::string NodeNames(const std::vector<int>& nodes) const {
    return absl::StrJoin(nodes, ", ",
                         [this](std::string* out, int i) { out->append(spec_.nodes(i).name()); });
  }

  // Path of `kind` in node i's role list, for pointing at a role entry.
  std::string RolePath(int i, RoleKind kind) const {
    const NodeSpec& node = spec_.nodes(i);
    for (int j = 0; j < node.roles_size(); ++j) {
      if (node.roles(j) == RoleName(kind)) return absl::StrCat(NodePath(i), ".roles[", j, "]");
    }
    return NodePath(i);
  }

  void RequireExactlyOne(RoleKind kind, absl::string_view why) {
    const std::vector<int>& nodes = NodesWith(kind);
    if (nodes.empty()) {
      sink_.Error("nodes", absl::StrCat("no node has role ", RoleName(kind), "; exactly one must (",
                                        why, ")"));
    } else if (nodes.size() > 1) {
      sink_.Error(RolePath(nodes[1], kind),
                  absl::StrCat("role ", RoleName(kind), " is on ", nodes.size(), " nodes (",
                               NodeNames(nodes), "); exactly one may run it (", why, ")"));
    }
  }

  void CheckHadoop() {
    bool any_hadoop = !NodesWith(RoleKind::kBamAnalyzer).empty();
    for (RoleKind kind : AllRoleKinds()) {
      if (IsHadoopRole(kind) && !NodesWith(kind).empty()) any_hadoop = true;
    }
    if (!any_hadoop) return;
    RequireExactlyOne(RoleKind::kNameNode,
                      "HDFS in Hadoop 1.x has one namenode; BAM analyzers submit to it");
    RequireExactlyOne(RoleKind::kJobTracker,
                      "MapReduce in Hadoop 1.x has one jobtracker; BAM analyzers submit to it");
    const auto& h = spec_.hadoop();
    const size_t datanodes = NodesWith(RoleKind::kDataNode).size();
    if (datanodes == 0) {
      sink_.Error("nodes", "no node has role datanode; HDFS needs at least one to store blocks");
    }
    if (NodesWith(RoleKind::kTaskTracker).empty()) {
      sink_.Error("nodes",
                  "no node has role tasktracker; MapReduce (and so every BAM analytics job) "
                  "needs at least one");
    }
    if (h.dfs_replication() == 0) {
      sink_.Error("hadoop.dfs_replication", "must be at least 1");
    } else if (datanodes > 0 && h.dfs_replication() > datanodes) {
      sink_.Warning("hadoop.dfs_replication",
                    absl::StrCat("dfs_replication ", h.dfs_replication(),
                                 DefaultNote("hadoop.dfs_replication"), " is more than the ",
                                 datanodes, " datanode(s); blocks will stay under-replicated"));
    }
  }

  void CheckZooKeeper() {
    const std::vector<int>& zk = NodesWith(RoleKind::kZooKeeper);
    const size_t analyzers = NodesWith(RoleKind::kBamAnalyzer).size();
    if (zk.empty()) {
      if (analyzers > 0) {
        sink_.Error("nodes",
                    "bam-analyzer needs a ZooKeeper ensemble to coordinate its task servers; "
                    "add role zookeeper to an odd number of nodes (3 or 5)");
      }
      return;
    }
    if (zk.size() % 2 == 0) {
      sink_.Error(
          RolePath(zk.back(), RoleKind::kZooKeeper),
          absl::StrCat("the ZooKeeper ensemble has ", zk.size(), " servers (", NodeNames(zk),
                       "); an even ensemble survives no more failures "
                       "than one server fewer: use an odd number (3 or 5)"));
    } else if (zk.size() == 1) {
      sink_.Warning(RolePath(zk.front(), RoleKind::kZooKeeper),
                    "a single ZooKeeper server is not highly available: when it stops, "
                    "analyzers lose coordination; use 3 or 5 servers");
    }
    std::map<uint32_t, int> ids;
    for (int i : zk) {
      const NodeSpec& node = spec_.nodes(i);
      const std::string p = NodePath(i) + ".zookeeper_server_id";
      const uint32_t id = node.zookeeper_server_id();
      if (id < 1 || id > 255) {
        sink_.Error(p, absl::StrCat("ZooKeeper server id ", id, DefaultNote(p), " on node \"",
                                    node.name(), "\" must be from 1 to 255"));
      } else if (auto [it, fresh] = ids.emplace(id, i); !fresh) {
        sink_.Error(
            p, absl::StrCat("ZooKeeper server id ", id, DefaultNote(p), " of node \"", node.name(),
                            "\" is also the id of node \"", spec_.nodes(it->second).name(),
                            "\"; give each server its own zookeeper_server_id"));
      }
    }
    const auto& z = spec_.zookeeper();
    if (z.tick_time_ms() == 0) sink_.Error("zookeeper.tick_time_ms", "must be at least 1");
    if (z.init_limit() == 0) sink_.Error("zookeeper.init_limit", "must be at least 1 tick");
    if (z.sync_limit() == 0) sink_.Error("zookeeper.sync_limit", "must be at least 1 tick");
    if (!ParseVersion(z.version())) {
      sink_.Error("zookeeper.version",
                  absl::StrCat("\"", z.version(), "\" is not a release number like 3.8.0"));
    }
  }

  void CheckConsistency(const std::string& path, const std::string& level, uint32_t rf,
                        bool is_write) {
    std::optional<uint32_t> needed = ReplicasNeeded(level, rf);
    if (!needed || (level == "ANY" && !is_write)) {
      sink_.Error(path,
                  absl::StrCat("unknown consistency level \"", level, "\"",
                               level == "ANY" ? " for reads" : "", "; valid: ", kValidConsistency));
      return;
    }
    const bool dc_aware = level == "LOCAL_QUORUM" || level == "EACH_QUORUM";
    if (dc_aware && spec_.cassandra().strategy_class() !=
                        "org.apache.cassandra.locator.NetworkTopologyStrategy") {
      sink_.Error(path, absl::StrCat(level,
                                     " needs data centers, which only NetworkTopologyStrategy "
                                     "knows; use QUORUM with ",
                                     spec_.cassandra().strategy_class()));
      return;
    }
    if (level == "EACH_QUORUM" && !is_write) {
      sink_.Error(path, "EACH_QUORUM is for writes only; use LOCAL_QUORUM or QUORUM for reads");
      return;
    }
    if (rf == 0) return;
    if (*needed > rf) {
      sink_.Error(
          path, absl::StrCat(level, " needs ", *needed, " replicas but replication_factor is ", rf,
                             "; use a lower level or more replicas"));
    } else if (*needed > rf - 1) {
      sink_.Warning(path, absl::StrCat(level, DefaultNote(path), " needs ", *needed, " of ", rf,
                                       " replicas, so ", is_write ? "writes" : "reads",
                                       " fail while any one Cassandra replica is down; use "
                                       "replication_factor 3 with QUORUM to survive one failure"));
    }
  }

  void CheckCassandra() {
    const auto& c = spec_.cassandra();
    const std::vector<int>& nodes = NodesWith(RoleKind::kCassandra);
    bool any_bam = false;
    for (RoleKind kind : AllRoleKinds()) {
      if (IsBamRole(kind) && !NodesWith(kind).empty()) any_bam = true;
    }
    if (nodes.empty()) {
      if (any_bam) {
        sink_.Error("nodes",
                    "BAM stores received events in Cassandra, but no node has role cassandra; "
                    "add it to at least as many nodes as cassandra.replication_factor");
      }
      return;
    }
    if (c.cluster_name().empty()) sink_.Error("cassandra.cluster_name", "must not be empty");
    const uint32_t rf = c.replication_factor();
    if (rf == 0) {
      sink_.Error("cassandra.replication_factor", "must be at least 1");
    } else if (rf > nodes.size()) {
      sink_.Error(
          "cassandra.replication_factor",
          absl::StrCat("replication_factor ", rf, DefaultNote("cassandra.replication_factor"),
                       " is more than the ", nodes.size(), " Cassandra node(s) (", NodeNames(nodes),
                       "); it can be at most ", nodes.size()));
    }
    CheckConsistency("cassandra.read_consistency", c.read_consistency(), rf, false);
    CheckConsistency("cassandra.write_consistency", c.write_consistency(), rf, true);
    const std::string& strategy = c.strategy_class();
    if (strategy != "org.apache.cassandra.locator.SimpleStrategy" &&
        strategy != "org.apache.cassandra.locator.NetworkTopologyStrategy" &&
        strategy != "org.apache.cassandra.locator.OldNetworkTopologyStrategy") {
      sink_.Error("cassandra.strategy_class",
                  absl::StrCat("unknown replication strategy \"", strategy,
                               "\"; valid: org.apache.cassandra.locator.SimpleStrategy, "
                               "NetworkTopologyStrategy, OldNetworkTopologyStrategy"));
    }
    CheckSeeds(nodes);
    std::optional<Partitioner> partitioner = ParsePartitioner(c.partitioner());
    if (!partitioner) {
      sink_.Error("cassandra.partitioner",
                  absl::StrCat("unknown partitioner \"", c.partitioner(),
                               "\"; valid: ", ValidPartitionersForError()));
      return;
    }
    CheckTokens(nodes, *partitioner);
  }

  void CheckSeeds(const std::vector<int>& nodes) {
    const auto& c = spec_.cassandra();
    std::set<std::string> seen;
    // By name: many seeds over many Cassandra nodes stay O((seeds + nodes) log).
    std::set<absl::string_view> cassandra_names;
    for (int i : nodes) cassandra_names.insert(spec_.nodes(i).name());
    for (int s = 0; s < c.seeds_size(); ++s) {
      if (!seen.insert(c.seeds(s)).second) {
        sink_.Error(absl::StrCat("cassandra.seeds[", s, "]"),
                    absl::StrCat("seed \"", c.seeds(s), "\" is listed twice"));
        continue;
      }
      if (!cassandra_names.contains(c.seeds(s))) {
        sink_.Error(absl::StrCat("cassandra.seeds[", s, "]"),
                    absl::StrCat("seed \"", c.seeds(s),
                                 "\" is not a Cassandra node; seeds name nodes with role "
                                 "cassandra: ",
                                 NodeNames(nodes)));
      }
    }
  }

  void CheckTokens(const std::vector<int>& nodes, Partitioner partitioner) {
    std::vector<int> with;
    std::vector<int> without;
    for (int i : nodes) {
      (spec_.nodes(i).has_cassandra_initial_token() ? with : without).push_back(i);
    }
    if (with.empty()) return;  // all computed
    if (!without.empty()) {
      sink_.Error(NodePath(without.front()),
                  absl::StrCat("give cassandra_initial_token on every Cassandra node or on "
                               "none: ",
                               NodeNames(with), " have one, ", NodeNames(without), " do not"));
    }
    std::map<std::string, int> seen;
    for (int i : with) {
      const std::string p = NodePath(i) + ".cassandra_initial_token";
      absl::StatusOr<std::string> token =
          CanonicalToken(partitioner, spec_.nodes(i).cassandra_initial_token());
      if (!token.ok()) {
        sink_.Error(p, absl::StrCat(token.status().message(),
                                    sources_.Contains("cassandra.partitioner")
                                        ? ""
                                        : " (cassandra.partitioner is the default)"));
      } else if (auto [it, fresh] = seen.emplace(*token, i); !fresh) {
        sink_.Error(p, absl::StrCat("token ", *token, " is also the token of node \"",
                                    spec_.nodes(it->second).name(),
                                    "\"; every Cassandra node needs its own"));
      }
    }
  }

  void CheckDataSource(const std::string& path, const v1::DataSourceSpec& ds, bool required) {
    const std::string p = path + ".password_file";
    if (!ds.has_password_file() || ds.password_file().empty()) {
      if (required) {
        sink_.Error(p,
                    "required when the cluster has BAM roles: give the absolute path of a "
                    "file that holds the password on every BAM node (the password never "
                    "goes into the spec)");
      }
    } else if (ds.password_file().front() != '/') {
      sink_.Error(p, absl::StrCat("secret file reference \"", ds.password_file(),
                                  "\" must be an absolute path, e.g. "
                                  "/etc/bamctl/secrets/db-password"));
    }
    if (required && ds.jndi_name() == "jdbc/WSO2CarbonDB") {
      sink_.Error(path + ".jndi_name",
                  "jdbc/WSO2CarbonDB is bound by the stock WSO2_CARBON_DB datasource (the local "
                  "registry and user store); a second datasource cannot bind it. Use another "
                  "name, e.g. jdbc/WSO2BamDataSource");
    }
    if (required && ds.database().empty()) sink_.Error(path + ".database", "must not be empty");
    if (required && ds.username().empty()) sink_.Error(path + ".username", "must not be empty");
  }

  void CheckBam() {
    const auto& b = spec_.bam();
    size_t bam_nodes = 0;
    for (const NodeSpec& node : spec_.nodes()) {
      bool has = std::any_of(node.roles().begin(), node.roles().end(), [](const std::string& r) {
        std::optional<RoleKind> kind = ParseRoleName(r);
        return kind && IsBamRole(*kind);
      });
      bam_nodes += has ? 1 : 0;
    }
    const bool any_bam = bam_nodes > 0;
    CheckDataSource("bam.registry_datasource", b.registry_datasource(), any_bam);
    CheckDataSource("bam.summary_datasource", b.summary_datasource(), any_bam);
    if (any_bam && b.registry_datasource().jndi_name() == b.summary_datasource().jndi_name()) {
      sink_.Error("bam.summary_datasource.jndi_name",
                  absl::StrCat("\"", b.summary_datasource().jndi_name(),
                               "\" is also the registry datasource's JNDI name; each datasource "
                               "needs its own"));
    }
    if (!any_bam) return;
    if (!spec_.mysql().has_host() || spec_.mysql().host().empty()) {
      sink_.Error("mysql.host",
                  "required when the cluster has BAM roles: the host name or address of the "
                  "MySQL server holding the registry and summary databases");
    } else if (!IsHostName(spec_.mysql().host()) && !IsIpAddress(spec_.mysql().host())) {
      sink_.Error("mysql.host", absl::StrCat("\"", spec_.mysql().host(),
                                             "\" is neither an IP address nor a host name"));
    }
    if (spec_.mysql().port() == 0 || spec_.mysql().port() > kMaxPort) {
      sink_.Error("mysql.port",
                  absl::StrCat("port ", spec_.mysql().port(), " is outside 1 to 65535"));
    }
    const std::vector<int>& analyzers = NodesWith(RoleKind::kBamAnalyzer);
    if (!analyzers.empty()) {
      bool found = false;
      for (int i : analyzers) found = found || spec_.nodes(i).name() == b.toolbox_deployer_node();
      if (!found) {
        sink_.Error("bam.toolbox_deployer_node",
                    absl::StrCat("\"", b.toolbox_deployer_node(),
                                 "\" is not a bam-analyzer node; name exactly one of: ",
                                 NodeNames(analyzers)));
      }
      if (b.task_server_count() == 0) {
        sink_.Error("bam.task_server_count", "must be at least 1");
      } else if (b.task_server_count() > analyzers.size()) {
        sink_.Error("bam.task_server_count",
                    absl::StrCat("task_server_count ", b.task_server_count(), " is more than the ",
                                 analyzers.size(),
                                 " bam-analyzer node(s); analyzers would wait forever for "
                                 "task servers that do not exist"));
      }
      const uint64_t tick = spec_.zookeeper().tick_time_ms();
      const uint64_t timeout = b.coordination_session_timeout_ms();
      if (tick > 0 && (timeout < 2 * tick || timeout > 20 * tick)) {
        sink_.Warning("bam.coordination_session_timeout_ms",
                      absl::StrCat("ZooKeeper clamps session timeouts to 2..20 ticks (", 2 * tick,
                                   " to ", 20 * tick, " ms with tick_time_ms ", tick, "); ",
                                   timeout, " ms will not be honoured"));
      }
    } else if (sources_.Contains("bam.toolbox_deployer_node")) {
      sink_.Error("bam.toolbox_deployer_node",
                  absl::StrCat("names \"", b.toolbox_deployer_node(),
                               "\" but no node has role bam-analyzer"));
    }
    if (b.heap_mb() < 2048) {
      sink_.Warning("bam.heap_mb", absl::StrCat("heap_mb ", b.heap_mb(),
                                                " is below the 2048 MB the BAM clustering guide "
                                                "asks for when BAM talks to a Cassandra ring"));
    }
  }

  // IPv6 node addresses work only where every product that binds or
  // writes them can: Cassandra and BAM can, Hadoop 1.x never, ZooKeeper's
  // server lines from 3.4.9 (3.5.7), MySQL's JDBC URL not in Connector/J 5.1.
  void CheckIpv6() {
    const std::optional<Version> zookeeper_version = ParseVersion(spec_.zookeeper().version());
    for (int i = 0; i < spec_.nodes_size(); ++i) {
      const NodeSpec& node = spec_.nodes(i);
      if (!IsIpv6Address(node.address())) continue;
      const std::string p = NodePath(i) + ".address";
      std::vector<std::string> hadoop;
      bool zookeeper = false;
      for (const std::string& role : node.roles()) {
        std::optional<RoleKind> kind = ParseRoleName(role);
        if (kind && IsHadoopRole(*kind)) hadoop.push_back(role);
        zookeeper = zookeeper || kind == RoleKind::kZooKeeper;
      }
      if (!hadoop.empty()) {
        sink_.Error(p, absl::StrCat("address \"", node.address(), "\" is IPv6, but node \"",
                                    node.name(), "\" runs Hadoop (", absl::StrJoin(hadoop, ", "),
                                    ") and Hadoop 1.x has no IPv6 support: it splits host:port at "
                                    "the first ':' and runs with java.net.preferIPv4Stack=true "
                                    "(its daemons bind this address whatever render_addresses "
                                    "says); give the node an IPv4 address, or a host name that "
                                    "resolves to one"));
      }
      if (zookeeper && spec_.render_addresses() && zookeeper_version &&
          !ZooKeeperTakesIpv6Servers(*zookeeper_version)) {
        sink_.Error(
            p, absl::StrCat("address \"", node.address(),
                            "\" is IPv6, and render_addresses writes it into zoo.cfg's server "
                            "lines, which ZooKeeper ",
                            spec_.zookeeper().version(), DefaultNote("zookeeper.version"),
                            " cannot read: 3.4.9 and later 3.4 releases and 3.5.7+ can; set "
                            "zookeeper.version to the installed release if it is one of those, "
                            "give the node an IPv4 address, or set render_addresses: false"));
      }
    }
    const bool any_bam =
        std::any_of(AllRoleKinds().begin(), AllRoleKinds().end(),
                    [this](RoleKind k) { return IsBamRole(k) && !NodesWith(k).empty(); });
    if (any_bam && IsIpv6Address(spec_.mysql().host())) {
      sink_.Error("mysql.host",
                  absl::StrCat("\"", spec_.mysql().host(),
                               "\" is an IPv6 address, which BAM cannot reach: MySQL Connector/J "
                               "5.1 reads the JDBC URL's host up to the first ':', brackets or "
                               "not; give the MySQL server's host name instead"));
    }
  }

  void CheckPorts() {
    std::set<std::string> range_reported;
    for (const NodeSpec& node : spec_.nodes()) {
      std::map<uint64_t, const PortUse*> taken;
      std::vector<PortUse> ports = PortsOfNode(spec_, node);
      for (const PortUse& use : ports) {
        if (use.port == 0 || use.port > kMaxPort) {
          // A defaulted BAM base port pushed out of range by the offset is
          // the offset's fault: report it once, there.
          const bool blame_offset = use.role == "bam" && !sources_.Contains(use.field_path);
          const std::string path = blame_offset ? "bam.port_offset" : use.field_path;
          if (range_reported.insert(path).second) {
            std::string offset_note =
                use.role == "bam"
                    ? absl::StrCat(" (with bam.port_offset ", spec_.bam().port_offset(), " added)")
                    : "";
            sink_.Error(path,
                        absl::StrCat(
                            blame_offset ? use.field_path + DefaultNote(use.field_path) + ": " : "",
                            "port ", use.port, offset_note, " is outside 1 to 65535"));
          }
          continue;
        }
        auto [it, fresh] = taken.emplace(use.port, &use);
        if (fresh) continue;
        const PortUse& first = *it->second;
        sink_.Error(
            use.field_path,
            absl::StrCat("on node \"", node.name(), "\" port ", use.port, " is wanted by both ",
                         first.role, " (", first.field_path, DefaultNote(first.field_path),
                         ") and ", use.role, " (", use.field_path, DefaultNote(use.field_path),
                         "); give one of them another port"));
      }
    }
  }

  const ClusterSpec& spec_;
  const SourceMap& sources_;
  DiagnosticSink sink_;
  std::map<RoleKind, std::vector<int>> roles_;
};

}  // namespace

std::vector<Diagnostic> ValidateSpec(const ClusterSpec& spec, const SourceMap& sources) {
  return Validator(spec, sources).Run();
}

}  // namespace bamctl
