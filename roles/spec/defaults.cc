#include "roles/spec/defaults.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace bamctl {
namespace {

using v1::ClusterSpec;
using v1::DataSourceSpec;

bool HasRole(const v1::NodeSpec& node, absl::string_view role) {
  for (const auto& r : node.roles()) {
    if (r == role) return true;
  }
  return false;
}

// Sets an optional field when it is unset: DEFAULT(msg, field, value).
#define DEFAULT(msg, field, value) \
  if (!(msg)->has_##field()) (msg)->set_##field(value)

void DefaultDataSource(DataSourceSpec* ds, absl::string_view database, absl::string_view user,
                       absl::string_view jndi) {
  DEFAULT(ds, database, std::string(database));
  DEFAULT(ds, jndi_name, std::string(jndi));
  DEFAULT(ds, username, std::string(user));
  DEFAULT(ds, driver_class, "com.mysql.jdbc.Driver");
  DEFAULT(ds, max_active, 50);
  DEFAULT(ds, max_wait_ms, 60000);
  DEFAULT(ds, test_on_borrow, true);
  DEFAULT(ds, validation_query, "SELECT 1");
  DEFAULT(ds, validation_interval_ms, 30000);
}

}  // namespace

void ApplyDefaults(ClusterSpec* spec) {
  DEFAULT(spec, render_addresses, false);
  DEFAULT(spec, manage_hosts_file, false);
  DEFAULT(spec, auto_rolling_restart, false);
  DEFAULT(spec, max_nodes_disrupted, 1);
  DEFAULT(spec, java_home, "/opt/java/jdk1.6.0_29");
  const std::string& java = spec->java_home();

  for (int i = 0; i < spec->nodes_size(); ++i) {
    v1::NodeSpec* node = spec->mutable_nodes(i);
    if (HasRole(*node, "zookeeper")) DEFAULT(node, zookeeper_server_id, i + 1);
  }

  v1::HadoopSpec* h = spec->mutable_hadoop();
  DEFAULT(h, home, "/home/hadoop/hadoop");
  DEFAULT(h, user, "hadoop");
  DEFAULT(h, java_home, java);
  DEFAULT(h, heap_mb, 1000);
  DEFAULT(h, dfs_replication, 1);
  DEFAULT(h, tmp_dir, "/tmp/hadoop");
  DEFAULT(h, name_dir, absl::StrCat(h->home(), "/dfs/name"));
  DEFAULT(h, data_dir, absl::StrCat(h->home(), "/dfs/data"));
  DEFAULT(h, mapred_system_dir, absl::StrCat(h->home(), "/mapred/system"));
  DEFAULT(h, job_submission_acl, "hadoop");
  DEFAULT(h, namenode_port, 9000);
  DEFAULT(h, namenode_http_port, 50070);
  DEFAULT(h, secondary_http_port, 50090);
  DEFAULT(h, jobtracker_port, 9001);
  DEFAULT(h, jobtracker_http_port, 50030);
  DEFAULT(h, datanode_port, 50010);
  DEFAULT(h, datanode_http_port, 50075);
  DEFAULT(h, datanode_ipc_port, 50020);
  DEFAULT(h, tasktracker_http_port, 50060);
  DEFAULT(h, safemode_extension_ms, 30000);

  v1::CassandraSpec* c = spec->mutable_cassandra();
  DEFAULT(c, home, "/opt/cassandra");
  DEFAULT(c, user, "cassandra");
  DEFAULT(c, java_home, java);
  DEFAULT(c, cluster_name, "Test Cluster");
  DEFAULT(c, partitioner, "org.apache.cassandra.dht.RandomPartitioner");
  DEFAULT(c, rpc_port, 9160);
  DEFAULT(c, storage_port, 7000);
  DEFAULT(c, jmx_port, 7199);
  DEFAULT(c, replication_factor, 3);
  DEFAULT(c, read_consistency, "QUORUM");
  DEFAULT(c, write_consistency, "QUORUM");
  DEFAULT(c, strategy_class, "org.apache.cassandra.locator.SimpleStrategy");
  DEFAULT(c, heap_mb, 2048);
  DEFAULT(c, data_dir, "/var/lib/cassandra/data");
  DEFAULT(c, commitlog_dir, "/var/lib/cassandra/commitlog");
  DEFAULT(c, saved_caches_dir, "/var/lib/cassandra/saved_caches");
  if (c->seeds().empty()) {
    for (const auto& node : spec->nodes()) {
      if (HasRole(node, "cassandra")) {
        c->add_seeds(node.name());
        break;
      }
    }
  }

  v1::ZooKeeperSpec* z = spec->mutable_zookeeper();
  DEFAULT(z, home, "/opt/zookeeper");
  DEFAULT(z, user, "zookeeper");
  DEFAULT(z, java_home, java);
  DEFAULT(z, data_dir, absl::StrCat(z->home(), "/data"));
  DEFAULT(z, client_port, 2181);
  DEFAULT(z, peer_port, 2888);
  DEFAULT(z, election_port, 3888);
  DEFAULT(z, tick_time_ms, 2000);
  DEFAULT(z, init_limit, 5);
  DEFAULT(z, sync_limit, 2);
  DEFAULT(z, version, "3.3.6");
  DEFAULT(z, conf_dir, absl::StrCat(z->home(), "/conf"));

  v1::BamSpec* b = spec->mutable_bam();
  DEFAULT(b, home, "/opt/wso2bam");
  DEFAULT(b, user, "wso2");
  DEFAULT(b, java_home, java);
  DEFAULT(b, port_offset, 0);
  DEFAULT(b, heap_mb, 2048);
  if (!b->has_toolbox_deployer_node()) {
    for (const auto& node : spec->nodes()) {
      if (HasRole(node, "bam-analyzer")) {
        b->set_toolbox_deployer_node(node.name());
        break;
      }
    }
  }
  DEFAULT(b, task_server_count, 1);
  DEFAULT(b, coordination_session_timeout_ms, 5000);
  DEFAULT(b, hive_warehouse_dir, "/user/hive/warehouse");
  DEFAULT(b, mysql_connector_jar, "mysql-connector-java-5.1.5-bin.jar");
  DEFAULT(b, remote_registry_url, "https://localhost:9443/registry");
  DefaultDataSource(b->mutable_registry_datasource(), "regdb", "reg_user", "jdbc/WSO2RegDB");
  DefaultDataSource(b->mutable_summary_datasource(), "bamdb", "bam_user", "jdbc/WSO2BamDataSource");
  DEFAULT(b, https_port, 9443);
  DEFAULT(b, http_port, 9763);
  DEFAULT(b, thrift_port, 7611);
  DEFAULT(b, thrift_secure_port, 7711);
  DEFAULT(b, manage_registry_schema, false);

  DEFAULT(spec->mutable_mysql(), port, 3306);
}

#undef DEFAULT

}  // namespace bamctl
