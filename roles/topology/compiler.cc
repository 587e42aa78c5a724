#include "roles/topology/compiler.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "roles/spec/cassandra_tokens.h"
#include "roles/spec/ports.h"
#include "roles/spec/role_kind.h"

namespace bamctl {
namespace {

using v1::ClusterSpec;
using v1::NodePlan;
using v1::NodeSpec;

// Jars Hive ships to Hadoop jobs (the seed's hive.aux.jars.path); the MySQL
// connector is appended so summaries can be written to MySQL from the jobs.
constexpr absl::string_view kHiveAuxPlugins[] = {
    "apache-cassandra_1.1.0.wso2v1.jar", "guava_12.0.0.wso2v1.jar",       "json_2.0.0.wso2v1.jar",
    "commons-dbcp_1.4.0.wso2v1.jar",     "commons-pool_1.5.6.wso2v1.jar",
};

// Cluster-wide facts computed once and shared by every node's plan.
struct Topology {
  std::vector<std::set<RoleKind>> roles;  // per node index
  std::map<RoleKind, std::vector<int>> nodes_with;
  std::vector<std::string> cassandra_tokens;  // per node index; empty if none
  std::vector<std::string> seed_hosts;        // cassandra.seeds as hosts
  Partitioner partitioner = Partitioner::kRandom;
  std::vector<int> zookeeper_by_id;  // ZooKeeper nodes by zookeeper_server_id
  int schema_node = -1;              // see SchemaNode()
  std::string hive_aux_jars_path;    // the same on every BAM node
};

v1::Endpoint EndpointOf(const std::string& host, uint32_t port) {
  v1::Endpoint endpoint;
  endpoint.set_host(host);
  endpoint.set_port(port);
  return endpoint;
}

class Compiler {
 public:
  explicit Compiler(const ClusterSpec& spec) : spec_(spec) {}

  absl::StatusOr<v1::ClusterPlan> Run() {
    RETURN_IF_ERROR(Analyze());
    v1::ClusterPlan plan;
    plan.set_cluster_name(spec_.name());
    plan.mutable_nodes()->Reserve(spec_.nodes_size());
    for (int i = 0; i < spec_.nodes_size(); ++i) *plan.add_nodes() = CompileNode(i);
    // One list for the whole cluster: a copy per node would make an N-node
    // plan N² entries (16M at 4,000 nodes).
    if (spec_.manage_hosts_file()) {
      plan.mutable_hosts()->mutable_entries()->Reserve(spec_.nodes_size());
      for (const NodeSpec& node : spec_.nodes()) {
        v1::HostEntry* entry = plan.mutable_hosts()->add_entries();
        entry->set_name(node.name());
        entry->set_address(node.address());
      }
    }
    return plan;
  }

 private:
  // How other nodes and config files refer to node i.
  const std::string& HostOf(int i) const {
    return spec_.render_addresses() ? spec_.nodes(i).address() : spec_.nodes(i).name();
  }

  const std::vector<int>& With(RoleKind kind) { return topo_.nodes_with[kind]; }

  bool Has(int i, RoleKind kind) const { return topo_.roles[i].contains(kind); }

  absl::Status Analyze() {
    topo_.roles.resize(spec_.nodes_size());
    for (int i = 0; i < spec_.nodes_size(); ++i) {
      for (const std::string& name : spec_.nodes(i).roles()) {
        std::optional<RoleKind> kind = ParseRoleName(name);
        if (!kind) {
          return absl::InvalidArgumentError(absl::StrCat("node ", spec_.nodes(i).name(),
                                                         ": unknown role \"", name,
                                                         "\" (spec not validated)"));
        }
        if (topo_.roles[i].insert(*kind).second) topo_.nodes_with[*kind].push_back(i);
      }
    }
    // Facts every node of a role shares, computed once rather than per node.
    topo_.zookeeper_by_id = With(RoleKind::kZooKeeper);
    std::sort(topo_.zookeeper_by_id.begin(), topo_.zookeeper_by_id.end(), [this](int a, int b) {
      return spec_.nodes(a).zookeeper_server_id() < spec_.nodes(b).zookeeper_server_id();
    });
    topo_.schema_node = SchemaNode();
    std::vector<std::string> jars;
    for (absl::string_view jar : kHiveAuxPlugins) {
      jars.push_back(absl::StrCat("file://${CARBON_HOME}/repository/components/plugins/", jar));
    }
    jars.push_back(absl::StrCat("file://${CARBON_HOME}/repository/components/lib/",
                                spec_.bam().mysql_connector_jar()));
    topo_.hive_aux_jars_path = absl::StrJoin(jars, ",");
    for (RoleKind kind : {RoleKind::kNameNode, RoleKind::kJobTracker}) {
      bool needed = !With(RoleKind::kBamAnalyzer).empty();
      for (RoleKind k : AllRoleKinds()) needed = needed || (IsHadoopRole(k) && !With(k).empty());
      if (needed && With(kind).size() != 1) {
        return absl::InvalidArgumentError(absl::StrCat("the cluster needs exactly one ",
                                                       RoleName(kind), " (spec not validated)"));
      }
    }
    return ComputeTokens();
  }

