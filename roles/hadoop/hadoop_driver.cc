#include "roles/hadoop/hadoop_driver.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/escape.h"
#include "roles/driver/endpoint.h"
#include "roles/patch/xml_patch.h"

namespace bamctl {
namespace {

constexpr char kManagedComment[] =
    "<!-- Managed by bamctl (bam-agentd): rendered from the cluster spec.\n"
    "     Local edits are detected and replaced; change the spec instead. -->\n";

std::string Lines(const google::protobuf::RepeatedPtrField<std::string>& lines) {
  std::string out;
  for (const std::string& line : lines) absl::StrAppend(&out, line, "\n");
  return out;
}

// The role name of each daemon, as `bin/hadoop <command>` takes it.
struct Daemon {
  absl::string_view role;
  absl::string_view command;
};
constexpr Daemon kDaemons[] = {
    {"namenode", "namenode"},       {"secondarynamenode", "secondarynamenode"},
    {"jobtracker", "jobtracker"},   {"datanode", "datanode"},
    {"tasktracker", "tasktracker"},
};

const Daemon* FindDaemon(absl::string_view role) {
  for (const Daemon& daemon : kDaemons) {
    if (daemon.role == role) return &daemon;
  }
  return nullptr;
}

bool HasRole(const v1::NodePlan& plan, absl::string_view role) {
  for (const std::string& r : plan.roles()) {
    if (r == role) return true;
  }
  return false;
}

// Hadoop 1.x reads "host:port" up to the first ':' and its scripts run the
// JVM with java.net.preferIPv4Stack=true: no IPv6 address can work.
absl::Status CheckIpv4(const v1::NodePlan& plan) {
  const v1::HadoopPlan& h = plan.hadoop();
  const std::pair<absl::string_view, absl::string_view> hosts[] = {
      {"the node's address", plan.address()},
      {"the namenode", h.namenode().host()},
      {"the jobtracker", h.jobtracker().host()},
  };
  for (const auto& [what, host] : hosts) {
    if (IsIpv6Literal(host)) {
      return absl::InvalidArgumentError(absl::StrCat("hadoop on ", plan.node(), ": ", what, " ",
                                                     host,
                                                     " is an IPv6 address; Hadoop 1.x has no "
                                                     "IPv6 support"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string HadoopConfigXml(const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string xml = "<?xml version=\"1.0\"?>\n";
  absl::StrAppend(&xml, "<?xml-stylesheet type=\"text/xsl\" href=\"configuration.xsl\"?>\n",
                  kManagedComment, "<configuration>\n");
  for (const auto& [name, value] : properties) {
    absl::StrAppend(&xml, "  <property>\n    <name>", patch::EscapeXmlText(name),
                    "</name>\n    <value>", patch::EscapeXmlText(value),
                    "</value>\n  </property>\n");
  }
  absl::StrAppend(&xml, "</configuration>\n");
  return xml;
}

std::string PatchHadoopEnv(const std::string& current, const std::string& java_home,
                           uint32_t heap_mb) {
  const std::string java_line = absl::StrCat("export JAVA_HOME=", ShellQuote(java_home));
  const std::string heap_line = absl::StrCat("export HADOOP_HEAPSIZE=", heap_mb);
  bool java_done = false;
  bool heap_done = false;
  std::vector<std::string> out;
  std::vector<absl::string_view> lines = absl::StrSplit(current, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // trailing newline
  for (absl::string_view line : lines) {
    absl::string_view body = absl::StripLeadingAsciiWhitespace(line);
    absl::ConsumePrefix(&body, "#");
    body = absl::StripLeadingAsciiWhitespace(body);
    if (absl::StartsWith(body, "export JAVA_HOME=")) {
      if (!java_done) out.push_back(java_line);
      java_done = true;
      continue;
    }
    if (absl::StartsWith(body, "export HADOOP_HEAPSIZE=")) {
      if (!heap_done) out.push_back(heap_line);
      heap_done = true;
      continue;
    }
    out.emplace_back(line);
  }
  if (!java_done) out.push_back(java_line);
  if (!heap_done) out.push_back(heap_line);
  return absl::StrJoin(out, "\n") + "\n";
}

absl::StatusOr<std::vector<ServiceDescription>> HadoopDriver::Describe(
    const v1::NodePlan& plan, absl::string_view root) const {
  std::vector<ServiceDescription> services;
  if (!plan.has_hadoop()) return services;
  if (absl::Status ipv4 = CheckIpv4(plan); !ipv4.ok()) return ipv4;
  const v1::HadoopPlan& h = plan.hadoop();
  const std::string& addr = plan.address();
  const Dependency namenode{
      "namenode", {{Probe::Kind::kTcp, "rpc", h.namenode().host(), h.namenode().port(), ""}}, 1};
  const Dependency jobtracker{
      "jobtracker",
      {{Probe::Kind::kTcp, "rpc", h.jobtracker().host(), h.jobtracker().port(), ""}},
      1};
  for (const Daemon& daemon : kDaemons) {
    if (!HasRole(plan, daemon.role)) continue;
    ServiceDescription s;
    s.name = std::string(daemon.role);
    s.roles = {std::string(daemon.role)};
    s.restart.group = std::string(daemon.role);
    if (daemon.role == "namenode") {
      s.probes.push_back({Probe::Kind::kTcp, "rpc", addr, h.namenode().port(), ""});
      // dfshealth.jsp says "Safe mode is ON" until the namenode has left it:
      // until then HDFS takes no writes, and datanodes restarted meanwhile
      // would take its blocks away from a namenode still counting them.
      s.probes.push_back({Probe::Kind::kHttp, "web", addr, h.namenode_http_port(), "/dfshealth.jsp",
                          "Safe mode is ON"});
      s.restart.order = RestartSafety::Order::kSingleInstanceDowntime;
      s.restart.requires_downtime_flag = true;
      // Hadoop 1.x has no standby: before the stop the namespace is saved
      // (safe mode first, as saveNamespace requires), and without a saved
      // image the namenode is not stopped at all.
      const std::string hadoop = absl::StrCat(root, h.home(), "/bin/hadoop");
      s.restart.pre_stop = {{hadoop, "dfsadmin", "-safemode", "enter"},
                            {hadoop, "dfsadmin", "-saveNamespace"}};
      s.restart.pre_stop_required = true;
      s.restart.pre_stop_undo = {{hadoop, "dfsadmin", "-safemode", "leave"}};
    } else if (daemon.role == "secondarynamenode") {
      s.probes.push_back({Probe::Kind::kHttp, "web", addr, h.secondary_http_port(), "/"});
      s.depends_on = {namenode};
    } else if (daemon.role == "jobtracker") {
      s.probes.push_back({Probe::Kind::kTcp, "rpc", addr, h.jobtracker().port(), ""});
      s.probes.push_back({Probe::Kind::kHttp, "web", addr, h.jobtracker_http_port(), "/"});
      s.restart.order = RestartSafety::Order::kSingleInstanceDowntime;
      s.restart.requires_downtime_flag = true;
      s.depends_on = {namenode};
    } else if (daemon.role == "datanode") {
      s.probes.push_back({Probe::Kind::kTcp, "data", addr, h.datanode_port(), ""});
      s.probes.push_back({Probe::Kind::kHttp, "web", addr, h.datanode_http_port(), "/"});
      s.depends_on = {namenode};
    } else {  // tasktracker
      s.probes.push_back({Probe::Kind::kHttp, "web", addr, h.tasktracker_http_port(), "/"});
      s.depends_on = {jobtracker};
    }
    services.push_back(std::move(s));
  }
  return services;
}

absl::StatusOr<std::vector<ServiceSetup>> HadoopDriver::Setup(
    const v1::NodePlan& plan, const RenderContext& ctx,
    const std::vector<ServiceDescription>& services) const {
  std::vector<ServiceSetup> setups;
  if (services.empty()) return setups;
  const v1::HadoopPlan& h = plan.hadoop();
  const std::string conf = ctx.Path(h.home()) + "/conf";
  auto bind = [&](uint32_t port) { return HostPort(plan.address(), port); };

  // hadoop-env.sh ships with Hadoop: patch it when present, else start from
  // an empty file (Hadoop reads only the variables it sets).
  absl::StatusOr<std::optional<std::string>> env_current =
      ctx.ReadHostFile(conf + "/hadoop-env.sh");
  if (!env_current.ok()) return env_current.status();
  const std::string env_base = env_current->value_or("");

  std::vector<ConfigFile> files;
  files.push_back({conf + "/hadoop-env.sh",
                   PatchHadoopEnv(env_base, ctx.Path(h.java_home()), h.heap_mb()), 0644, h.user(),
                   false});
  files.push_back(
      {conf + "/core-site.xml",
       HadoopConfigXml({{"fs.default.name", Url("hdfs", h.namenode())},
                        {"fs.hdfs.impl", "org.apache.hadoop.hdfs.DistributedFileSystem"},
                        {"hadoop.tmp.dir", ctx.Path(h.tmp_dir())}}),
       0644, h.user(), false});
  // Hadoop 1.x binds its HTTP and data ports to 0.0.0.0 unless told
  // otherwise; bind them to this node's address.
  files.push_back(
      {conf + "/hdfs-site.xml",
       HadoopConfigXml({{"dfs.replication", absl::StrCat(h.dfs_replication())},
                        {"dfs.name.dir", ctx.Path(h.name_dir())},
                        {"dfs.data.dir", ctx.Path(h.data_dir())},
                        {"dfs.http.address", bind(h.namenode_http_port())},
                        {"dfs.secondary.http.address", bind(h.secondary_http_port())},
                        {"dfs.datanode.address", bind(h.datanode_port())},
                        {"dfs.datanode.http.address", bind(h.datanode_http_port())},
                        {"dfs.datanode.ipc.address", bind(h.datanode_ipc_port())},
                        {"dfs.safemode.extension", absl::StrCat(h.safemode_extension_ms())}}),
       0644, h.user(), false});
  files.push_back(
      {conf + "/mapred-site.xml",
       HadoopConfigXml({{"mapred.job.tracker", HostPort(h.jobtracker())},
                        {"mapred.system.dir", ctx.Path(h.mapred_system_dir())},
                        {"mapred.job.tracker.http.address", bind(h.jobtracker_http_port())},
                        {"mapred.task.tracker.http.address", bind(h.tasktracker_http_port())}}),
       0644, h.user(), false});
  files.push_back({conf + "/masters", Lines(h.masters()), 0644, h.user(), false});
  files.push_back({conf + "/slaves", Lines(h.slaves()), 0644, h.user(), false});
  if (!h.job_submission_acl().empty()) {
    // hadoop-policy.xml ships with Hadoop and holds every other ACL: patch
    // the one property the seed sets (Hadoop step 16), keep the rest.
    const std::string policy_path = conf + "/hadoop-policy.xml";
    absl::StatusOr<std::optional<std::string>> current = ctx.ReadHostFile(policy_path);
    if (!current.ok()) return current.status();
    const std::optional<std::string>& shipped = *current;
    absl::StatusOr<std::string> policy =
        shipped.has_value()
            ? patch::PatchXmlText(*shipped, policy_path,
                                  [&](patch::XmlDocument& doc) {
                                    return patch::SetHadoopProperty(
                                        doc, "security.job.submission.protocol.acl",
                                        h.job_submission_acl());
                                  })
            : HadoopConfigXml({{"security.job.submission.protocol.acl", h.job_submission_acl()}});
    if (!policy.ok()) return policy.status();
    files.push_back({policy_path, *policy, 0644, h.user(), false});
  }

  for (const ServiceDescription& service : services) {
    const Daemon* daemon = FindDaemon(service.name);
    if (daemon == nullptr) {
      return absl::InternalError(absl::StrCat("no Hadoop daemon runs service ", service.name));
    }
    ServiceSetup s;
    s.files = files;
    // Hadoop 1.x `bin/hadoop <daemon>` runs the daemon in the foreground,
    // which is what a supervisor wants (hadoop-daemon.sh would fork).
    s.process.argv = {ctx.Path(h.home()) + "/bin/hadoop", std::string(daemon->command)};
    s.process.env = {{"JAVA_HOME", ctx.Path(h.java_home())},
                     {"HADOOP_CONF_DIR", conf},
                     {"HADOOP_HEAPSIZE", absl::StrCat(h.heap_mb())}};
    s.process.user = h.user();
    s.process.working_dir = ctx.Path(h.home());
    s.process.nofile_limit = 65536;
    s.process.stop_timeout_seconds = 60;
    if (daemon->role == "namenode") {
      // Format only a name dir that holds no image: current/VERSION is what
      // `namenode -format` writes last, so its presence means "formatted".
      s.init_steps.push_back({"format-namenode",
                              {ctx.Path(h.home()) + "/bin/hadoop", "namenode", "-format"},
                              h.user(),
                              ctx.Path(h.name_dir()) + "/current/VERSION",
                              s.process.env});
    }
    setups.push_back(std::move(s));
  }
  return setups;
}

}  // namespace bamctl
