// WSO2 BAM 2.x (Carbon 4.x) as bin/wso2server.sh and the server's reading
// of repository/conf show themselves to the agent.

#include <map>
#include <memory>
#include <optional>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "tests/emulators/product_util.h"
#include "tests/emulators/products.h"

namespace bamctl::emulator {
namespace {

// The ports of a fresh Carbon 4 install before Ports/Offset is added:
// catalina-server.xml's connectors, data-bridge-config.xml's receiver and
// the embedded Cassandra's rpc_port.
constexpr int kHttpPort = 9763;
constexpr int kHttpsPort = 9443;
constexpr int kThriftPort = 7611;
constexpr int kThriftSecurePort = 7711;
constexpr int kEmbeddedCassandraPort = 9160;

// The files the server parses at start that the driver writes or patches;
// a malformed one stops Carbon.
constexpr absl::string_view kXmlFiles[] = {
    "carbon.xml",
    "tomcat/catalina-server.xml",
    "cassandra-component.xml",
    "registry.xml",
    "datasources/master-datasources.xml",
    "advanced/streamdefn.xml",
    "advanced/hive-site.xml",
    "etc/coordination-client-config.xml",
    "etc/tasks-config.xml",
    "data-bridge/data-bridge-config.xml",
};

absl::StatusOr<int> PortOffset(const std::string& carbon_path, const pugi::xml_document& carbon,
                               const std::optional<std::string>& property) {
  std::optional<std::string> text = property;
  std::string origin = "-DportOffset";
  if (!text) {
    text = ChildText(carbon.document_element(), "Ports/Offset");
    origin = carbon_path + ": Ports/Offset";
  }
  if (!text || text->empty()) return 0;
  int offset = 0;
  if (!absl::SimpleAtoi(*text, &offset) || offset < 0 || offset > 65535 - kHttpPort) {
    return absl::InvalidArgumentError(
        absl::StrCat(origin, ": \"", *text, "\" is not a port offset (an integer from 0 to ",
                     65535 - kHttpPort, " added to every port, e.g. 0 or 1)"));
  }
  return offset;
}

// Every datasource needs a JDBC URL; returns the JNDI names they publish.
absl::StatusOr<std::set<std::string>> CheckDataSources(const std::string& path,
                                                       const pugi::xml_document& doc) {
  std::set<std::string> jndi_names;
  pugi::xml_node list = doc.document_element().child("datasources");
  for (pugi::xml_node d = list.child("datasource"); d; d = d.next_sibling("datasource")) {
    const std::string name = ChildText(d, "name").value_or("");
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": a <datasource> has no <name>"));
    }
    // An RDBMS datasource names its database by URL, or by a
    // dataSourceClassName with its own properties.
    pugi::xml_node definition = d.child("definition");
    const std::string type = definition.attribute("type").as_string("RDBMS");
    if (type == "RDBMS" && ChildText(definition, "configuration/url").value_or("").empty() &&
        ChildText(definition, "configuration/dataSourceClassName").value_or("").empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": datasource ", name,
                       " has no <url> (definition/configuration/url, e.g. "
                       "jdbc:mysql://HOST:3306/DB, or a dataSourceClassName)"));
    }
    std::optional<std::string> jndi = ChildText(d, "jndiConfig/name");
    if (jndi && !jndi->empty()) jndi_names.insert(*jndi);
  }
  return jndi_names;
}

// Carbon's registry looks up each dbConfig's dataSource by JNDI name.
absl::Status CheckRegistry(const std::string& path, const pugi::xml_document& doc,
                           const std::set<std::string>& jndi_names) {
  pugi::xml_node root = doc.document_element();
  for (pugi::xml_node c = root.child("dbConfig"); c; c = c.next_sibling("dbConfig")) {
    std::optional<std::string> source = ChildText(c, "dataSource");
    if (source && !jndi_names.contains(*source)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, ": dbConfig ", c.attribute("name").value(), ": data source ", *source,
                       " is not defined in datasources/master-datasources.xml"));
    }
  }
  return absl::OkStatus();
}

// Tomcat's connectors as catalina-server.xml declares them: the HTTPS one
// (SSLEnabled or scheme https) and the HTTP one, each with its port and
// the address it binds ("" when the file gives none: every interface).
struct Connectors {
  int http_port = kHttpPort;
  int https_port = kHttpsPort;
  std::string http_address;
  std::string https_address;
  std::string origin = "the stock connectors (no tomcat/catalina-server.xml)";
};

absl::StatusOr<Connectors> ConnectorsOf(const std::string& path, const pugi::xml_document* doc) {
  Connectors c;
  if (doc == nullptr) return c;
  c.origin = path;
  for (pugi::xml_node service = doc->document_element().child("Service"); service;
       service = service.next_sibling("Service")) {
    for (pugi::xml_node connector = service.child("Connector"); connector;
         connector = connector.next_sibling("Connector")) {
      const std::string port_text = connector.attribute("port").as_string();
      int port = 0;
      if (!absl::SimpleAtoi(port_text, &port) || port <= 0 || port > 65535) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": a <Connector> port \"", port_text, "\" is not a port (1-65535)"));
      }
      const bool https = std::string(connector.attribute("SSLEnabled").as_string()) == "true" ||
                         std::string(connector.attribute("scheme").as_string()) == "https";
      (https ? c.https_port : c.http_port) = port;
      (https ? c.https_address : c.http_address) = connector.attribute("address").as_string();
    }
  }
  return c;
}

