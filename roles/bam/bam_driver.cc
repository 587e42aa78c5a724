#include "roles/bam/bam_driver.h"

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "common/escape.h"
#include "common/status_macros.h"
#include "roles/driver/endpoint.h"
#include "roles/patch/xml_patch.h"

namespace bamctl {
namespace {

using patch::EnsureChild;
using patch::InsertElement;
using patch::PatchXmlText;
using patch::RemoveElement;
using patch::SetChildText;
using patch::SetHadoopProperty;
using patch::SetXmlAttribute;
using patch::SetXmlText;
using patch::UpsertElementByAttribute;
using patch::UpsertElementByChild;
using patch::XmlDocument;

// Starting points for files a host may lack: the patch then fills them in,
// so generating and patching are one code path.
constexpr absl::string_view kStreamDefnSkeleton = "<StreamDefinition>\n</StreamDefinition>\n";
constexpr absl::string_view kCoordinationSkeleton =
    "<CoordinationClientConfiguration>\n</CoordinationClientConfiguration>\n";
constexpr absl::string_view kHiveSiteSkeleton =
    "<?xml version=\"1.0\"?>\n<configuration>\n</configuration>\n";

std::string ConfPath(const v1::BamPlan& b, const RenderContext& ctx, absl::string_view rel) {
  return ctx.Path(absl::StrCat(b.home(), "/repository/conf/", rel));
}

absl::Status ExpectRoot(const XmlDocument& doc, absl::string_view name) {
  if (name == doc.root().name()) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("expected root element <", name, ">, found <", doc.root().name(), ">"));
}

// The host's copy of a file the product may not ship, or `skeleton`.
absl::StatusOr<std::string> ReadOrSkeleton(const RenderContext& ctx, const std::string& path,
                                           absl::string_view skeleton) {
  absl::StatusOr<std::optional<std::string>> current = ctx.ReadHostFile(path);
  if (!current.ok()) return current.status();
  return current->value_or(std::string(skeleton));
}

// An analyzer's Hive submits to the Hadoop cluster: it needs both endpoints.
absl::Status CheckHadoopEndpoints(const v1::BamPlan& b) {
  if (b.namenode().host().empty() || b.namenode().port() == 0 || b.jobtracker().host().empty() ||
      b.jobtracker().port() == 0) {
    return absl::FailedPreconditionError(
        "an analyzer needs the Hadoop cluster's namenode and jobtracker endpoints");
  }
  return absl::OkStatus();
}

absl::Status PatchCarbon(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "Server"));
  return SetChildText(doc.root(), "Ports/Offset", absl::StrCat(b.port_offset()));
}

absl::Status PatchCassandraComponent(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "Cassandra"));
  pugi::xml_node cluster = EnsureChild(doc.root(), "Cluster");
  RETURN_IF_ERROR(SetXmlText(EnsureChild(cluster, "Name"), b.cassandra_cluster_name()));
  RETURN_IF_ERROR(SetXmlText(
      EnsureChild(cluster, "Nodes", "Name"),
      absl::StrJoin(b.cassandra_nodes(), ",", [](std::string* out, const v1::Endpoint& node) {
        out->append(HostPort(node));
      })));
  RETURN_IF_ERROR(SetXmlText(EnsureChild(cluster, "DefaultPort", "Nodes"),
                             absl::StrCat(b.cassandra_default_port())));
  pugi::xml_node discovery = EnsureChild(cluster, "AutoDiscovery", "DefaultPort");
  RETURN_IF_ERROR(SetXmlAttribute(discovery, "disable", "false"));
  return SetXmlAttribute(discovery, "delay", "1000");
}

absl::Status PatchStreamDefn(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "StreamDefinition"));
  pugi::xml_node root = doc.root();
  RETURN_IF_ERROR(SetChildText(root, "ReplicationFactor", absl::StrCat(b.replication_factor())));
  RETURN_IF_ERROR(SetChildText(root, "ReadConsistencyLevel", b.read_consistency()));
  RETURN_IF_ERROR(SetChildText(root, "WriteConsistencyLevel", b.write_consistency()));
  return SetChildText(root, "StrategyClass", b.strategy_class());
}

