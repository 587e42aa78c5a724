#include "roles/zookeeper/zookeeper_driver.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/escape.h"
#include "roles/driver/endpoint.h"
#include "roles/spec/version.h"

namespace bamctl {
namespace {

constexpr char kHeader[] =
    "# Managed by bamctl (bam-agentd): rendered from the cluster spec.\n"
    "# Local edits are detected and replaced; change the spec instead.\n";

// Debian installs the server jar (whose manifest names its dependencies)
// under /usr/share/java; release tarballs keep jars in <home> and <home>/lib.
std::string ClassPath(const v1::ZooKeeperPlan& zk, const RenderContext& ctx) {
  std::vector<std::string> entries = {ctx.Path(zk.conf_dir()), ctx.Path(zk.home()) + "/*",
                                      ctx.Path(zk.home()) + "/lib/*"};
  if (zk.home() == "/usr/share/zookeeper") {
    entries.push_back(ctx.Path("/usr/share/java/zookeeper.jar"));
  }
  return absl::StrJoin(entries, ":");
}

}  // namespace

absl::StatusOr<std::string> RenderZooCfg(const v1::ZooKeeperPlan& zk, const RenderContext& ctx) {
  std::optional<Version> version = ParseVersion(zk.version());
  if (!version) {
    return absl::InvalidArgumentError(
        absl::StrCat("zookeeper version \"", zk.version(), "\" is not a release number"));
  }
  std::string cfg = kHeader;
  absl::StrAppend(&cfg, "# ZooKeeper ", zk.version(), ", server ", zk.myid(), "\n");
  absl::StrAppend(&cfg, "tickTime=", zk.tick_time_ms(), "\n");
  absl::StrAppend(&cfg, "initLimit=", zk.init_limit(), "\n");
  absl::StrAppend(&cfg, "syncLimit=", zk.sync_limit(), "\n");
  absl::StrAppend(&cfg, "dataDir=", PropertiesValue(ctx.Path(zk.data_dir())), "\n");
  absl::StrAppend(&cfg, "clientPort=", zk.client_port(), "\n");
  // Bind the client port to this node's address only (3.3.0+). ZooKeeper
  // resolves the value whole, so an IPv6 address goes in bare.
  absl::StrAppend(&cfg, "clientPortAddress=", PropertiesValue(zk.client_address()), "\n");
  for (const v1::ZooKeeperServer& s : zk.servers()) {
    if (IsIpv6Literal(s.host()) && !ZooKeeperTakesIpv6Servers(*version)) {
      return absl::InvalidArgumentError(
          absl::StrCat("server.", s.id(), " is the IPv6 address ", s.host(), ", which ZooKeeper ",
                       zk.version(), " cannot read in zoo.cfg (3.4.9+ in 3.4, 3.5.7+ can)"));
    }
    absl::StrAppend(&cfg, "server.", s.id(), "=", HostPort(s.host(), s.peer_port()), ":",
                    s.election_port(), "\n");
  }
  if (*version >= Version{3, 4, 10}) {
    // Probes and the rollout engine speak these four-letter words (cons:
    // which client holds a session, to find the BAM analyzer holding the
    // tasks); 3.4.10+ refuses any that are not whitelisted.
    absl::StrAppend(&cfg, "4lw.commands.whitelist=ruok,srvr,stat,mntr,cons\n");
  }
  if (*version >= Version{3, 5, 0}) {
    // The AdminServer would bind 0.0.0.0:8080: wider than configured, and a
    // port clash for several servers on one machine. Nothing here uses it.
    absl::StrAppend(&cfg, "admin.enableServer=false\n");
  }
  return cfg;
}

absl::StatusOr<std::vector<ServiceDescription>> ZooKeeperDriver::Describe(
    const v1::NodePlan& plan, absl::string_view /*root*/) const {
  std::vector<ServiceDescription> services;
  if (!plan.has_zookeeper()) return services;
  const v1::ZooKeeperPlan& zk = plan.zookeeper();
  ServiceDescription s;
  s.name = "zookeeper";
  s.roles = {"zookeeper"};
  s.probes.push_back({Probe::Kind::kZooKeeper, "ruok", zk.client_address(), zk.client_port(), ""});
  s.restart.group = "zookeeper";
  s.restart.order = RestartSafety::Order::kFollowersBeforeLeader;
  s.restart.max_unavailable = 1;
  services.push_back(std::move(s));
  return services;
}

absl::StatusOr<std::vector<ServiceSetup>> ZooKeeperDriver::Setup(
    const v1::NodePlan& plan, const RenderContext& ctx,
    const std::vector<ServiceDescription>& services) const {
  std::vector<ServiceSetup> setups;
  if (services.empty()) return setups;
  const v1::ZooKeeperPlan& zk = plan.zookeeper();
  ServiceSetup s;

  absl::StatusOr<std::string> cfg = RenderZooCfg(zk, ctx);
  if (!cfg.ok()) return cfg.status();
  const std::string cfg_path = ctx.Path(zk.conf_dir()) + "/zoo.cfg";
  s.files.push_back({cfg_path, *cfg, 0644, zk.user(), false});
  s.files.push_back(
      {ctx.Path(zk.data_dir()) + "/myid", absl::StrCat(zk.myid(), "\n"), 0644, zk.user(), false});

  // The server writes snapshots and logs there as its own user.
  s.directories.push_back({ctx.Path(zk.data_dir()), zk.user(), 0750});

  s.process.argv = {ctx.Path(zk.java_home()) + "/bin/java",
                    "-cp",
                    ClassPath(zk, ctx),
                    "-Dzookeeper.log.dir=" + ctx.Path(zk.data_dir()),
                    "-Dzookeeper.root.logger=INFO,CONSOLE",
                    "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                    cfg_path};
  s.process.env = {{"JAVA_HOME", ctx.Path(zk.java_home())}};
  s.process.user = zk.user();
  s.process.working_dir = ctx.Path(zk.data_dir());
  s.process.nofile_limit = 65536;
  s.process.stop_timeout_seconds = 30;
  setups.push_back(std::move(s));
  return setups;
}

}  // namespace bamctl