// The Hive scripts the task holder schedules in the emulation (a fresh
// BAM has the toolboxes' scripts; one stands for them).
constexpr absl::string_view kEmulatedHiveTask = "bam_emulated_summary_script";

// ntask's task server mode (tasks-config.xml) and the coordination client
// (coordination-client-config.xml): in CLUSTERED mode the analyzer joins
// the ZooKeeper group; nullopt in STANDALONE mode.
absl::StatusOr<std::optional<DaemonPlan::Coordination>> TaskCoordinationOf(
    const std::string& conf, const pugi::xml_document* tasks,
    const pugi::xml_document* coordination, const std::string& bind_address) {
  const std::string coordination_path = conf + "etc/coordination-client-config.xml";
  bool enabled = false;
  DaemonPlan::Coordination config;
  config.source_address = bind_address;
  config.tasks = {std::string(kEmulatedHiveTask)};
  if (coordination != nullptr) {
    pugi::xml_node root = coordination->document_element();
    // A missing attribute means enabled.
    enabled = std::string(root.attribute("enabled").as_string("true")) != "false";
    for (pugi::xml_node server = root.child("Servers").child("Server"); server;
         server = server.next_sibling("Server")) {
      const std::string host = server.attribute("host").as_string();
      const std::string port_text = server.attribute("port").as_string("2181");
      int port = 0;
      if (host.empty() || !absl::SimpleAtoi(port_text, &port) || port <= 0 || port > 65535) {
        return absl::InvalidArgumentError(absl::StrCat(
            coordination_path, ": a <Server> needs a host and a port (1-65535); got host \"", host,
            "\" port \"", port_text, "\""));
      }
      config.servers.emplace_back(std::string(absl::StripSuffix(absl::StripPrefix(host, "["), "]")),
                                  port);
    }
    const std::string timeout = ChildText(root, "SessionTimeout").value_or("");
    if (!timeout.empty() && !absl::SimpleAtoi(timeout, &config.session_timeout_ms)) {
      return absl::InvalidArgumentError(
          absl::StrCat(coordination_path, ": SessionTimeout \"", timeout, "\" is not a number"));
    }
    if (enabled && config.servers.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(coordination_path, ": enabled, but <Servers> lists no <Server host=...>"));
    }
  }
  std::string mode =
      tasks != nullptr ? ChildText(tasks->document_element(), "taskServerMode").value_or("") : "";
  if (mode.empty() || mode == "AUTO") mode = enabled ? "CLUSTERED" : "STANDALONE";
  if (mode == "STANDALONE" || mode == "REMOTE") return std::nullopt;
  if (mode != "CLUSTERED") {
    return absl::InvalidArgumentError(
        absl::StrCat(conf, "etc/tasks-config.xml: taskServerMode \"", mode,
                     "\" is not one of STANDALONE, CLUSTERED, REMOTE, AUTO"));
  }
  if (!enabled) {
    return absl::FailedPreconditionError(
        absl::StrCat("Coordination service must be enabled to run in task server CLUSTERED mode (",
                     coordination_path, ")"));
  }
  return config;
}

}  // namespace