absl::Status PatchDataSource(const v1::BamPlan& b, const v1::DataSourcePlan& ds,
                             const std::string& password, pugi::xml_node d) {
  RETURN_IF_ERROR(SetXmlText(EnsureChild(d, "description", "name"), ds.description()));
  pugi::xml_node jndi = EnsureChild(d, "jndiConfig", "description");
  RETURN_IF_ERROR(SetChildText(jndi, "name", ds.jndi_name()));
  pugi::xml_node definition = EnsureChild(d, "definition", "jndiConfig");
  RETURN_IF_ERROR(SetXmlAttribute(definition, "type", "RDBMS"));
  pugi::xml_node config = EnsureChild(definition, "configuration");
  const std::pair<absl::string_view, std::string> values[] = {
      {"url", Url("jdbc:mysql", b.mysql(), absl::StrCat("/", ds.database()))},
      {"username", ds.username()},
      {"password", password},
      {"driverClassName", ds.driver_class()},
      {"maxActive", absl::StrCat(ds.max_active())},
      {"maxWait", absl::StrCat(ds.max_wait_ms())},
      {"testOnBorrow", ds.test_on_borrow() ? "true" : "false"},
      {"validationQuery", ds.validation_query()},
      {"validationInterval", absl::StrCat(ds.validation_interval_ms())},
  };
  for (const auto& [name, value] : values) RETURN_IF_ERROR(SetChildText(config, name, value));
  return absl::OkStatus();
}

absl::Status PatchMasterDataSources(const v1::BamPlan& b, const std::vector<std::string>& passwords,
                                    XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "datasources-configuration"));
  pugi::xml_node list = EnsureChild(doc.root(), "datasources");
  for (int i = 0; i < b.datasources_size(); ++i) {
    const v1::DataSourcePlan& ds = b.datasources(i);
    RETURN_IF_ERROR(UpsertElementByChild(
        list, "datasource", "name", ds.name(),
        [&](pugi::xml_node d) { return PatchDataSource(b, ds, passwords[i], d); }));
  }
  return absl::OkStatus();
}

constexpr absl::string_view kRegistryDbConfig = "wso2GReg";
constexpr absl::string_view kRegistryInstance = "registryInstance";
constexpr absl::string_view kRegistryDataSource = "WSO2_REG_DB";

absl::Status PatchRegistry(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "wso2registry"));
  const v1::DataSourcePlan* reg = nullptr;
  for (const v1::DataSourcePlan& ds : b.datasources()) {
    if (ds.name() == kRegistryDataSource) reg = &ds;
  }
  if (reg == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("the plan has no ", kRegistryDataSource,
                                                      " datasource for the shared registry"));
  }
  pugi::xml_node root = doc.root();
  RETURN_IF_ERROR(UpsertElementByAttribute(
      root, "dbConfig", "name", kRegistryDbConfig,
      [&](pugi::xml_node c) { return SetChildText(c, "dataSource", reg->jndi_name()); }));
  RETURN_IF_ERROR(
      UpsertElementByChild(root, "remoteInstance", "id", kRegistryInstance, [&](pugi::xml_node r) {
        RETURN_IF_ERROR(SetXmlAttribute(r, "url", b.remote_registry_url()));
        RETURN_IF_ERROR(SetChildText(r, "dbConfig", kRegistryDbConfig));
        RETURN_IF_ERROR(SetChildText(r, "readOnly", "false"));
        return SetChildText(r, "registryRoot", "/");
      }));
  // The guide's mounts replace the stock ones of the same paths: a second
  // mount of a path would be ambiguous.
  for (absl::string_view path : {"/_system/config", "/_system/governance"}) {
    RETURN_IF_ERROR(UpsertElementByAttribute(root, "mount", "path", path, [&](pugi::xml_node m) {
      RETURN_IF_ERROR(SetXmlAttribute(m, "overwrite", "true"));
      RETURN_IF_ERROR(SetChildText(m, "instanceId", kRegistryInstance));
      return SetChildText(m, "targetPath", path);
    }));
  }
  return absl::OkStatus();
}

absl::Status PatchCoordination(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "CoordinationClientConfiguration"));
  pugi::xml_node root = doc.root();
  RETURN_IF_ERROR(SetXmlAttribute(root, "enabled", "true"));
  pugi::xml_node servers = EnsureChild(root, "Servers");
  // Existing <Server> elements are reused in order (keeping their layout);
  // the rest are added or removed.
  std::vector<pugi::xml_node> existing;
  for (pugi::xml_node s = servers.child("Server"); s; s = s.next_sibling("Server")) {
    existing.push_back(s);
  }
  pugi::xml_node last;
  for (int i = 0; i < b.coordination_servers_size(); ++i) {
    const v1::Endpoint& cs = b.coordination_servers(i);
    pugi::xml_node s = static_cast<size_t>(i) < existing.size()
                           ? existing[i]
                           : InsertElement(servers, "Server", last);
    // BAM joins host + ":" + port into ZooKeeper's connect string, which
    // the client splits at the last ':': an IPv6 host needs its brackets.
    RETURN_IF_ERROR(SetXmlAttribute(s, "host", BracketedHost(cs.host())));
    RETURN_IF_ERROR(SetXmlAttribute(s, "port", absl::StrCat(cs.port())));
    last = s;
  }
  for (size_t i = b.coordination_servers_size(); i < existing.size(); ++i) {
    RemoveElement(existing[i]);
  }
  return SetXmlText(EnsureChild(root, "SessionTimeout", "Servers"),
                    absl::StrCat(b.coordination_session_timeout_ms()));
}