  absl::Status ComputeTokens() {
    const std::vector<int>& nodes = With(RoleKind::kCassandra);
    topo_.cassandra_tokens.assign(spec_.nodes_size(), "");
    if (nodes.empty()) return absl::OkStatus();
    std::optional<Partitioner> p = ParsePartitioner(spec_.cassandra().partitioner());
    if (!p) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown partitioner \"", spec_.cassandra().partitioner(), "\" (spec not validated)"));
    }
    topo_.partitioner = *p;
    // By name, so many seeds over many nodes stay O(seeds + nodes).
    absl::flat_hash_map<absl::string_view, int> cassandra_by_name;
    for (int n : nodes) cassandra_by_name.emplace(spec_.nodes(n).name(), n);
    for (const std::string& seed : spec_.cassandra().seeds()) {
      if (auto it = cassandra_by_name.find(seed); it != cassandra_by_name.end()) {
        topo_.seed_hosts.push_back(HostOf(it->second));
      }
    }
    size_t with_token = 0;
    for (int n : nodes) with_token += spec_.nodes(n).has_cassandra_initial_token() ? 1 : 0;
    if (with_token != 0 && with_token != nodes.size()) {
      return absl::InvalidArgumentError(
          "cassandra_initial_token is on some Cassandra nodes but not all (spec not validated)");
    }
    const bool explicit_tokens = with_token != 0;
    std::vector<std::string> balanced = BalancedTokens(*p, static_cast<int>(nodes.size()));
    for (size_t k = 0; k < nodes.size(); ++k) {
      const NodeSpec& node = spec_.nodes(nodes[k]);
      if (!explicit_tokens) {
        topo_.cassandra_tokens[nodes[k]] = balanced[k];
        continue;
      }
      absl::StatusOr<std::string> token = CanonicalToken(*p, node.cassandra_initial_token());
      if (!token.ok()) return Annotate(token.status(), absl::StrCat("node ", node.name()));
      topo_.cassandra_tokens[nodes[k]] = *token;
    }
    return absl::OkStatus();
  }

  std::vector<std::string> HostsWith(std::initializer_list<RoleKind> kinds) {
    std::vector<std::string> hosts;
    for (int i = 0; i < spec_.nodes_size(); ++i) {
      if (std::any_of(kinds.begin(), kinds.end(), [&](RoleKind k) { return Has(i, k); })) {
        hosts.push_back(HostOf(i));
      }
    }
    return hosts;
  }

  // The one BAM node that creates the registry schema: the toolbox
  // deployer's (the designated analyzer), else the first BAM node. O(nodes):
  // computed once, in Analyze.
  int SchemaNode() {
    for (int n : With(RoleKind::kBamAnalyzer)) {
      if (spec_.nodes(n).name() == spec_.bam().toolbox_deployer_node()) return n;
    }
    for (int n = 0; n < spec_.nodes_size(); ++n) {
      for (RoleKind k : topo_.roles[n]) {
        if (IsBamRole(k)) return n;
      }
    }
    return -1;
  }

  // The namenode's and the JobTracker's RPC endpoints (validated: one each
  // whenever a Hadoop role or an analyzer exists).
  v1::Endpoint NameNode() {
    return EndpointOf(HostOf(With(RoleKind::kNameNode).front()), spec_.hadoop().namenode_port());
  }

  v1::Endpoint JobTracker() {
    return EndpointOf(HostOf(With(RoleKind::kJobTracker).front()),
                      spec_.hadoop().jobtracker_port());
  }

  NodePlan CompileNode(int i) {
    const NodeSpec& node = spec_.nodes(i);
    NodePlan plan;
    plan.set_cluster_name(spec_.name());
    plan.set_node(node.name());
    plan.set_address(node.address());
    for (RoleKind kind : AllRoleKinds()) {
      if (Has(i, kind)) plan.add_roles(std::string(RoleName(kind)));
    }
    plan.set_manage_hosts_file(spec_.manage_hosts_file());
    for (const std::string& role : spec_.restart_on_config_change()) {
      std::optional<RoleKind> kind = ParseRoleName(role);
      if (kind && Has(i, *kind)) plan.add_restart_on_config_change(role);
    }
    for (const PortUse& use : PortsOfNode(spec_, node)) {
      v1::PortClaim* claim = plan.add_ports();
      claim->set_role(use.role);
      claim->set_name(use.name);
      claim->set_port(static_cast<uint32_t>(use.port));  // validated <= 65535
    }
    bool hadoop = false;
    bool bam = false;
    for (RoleKind kind : topo_.roles[i]) {
      hadoop = hadoop || IsHadoopRole(kind);
      bam = bam || IsBamRole(kind);
    }
    if (hadoop) CompileHadoop(i, plan.mutable_hadoop());
    if (Has(i, RoleKind::kZooKeeper)) CompileZooKeeper(i, plan.mutable_zookeeper());
    if (Has(i, RoleKind::kCassandra)) CompileCassandra(i, plan.mutable_cassandra());
    if (bam) CompileBam(i, plan.mutable_bam());
    return plan;
  }

  void CompileHadoop(int i, v1::HadoopPlan* out) {
    const auto& h = spec_.hadoop();
    out->set_home(h.home());
    out->set_user(h.user());
    out->set_java_home(h.java_home());
    out->set_heap_mb(h.heap_mb());
    *out->mutable_namenode() = NameNode();
    *out->mutable_jobtracker() = JobTracker();
    out->set_tmp_dir(h.tmp_dir());
    out->set_dfs_replication(h.dfs_replication());
    out->set_name_dir(h.name_dir());
    out->set_data_dir(h.data_dir());
    out->set_mapred_system_dir(h.mapred_system_dir());
    // The seed keeps masters/slaves only where the cluster scripts run and
    // clears them on every other node.
    if (Has(i, RoleKind::kNameNode) || Has(i, RoleKind::kJobTracker)) {
      for (const std::string& host : HostsWith({RoleKind::kSecondaryNameNode})) {
        out->add_masters(host);
      }
      for (const std::string& host : HostsWith({RoleKind::kDataNode, RoleKind::kTaskTracker})) {
        out->add_slaves(host);
      }
    }
    if (Has(i, RoleKind::kSecondaryNameNode)) out->set_job_submission_acl(h.job_submission_acl());
    out->set_namenode_http_port(h.namenode_http_port());
    out->set_secondary_http_port(h.secondary_http_port());
    out->set_jobtracker_http_port(h.jobtracker_http_port());
    out->set_datanode_port(h.datanode_port());
    out->set_datanode_http_port(h.datanode_http_port());
    out->set_datanode_ipc_port(h.datanode_ipc_port());
    out->set_tasktracker_http_port(h.tasktracker_http_port());
    out->set_safemode_extension_ms(h.safemode_extension_ms());
  }

  void CompileZooKeeper(int i, v1::ZooKeeperPlan* out) {
    const auto& z = spec_.zookeeper();
    out->set_home(z.home());
    out->set_user(z.user());
    out->set_java_home(z.java_home());
    out->set_data_dir(z.data_dir());
    out->set_myid(spec_.nodes(i).zookeeper_server_id());
    out->set_client_address(spec_.nodes(i).address());
    out->set_client_port(z.client_port());
    out->set_tick_time_ms(z.tick_time_ms());
    out->set_init_limit(z.init_limit());
    out->set_sync_limit(z.sync_limit());
    out->set_version(z.version());
    out->set_conf_dir(z.conf_dir());
    for (int m : topo_.zookeeper_by_id) {
      v1::ZooKeeperServer* server = out->add_servers();
      server->set_id(spec_.nodes(m).zookeeper_server_id());
      server->set_node(spec_.nodes(m).name());
      server->set_host(HostOf(m));
      server->set_peer_port(z.peer_port());
      server->set_election_port(z.election_port());
      server->set_client_port(z.client_port());
    }
  }

  void CompileCassandra(int i, v1::CassandraPlan* out) {
    const auto& c = spec_.cassandra();
    out->set_home(c.home());
    out->set_user(c.user());
    out->set_java_home(c.java_home());
    out->set_cluster_name(c.cluster_name());
    out->set_partitioner(std::string(PartitionerClassName(topo_.partitioner)));
    out->set_initial_token(topo_.cassandra_tokens[i]);
    for (const std::string& host : topo_.seed_hosts) out->add_seeds(host);
    out->set_listen_address(HostOf(i));
    out->set_rpc_address(HostOf(i));
    out->set_rpc_port(c.rpc_port());
    out->set_storage_port(c.storage_port());
    out->set_jmx_port(c.jmx_port());
    out->set_data_dir(c.data_dir());
    out->set_commitlog_dir(c.commitlog_dir());
    out->set_saved_caches_dir(c.saved_caches_dir());
    out->set_heap_mb(c.heap_mb());
    out->set_replication_factor(c.replication_factor());
  }

  void AddDataSource(const v1::DataSourceSpec& ds, absl::string_view name,
                     absl::string_view description, v1::BamPlan* out) {
    v1::DataSourcePlan* plan = out->add_datasources();
    plan->set_name(std::string(name));
    plan->set_description(std::string(description));
    plan->set_jndi_name(ds.jndi_name());
    plan->set_username(ds.username());
    plan->set_database(ds.database());
    plan->set_password_file(ds.password_file());
    plan->set_driver_class(ds.driver_class());
    plan->set_max_active(ds.max_active());
    plan->set_max_wait_ms(ds.max_wait_ms());
    plan->set_test_on_borrow(ds.test_on_borrow());
    plan->set_validation_query(ds.validation_query());
    plan->set_validation_interval_ms(ds.validation_interval_ms());
  }

  void CompileBam(int i, v1::BamPlan* out) {
    const auto& b = spec_.bam();
    const auto& c = spec_.cassandra();
    out->set_home(b.home());
    out->set_user(b.user());
    out->set_java_home(b.java_home());
    out->set_heap_mb(b.heap_mb());
    out->set_port_offset(b.port_offset());
    out->set_receiver(Has(i, RoleKind::kBamReceiver));
    out->set_analyzer(Has(i, RoleKind::kBamAnalyzer));
    out->set_dashboard(Has(i, RoleKind::kBamDashboard));
    out->set_keep_toolbox_deployer(out->analyzer() &&
                                   spec_.nodes(i).name() == b.toolbox_deployer_node());
    out->set_cassandra_cluster_name(c.cluster_name());
    for (int n : With(RoleKind::kCassandra)) {
      *out->add_cassandra_nodes() = EndpointOf(HostOf(n), c.rpc_port());
    }
    out->set_cassandra_default_port(c.rpc_port());
    out->set_replication_factor(c.replication_factor());
    out->set_read_consistency(c.read_consistency());
    out->set_write_consistency(c.write_consistency());
    out->set_strategy_class(c.strategy_class());
    AddDataSource(b.registry_datasource(), "WSO2_REG_DB", "The datasource used for config", out);
    AddDataSource(b.summary_datasource(), "WSO2BAM_DATASOURCE",
                  "The datasource used for registry and user manager", out);
    out->set_remote_registry_url(b.remote_registry_url());
    for (int n : topo_.zookeeper_by_id) {
      *out->add_coordination_servers() = EndpointOf(HostOf(n), spec_.zookeeper().client_port());
    }
    out->set_coordination_session_timeout_ms(b.coordination_session_timeout_ms());
    out->set_task_server_mode("CLUSTERED");
    out->set_task_server_count(b.task_server_count());
    out->set_hive_warehouse_dir(b.hive_warehouse_dir());
    if (out->analyzer()) {
      *out->mutable_namenode() = NameNode();
      *out->mutable_jobtracker() = JobTracker();
    }
    out->set_hive_aux_jars_path(topo_.hive_aux_jars_path);
    out->set_mysql_connector_jar(b.mysql_connector_jar());
    out->set_https_port(b.https_port() + b.port_offset());
    out->set_http_port(b.http_port() + b.port_offset());
    out->set_thrift_port(b.thrift_port() + b.port_offset());
    out->set_thrift_secure_port(b.thrift_secure_port() + b.port_offset());
    *out->mutable_mysql() = EndpointOf(spec_.mysql().host(), spec_.mysql().port());
    out->set_run_registry_schema(b.manage_registry_schema() && i == topo_.schema_node);
  }

  const ClusterSpec& spec_;
  Topology topo_;
};

}  // namespace

absl::StatusOr<v1::ClusterPlan> CompileTopology(const ClusterSpec& spec) {
  return Compiler(spec).Run();
}

}  // namespace bamctl