absl::StatusOr<Invocation> PrepareBam(const RunRequest& r) {
  std::optional<std::string> offset_property;
  bool embedded_cassandra = true;
  for (const std::string& a : r.args) {
    absl::string_view arg = a;
    if (absl::ConsumePrefix(&arg, "-DportOffset=")) {
      offset_property = std::string(arg);
    } else if (arg == "-Ddisable.cassandra.server.startup=true") {
      embedded_cassandra = false;
    } else if (arg == "start" || arg == "stop" || arg == "restart" || arg == "--start") {
      return Invocation{"",
                        absl::StrCat("bam-emulator: wso2server.sh ", arg,
                                     " (background mode through nohup) is not emulated; run it "
                                     "in the foreground\n"),
                        1, std::nullopt};
    }
  }
  const std::string java_home = EnvOr(r.env, "JAVA_HOME", "");
  if (java_home.empty()) {
    return Invocation{"", "You must set the JAVA_HOME variable before running CARBON.\n", 1,
                      std::nullopt};
  }
  if (!IsExecutable(java_home + "/bin/java")) {
    return Invocation{"",
                      absl::StrCat("Error: JAVA_HOME is not defined correctly.\n CARBON cannot "
                                   "execute ",
                                   java_home, "/bin/java\n"),
                      1, std::nullopt};
  }

  const std::string conf = r.home + "/repository/conf/";
  std::map<std::string, std::unique_ptr<pugi::xml_document>> docs;
  for (absl::string_view rel : kXmlFiles) {
    ASSIGN_OR_RETURN(docs[std::string(rel)], LoadXmlFile(absl::StrCat(conf, rel)));
  }
  for (absl::string_view required : {"carbon.xml", "datasources/master-datasources.xml"}) {
    if (docs[std::string(required)] == nullptr) {
      return absl::NotFoundError(absl::StrCat(conf, required, ": not found; Carbon cannot start"));
    }
  }
  ASSIGN_OR_RETURN(int offset,
                   PortOffset(conf + "carbon.xml", *docs["carbon.xml"], offset_property));
  ASSIGN_OR_RETURN(std::set<std::string> jndi_names,
                   CheckDataSources(conf + "datasources/master-datasources.xml",
                                    *docs["datasources/master-datasources.xml"]));
  if (docs["registry.xml"] != nullptr) {
    RETURN_IF_ERROR(CheckRegistry(conf + "registry.xml", *docs["registry.xml"], jndi_names));
  }

  // Carbon binds every interface; bam-emulator binds the install's
  // --bind-address when given, so several emulated nodes share a machine.
  const std::string host = r.bind_address.empty() ? "0.0.0.0" : r.bind_address;
  const std::string bind_origin =
      r.bind_address.empty() ? "every interface, as Carbon binds" : "the install's --bind-address";
  const std::string offset_origin = absl::StrCat(" + Ports/Offset ", offset, "; ", bind_origin);
  DaemonPlan plan;
  plan.product = Product::kBam;
  plan.source = "org.wso2.carbon.core.internal.StartupFinalizerServiceComponent";
  // The console's connectors bind what catalina-server.xml says (Tomcat's
  // `address`; every interface without one, or the install's
  // --bind-address).
  ASSIGN_OR_RETURN(Connectors connectors, ConnectorsOf(conf + "tomcat/catalina-server.xml",
                                                       docs["tomcat/catalina-server.xml"].get()));
  auto connector_host = [&](const std::string& address) {
    return address.empty() ? host : address;
  };
  auto connector_origin = [&](const char* what, int port, const std::string& address) {
    return absl::StrCat(what, " connector ", port, " of ", connectors.origin, " + Ports/Offset ",
                        offset, "; ",
                        address.empty() ? bind_origin : std::string("its address attribute"));
  };
  const std::string https_host = connector_host(connectors.https_address);
  plan.endpoints.push_back(
      {"https", connector_origin("HTTPS", connectors.https_port, connectors.https_address),
       https_host, connectors.https_port + offset, Protocol::kTcp, ""});
  plan.endpoints.push_back(
      {"console", connector_origin("HTTP", connectors.http_port, connectors.http_address),
       connector_host(connectors.http_address), connectors.http_port + offset,
       Protocol::kHttpCarbon,
       absl::StrCat("https://", https_host == "0.0.0.0" ? "localhost" : https_host, ":",
                    connectors.https_port + offset)});
  // The Thrift receiver, configured by data-bridge-config.xml (its own
  // <hostName> is the bind address when set).
  if (const auto& bridge = docs["data-bridge/data-bridge-config.xml"]; bridge != nullptr) {
    const std::string path = conf + "data-bridge/data-bridge-config.xml";
    pugi::xml_node receiver = bridge->document_element().child("thriftDataReceiver");
    const std::string bridge_host = ChildText(receiver, "hostName").value_or(host);
    struct ReceiverPort {
      const char* key;
      int fallback;
      const char* name;
    };
    for (const auto& [key, fallback, name] :
         {ReceiverPort{"port", kThriftPort, "thrift"},
          ReceiverPort{"securePort", kThriftSecurePort, "thrift-secure"}}) {
      const std::string text = ChildText(receiver, key).value_or("");
      int port = fallback;
      if (!text.empty() && (!absl::SimpleAtoi(text, &port) || port <= 0 || port + offset > 65535)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": thriftDataReceiver/", key, " \"", text, "\" is not a port"));
      }
      plan.endpoints.push_back({name,
                                absl::StrCat(path, ": thriftDataReceiver/", key, offset_origin),
                                bridge_host, port + offset, Protocol::kTcp, ""});
    }
  }
  if (embedded_cassandra) {
    plan.startup_log.push_back(
        "Starting the embedded Cassandra server (no -Ddisable.cassandra.server.startup=true)");
    plan.endpoints.push_back(
        {"embedded-cassandra",
         absl::StrCat("embedded Cassandra rpc_port ", kEmbeddedCassandraPort, offset_origin), host,
         kEmbeddedCassandraPort + offset, Protocol::kTcp, ""});
  }
  ASSIGN_OR_RETURN(
      plan.coordination,
      TaskCoordinationOf(conf, docs["etc/tasks-config.xml"].get(),
                         docs["etc/coordination-client-config.xml"].get(), r.bind_address));
  plan.startup_log.insert(plan.startup_log.begin(),
                          {"Starting WSO2 Business Activity Monitor (emulated by bam-emulator)",
                           absl::StrCat("Port offset: ", offset)});
  plan.shutdown_log = "Shutdown complete; Halting JVM";
  Invocation run;
  run.daemon = std::move(plan);
  return run;
}

}  // namespace bamctl::emulator