// Tomcat's connectors (the console's HTTP and HTTPS) bind every interface
// unless given an address: the node's, bare (Tomcat reads an IPv6 literal
// without brackets).
absl::Status PatchCatalina(const std::string& address, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "Server"));
  int connectors = 0;
  for (pugi::xml_node service = doc.root().child("Service"); service;
       service = service.next_sibling("Service")) {
    for (pugi::xml_node c = service.child("Connector"); c; c = c.next_sibling("Connector")) {
      RETURN_IF_ERROR(SetXmlAttribute(c, "address", address));
      ++connectors;
    }
  }
  if (connectors == 0) {
    return absl::FailedPreconditionError(
        "no <Service><Connector> to bind (Carbon ships the HTTP and HTTPS connectors here)");
  }
  return absl::OkStatus();
}

absl::Status PatchTasksConfig(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(ExpectRoot(doc, "tasks-configuration"));
  RETURN_IF_ERROR(SetChildText(doc.root(), "taskServerMode", b.task_server_mode()));
  return SetChildText(doc.root(), "taskServerCount", absl::StrCat(b.task_server_count()));
}

absl::Status PatchHiveSite(const v1::BamPlan& b, XmlDocument& doc) {
  RETURN_IF_ERROR(CheckHadoopEndpoints(b));
  const std::string fs_default_name = Url("hdfs", b.namenode());
  const std::string job_tracker = HostPort(b.jobtracker());
  const std::pair<absl::string_view, absl::string_view> properties[] = {
      {"hadoop.embedded.local.mode", "false"},
      {"hive.metastore.warehouse.dir", b.hive_warehouse_dir()},
      {"fs.default.name", fs_default_name},
      {"mapred.job.tracker", job_tracker},
      {"hive.aux.jars.path", b.hive_aux_jars_path()},
  };
  for (const auto& [name, value] : properties) {
    RETURN_IF_ERROR(SetHadoopProperty(doc, name, value));
  }
  return absl::OkStatus();
}

std::vector<std::string> ServedRoles(const v1::BamPlan& b) {
  std::vector<std::string> roles;
  if (b.receiver()) roles.emplace_back("bam-receiver");
  if (b.analyzer()) roles.emplace_back("bam-analyzer");
  if (b.dashboard()) roles.emplace_back("bam-dashboard");
  return roles;
}

}  // namespace

