#include "roles/cassandra/cassandra_driver.h"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "roles/cassandra/cassandra_env.h"
#include "roles/cassandra/cassandra_yaml.h"
#include "roles/driver/endpoint.h"

namespace bamctl {
namespace {

constexpr absl::string_view kStockYaml = "wso2-bam/cassandra.yaml";
constexpr absl::string_view kStockEnv = "apache-cassandra/cassandra-env.sh";
// Cassandra keeps a file open per SSTable and socket; its docs ask for a
// high limit, and the default 1024 makes a busy node fail.
constexpr uint64_t kNofileLimit = 100000;
// A drained node stops fast; an undrained one may replay its commit log.
constexpr int kStopTimeoutSeconds = 60;

absl::Status CheckPlan(const v1::NodePlan& node) {
  const v1::CassandraPlan& c = node.cassandra();
  if (c.home().empty() || c.home().front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("cassandra.home \"", c.home(), "\" is not an absolute path"));
  }
  if (c.user().empty()) return absl::InvalidArgumentError("cassandra.user is empty");
  if (node.address().empty()) return absl::InvalidArgumentError("the node has no address");
  // cassandra-env.sh wants both heap sizes set or neither; a zero young
  // generation is not a heap it can start with.
  if (c.heap_mb() / 4 == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("cassandra.heap_mb ", c.heap_mb(), " is too small to run Cassandra"));
  }
  if (c.jmx_port() == 0 || c.jmx_port() > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("cassandra.jmx_port ", c.jmx_port(), " is not a port (1-65535)"));
  }
  return absl::OkStatus();
}

// Whether the node binds or reaches a Cassandra address over IPv6.
bool UsesIpv6(const v1::NodePlan& node) {
  const v1::CassandraPlan& c = node.cassandra();
  bool ipv6 = IsIpv6Literal(node.address()) || IsIpv6Literal(c.listen_address()) ||
              IsIpv6Literal(c.rpc_address());
  for (const std::string& seed : c.seeds()) ipv6 = ipv6 || IsIpv6Literal(seed);
  return ipv6;
}

}  // namespace

absl::StatusOr<std::vector<ServiceDescription>> CassandraDriver::Describe(
    const v1::NodePlan& plan, absl::string_view root) const {
  if (!plan.has_cassandra()) return std::vector<ServiceDescription>();
  RETURN_IF_ERROR(Annotate(CheckPlan(plan), absl::StrCat("describe cassandra for ", plan.node())));
  const v1::CassandraPlan& c = plan.cassandra();
  ServiceDescription service;
  service.name = "cassandra";
  service.roles = {"cassandra"};

  Probe rpc;
  rpc.kind = Probe::Kind::kTcp;
  rpc.name = "rpc";
  rpc.host = plan.address();
  rpc.port = c.rpc_port();
  Probe storage = rpc;
  storage.name = "storage";
  storage.port = c.storage_port();
  service.probes = {std::move(rpc), std::move(storage)};

  // Losing more than one replica at a time breaks QUORUM at RF 3; draining
  // first flushes memtables so the restart does not replay the commit log.
  // Cassandra 1.x's nodetool pastes -h into "rmi://%s:%d", so an IPv6
  // address goes in brackets.
  RestartSafety& restart = service.restart;
  restart.group = "cassandra";
  restart.order = RestartSafety::Order::kOneAtATimeDrainFirst;
  restart.max_unavailable = 1;
  const std::vector<std::string> nodetool = {absl::StrCat(root, c.home(), "/bin/nodetool"), "-h",
                                             BracketedHost(plan.address()), "-p",
                                             absl::StrCat(c.jmx_port())};
  restart.pre_stop = {nodetool};
  restart.pre_stop.front().push_back("drain");
  // A node is back when gossip tells the others so: a restarted node whose
  // ports open but whose peers still mark it down takes no writes from them.
  restart.peer_view = nodetool;
  restart.peer_view.push_back("status");

  std::vector<ServiceDescription> services;
  services.push_back(std::move(service));
  return services;
}

absl::StatusOr<std::vector<ServiceSetup>> CassandraDriver::Setup(
    const v1::NodePlan& plan, const RenderContext& ctx,
    const std::vector<ServiceDescription>& services) const {
  if (services.empty()) return std::vector<ServiceSetup>();
  const std::string context = absl::StrCat("render cassandra for ", plan.node());
  const v1::CassandraPlan& c = plan.cassandra();

  const std::string yaml_path = ctx.Path(absl::StrCat(c.home(), "/conf/cassandra.yaml"));
  absl::StatusOr<std::string> current = ctx.ReadShippedFile(yaml_path, kStockYaml);
  if (!current.ok()) return Annotate(current.status(), context);
  // The directories Cassandra writes live under the root like every other
  // host path (the agent creates them there, below).
  v1::CassandraPlan rooted = c;
  rooted.set_data_dir(ctx.Path(c.data_dir()));
  rooted.set_commitlog_dir(ctx.Path(c.commitlog_dir()));
  rooted.set_saved_caches_dir(ctx.Path(c.saved_caches_dir()));
  absl::StatusOr<std::string> patched = PatchCassandraYaml(yaml_path, *current, rooted);
  if (!patched.ok()) return Annotate(patched.status(), context);

  ServiceSetup service;
  ConfigFile yaml;
  yaml.path = yaml_path;
  yaml.content = *std::move(patched);
  yaml.owner = c.user();  // like the install it sits in
  service.files.push_back(std::move(yaml));

  // The heap and the JMX port go where bin/cassandra reads them: the file
  // it sources. The drain before a restart connects to that JMX port.
  const std::string env_path = ctx.Path(absl::StrCat(c.home(), "/conf/cassandra-env.sh"));
  absl::StatusOr<std::string> env_text = ctx.ReadShippedFile(env_path, kStockEnv);
  if (!env_text.ok()) return Annotate(env_text.status(), context);
  absl::StatusOr<std::string> env =
      PatchCassandraEnv(env_path, *env_text, c.heap_mb(), c.jmx_port());
  if (!env.ok()) return Annotate(env.status(), context);
  ConfigFile env_file;
  env_file.path = env_path;
  env_file.content = *std::move(env);
  env_file.owner = c.user();
  service.files.push_back(std::move(env_file));

  // Cassandra creates missing directories itself only when it may write
  // their parents (/var/lib is root's); the agent creates them for it.
  for (const std::string& dir : {c.data_dir(), c.commitlog_dir(), c.saved_caches_dir()}) {
    service.directories.push_back({ctx.Path(dir), c.user(), 0750});
  }

  ProcessSpec& process = service.process;
  process.argv = {ctx.Path(absl::StrCat(c.home(), "/bin/cassandra")), "-f"};
  if (UsesIpv6(plan)) {
    // cassandra-env.sh puts -Djava.net.preferIPv4Stack=true into JVM_OPTS;
    // bin/cassandra passes its own -D options after JVM_OPTS, and the last
    // one wins, so the JVM can bind and reach IPv6 addresses.
    process.argv.emplace_back("-Djava.net.preferIPv4Stack=false");
  }
  process.env = {{"JAVA_HOME", ctx.Path(c.java_home())}};
  process.user = c.user();
  process.working_dir = ctx.Path(c.home());
  process.nofile_limit = kNofileLimit;
  process.stop_argv = {};  // SIGTERM: Cassandra's shutdown hook flushes
  process.stop_timeout_seconds = kStopTimeoutSeconds;

  std::vector<ServiceSetup> setups;
  setups.push_back(std::move(service));
  return setups;
}

}  // namespace bamctl