namespace {

// Analyzer step 5: dbscripts/mysql.sql run once as the registry user. The
// password goes into a 0600 client options file, never onto a command line
// (which any user could read in /proc).
absl::Status AddRegistrySchemaStep(const v1::BamPlan& b, const RenderContext& ctx,
                                   ServiceSetup* s) {
  const v1::DataSourcePlan* registry = nullptr;
  for (const v1::DataSourcePlan& ds : b.datasources()) {
    if (ds.name() == "WSO2_REG_DB") registry = &ds;
  }
  if (registry == nullptr) {
    return absl::FailedPreconditionError("registry schema: the plan has no WSO2_REG_DB");
  }
  absl::StatusOr<std::string> password = ctx.secrets->Read(registry->password_file());
  if (!password.ok()) return Annotate(password.status(), "registry schema");
  const std::string cnf =
      ctx.Path(absl::StrCat(b.home(), "/repository/conf/bamctl-registry-db.cnf"));
  ConfigFile options;
  options.path = cnf;
  options.content = absl::StrCat(
      "# Managed by bamctl: MySQL client options for creating the registry schema.\n[client]\n",
      "host=", MySqlOptionValue(b.mysql().host()), "\nport=", b.mysql().port(),
      "\nuser=", MySqlOptionValue(registry->username()), "\npassword=", MySqlOptionValue(*password),
      "\n");
  options.owner = b.user();
  options.mode = 0600;
  options.secret = true;
  s->files.push_back(std::move(options));

  const std::string script = ctx.Path(absl::StrCat(b.home(), "/dbscripts/mysql.sql"));
  const std::string marker =
      ctx.Path(absl::StrCat(b.home(), "/repository/conf/.bamctl-registry-schema.done"));
  InitStep step;
  step.name = "registry-schema";
  step.argv = {"/bin/sh", "-c",
               absl::StrCat("mysql --defaults-extra-file=", ShellQuote(cnf), " ",
                            ShellQuote(registry->database()), " < ", ShellQuote(script),
                            " && touch ", ShellQuote(marker))};
  step.user = b.user();
  step.done_marker = marker;
  s->init_steps.push_back(std::move(step));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<ServiceDescription>> BamDriver::Describe(
    const v1::NodePlan& plan, absl::string_view /*root*/) const {
  if (!plan.has_bam()) return std::vector<ServiceDescription>();
  const v1::BamPlan& b = plan.bam();
  ServiceDescription s;
  s.name = "bam";
  s.roles = ServedRoles(b);
  if (s.roles.empty()) return std::vector<ServiceDescription>();

  // The management console is TLS-only on https_port (a TCP connect is
  // all a plain probe can check); on http_port /carbon/ answers with a
  // redirect to it once the web app is up.
  if (b.receiver()) {
    s.probes.push_back({Probe::Kind::kTcp, "thrift", plan.address(), b.thrift_port(), ""});
  }
  s.probes.push_back({Probe::Kind::kTcp, "https", plan.address(), b.https_port(), ""});
  s.probes.push_back({Probe::Kind::kHttp, "console", plan.address(), b.http_port(), "/carbon/"});

  // Any one Cassandra node serves the BAM's Hector client; the analyzers'
  // coordination needs a ZooKeeper quorum and Hive the JobTracker.
  Dependency cassandra{"cassandra", {}, 1};
  for (const v1::Endpoint& node : b.cassandra_nodes()) {
    cassandra.probes.push_back({Probe::Kind::kTcp, "cassandra", node.host(), node.port(), ""});
  }
  if (b.analyzer()) {
    RETURN_IF_ERROR(CheckHadoopEndpoints(b));
    s.restart.group = "bam-analyzer";
    s.restart.order = RestartSafety::Order::kStandbyBeforeActive;
    Dependency zookeeper{"zookeeper", {}, b.coordination_servers_size() / 2 + 1};
    for (const v1::Endpoint& zk : b.coordination_servers()) {
      zookeeper.probes.push_back({Probe::Kind::kZooKeeper, "zookeeper", zk.host(), zk.port(), ""});
    }
    if (!zookeeper.probes.empty()) s.depends_on.push_back(std::move(zookeeper));
    if (!cassandra.probes.empty()) s.depends_on.push_back(std::move(cassandra));
    s.depends_on.push_back(
        {"jobtracker",
         {{Probe::Kind::kTcp, "jobtracker", b.jobtracker().host(), b.jobtracker().port(), ""}},
         1});
  } else {
    s.restart.group = "bam";
    s.restart.order = RestartSafety::Order::kAnyOrder;
    if (!cassandra.probes.empty()) s.depends_on.push_back(std::move(cassandra));
  }
  s.restart.max_unavailable = 1;

  std::vector<ServiceDescription> services;
  services.push_back(std::move(s));
  return services;
}

absl::StatusOr<std::vector<ServiceSetup>> BamDriver::Setup(
    const v1::NodePlan& plan, const RenderContext& ctx,
    const std::vector<ServiceDescription>& services) const {
  if (services.empty()) return std::vector<ServiceSetup>();
  const v1::BamPlan& b = plan.bam();
  ServiceSetup s;
  if (b.home().empty() || b.user().empty()) {
    return absl::FailedPreconditionError("the BAM plan has no home or user");
  }

  // The datasources' passwords, in plan order.
  std::vector<std::string> passwords;
  for (const v1::DataSourcePlan& ds : b.datasources()) {
    if (ctx.secrets == nullptr) {
      return absl::FailedPreconditionError("rendering BAM datasources needs a secret source");
    }
    if (ds.password_file().empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("datasource ", ds.name(), " has no password_file"));
    }
    absl::StatusOr<std::string> secret = ctx.secrets->Read(ds.password_file());
    if (!secret.ok()) {
      return Annotate(secret.status(), absl::StrCat("password of datasource ", ds.name()));
    }
    passwords.push_back(*std::move(secret));
  }

  // Shipped files patched in place, and files the host may lack.
  struct FileJob {
    const char* rel;    // under <home>/repository/conf
    const char* stock;  // stock copy, or nullptr: generated from `skeleton` when missing
    absl::string_view skeleton;
    bool analyzer_only;
    bool secret;
    std::function<absl::Status(XmlDocument&)> patch;
  };
  const FileJob jobs[] = {
      {"carbon.xml",
       "wso2-bam/carbon.xml",
       {},
       false,
       false,
       [&](XmlDocument& d) { return PatchCarbon(b, d); }},
      {"cassandra-component.xml",
       "wso2-bam/cassandra-component.xml",
       {},
       false,
       false,
       [&](XmlDocument& d) { return PatchCassandraComponent(b, d); }},
      {"advanced/streamdefn.xml", nullptr, kStreamDefnSkeleton, false, false,
       [&](XmlDocument& d) { return PatchStreamDefn(b, d); }},
      {"datasources/master-datasources.xml",
       "wso2-carbon-kernel/master-datasources.xml",
       {},
       false,
       true,
       [&](XmlDocument& d) { return PatchMasterDataSources(b, passwords, d); }},
      {"registry.xml",
       "wso2-carbon-kernel/registry.xml",
       {},
       false,
       false,
       [&](XmlDocument& d) { return PatchRegistry(b, d); }},
      {"tomcat/catalina-server.xml",
       "wso2-carbon-kernel/catalina-server.xml",
       {},
       false,
       false,
       [&](XmlDocument& d) { return PatchCatalina(plan.address(), d); }},
      {"etc/coordination-client-config.xml", nullptr, kCoordinationSkeleton, true, false,
       [&](XmlDocument& d) { return PatchCoordination(b, d); }},
      {"etc/tasks-config.xml",
       "wso2-bam/tasks-config.das-clustering-template.xml",
       {},
       true,
       false,
       [&](XmlDocument& d) { return PatchTasksConfig(b, d); }},
      {"advanced/hive-site.xml", nullptr, kHiveSiteSkeleton, true, false,
       [&](XmlDocument& d) { return PatchHiveSite(b, d); }},
  };
  for (const FileJob& job : jobs) {
    if (job.analyzer_only && !b.analyzer()) continue;
    const std::string path = ConfPath(b, ctx, job.rel);
    absl::StatusOr<std::string> base = job.stock != nullptr
                                           ? ctx.ReadShippedFile(path, job.stock)
                                           : ReadOrSkeleton(ctx, path, job.skeleton);
    if (!base.ok()) return Annotate(base.status(), job.rel);
    absl::StatusOr<std::string> content = PatchXmlText(*base, job.rel, job.patch);
    if (!content.ok()) return content.status();
    // The tasks-config template's placeholder must not reach a server.
    if (absl::StrContains(*content, "[[[")) {
      return absl::FailedPreconditionError(
          absl::StrCat(job.rel, ": unfilled template placeholder left in the file"));
    }
    ConfigFile file;
    file.path = path;
    file.content = *std::move(content);
    file.owner = b.user();
    file.secret = job.secret;
    file.mode = job.secret ? 0600 : 0644;
    s.files.push_back(std::move(file));
  }

  // Two task-holding deployers break Hive task fail-over (the guide removes
  // the feature from node2); the bundles are what the feature installs.
  if (b.analyzer() && !b.keep_toolbox_deployer()) {
    for (const std::string& bundle : options_.toolbox_deployer_bundles) {
      s.remove_paths.push_back(
          ctx.Path(absl::StrCat(b.home(), "/repository/components/plugins/", bundle)));
    }
  }

  if (b.run_registry_schema()) {
    absl::Status added = AddRegistrySchemaStep(b, ctx, &s);
    if (!added.ok()) return added;
  }

  // Heap from the plan (the validator warns below the guide's 2 GB);
  // wso2server.sh appends JAVA_OPTS after its own -Xmx, and the last wins.
  const uint32_t heap_mb = b.heap_mb() > 0 ? b.heap_mb() : 2048;
  s.process.argv = {ctx.Path(absl::StrCat(b.home(), "/bin/wso2server.sh")),
                    "-Ddisable.cassandra.server.startup=true"};
  s.process.env = {{"JAVA_HOME", ctx.Path(b.java_home())},
                   {"JAVA_OPTS", absl::StrCat("-Xms", heap_mb, "m -Xmx", heap_mb, "m")}};
  s.process.user = b.user();
  s.process.working_dir = ctx.Path(b.home());
  s.process.nofile_limit = 65536;
  s.process.stop_timeout_seconds = 120;

  std::vector<ServiceSetup> setups;
  setups.push_back(std::move(s));
  return setups;
}

}  // namespace bamctl
