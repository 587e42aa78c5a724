#ifndef BAMCTL_ROLES_DRIVER_SERVICE_PLAN_H_
#define BAMCTL_ROLES_DRIVER_SERVICE_PLAN_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bamctl {

// One file a service needs on its host, rendered in full.
struct ConfigFile {
  std::string path;     // absolute host path (RenderContext::root applied)
  std::string content;  // exact bytes to write
  uint32_t mode = 0644;
  std::string owner;  // user that owns the file; empty = the agent's user
  // True when `content` holds a secret from a SecretSource. Such files are
  // written 0600 and never shown: displays use the redacting source.
  bool secret = false;
};

// A directory the service needs, created before its init steps and owned
// by the service's user (the agent runs as root; the service does not).
struct Directory {
  std::string path;   // absolute host path (root applied)
  std::string owner;  // empty = the agent's user
  uint32_t mode = 0755;
};

// A step that runs once before the service first starts. The step is done
// when `done_marker` exists (checked by the agent before and after running),
// which makes re-running it after a crash safe.
struct InitStep {
  std::string name;  // "format-namenode", "zookeeper-myid"
  std::vector<std::string> argv;
  std::string user;
  std::string done_marker;  // absolute path; the step is skipped when it exists
  std::map<std::string, std::string> env;
};

// How to run the service's one long-lived process, in the foreground.
struct ProcessSpec {
  std::vector<std::string> argv;
  std::map<std::string, std::string> env;
  std::string user;
  std::string working_dir;
  uint64_t nofile_limit = 0;  // RLIMIT_NOFILE; 0 = inherit
  // Graceful stop: empty means SIGTERM to the process group.
  std::vector<std::string> stop_argv;
  int stop_timeout_seconds = 30;  // then SIGKILL to the process group
};

// A health check; the agent runs it with a timeout and reports the reason.
struct Probe {
  enum class Kind {
    kTcp,        // connect to host:port
    kHttp,       // GET path on host:port, 2xx/3xx is healthy
    kZooKeeper,  // "ruok" must answer "imok"; "srvr" gives the mode
  };
  Kind kind = Kind::kTcp;
  std::string name;  // "client-port", "web-ui"
  std::string host;  // bare, as v1::Endpoint: "fd00::2", never "[fd00::2]"
  uint32_t port = 0;
  std::string http_path;  // kHttp only
  // kHttp only: a page that contains this text is unhealthy although it
  // answers 2xx ("Safe mode is ON" on a namenode's dfshealth.jsp).
  std::string http_unhealthy_text{};

  bool operator==(const Probe&) const = default;
};

// What the rollout engine needs to restart the service without losing
// availability.
struct RestartSafety {
  enum class Order {
    kAnyOrder,                // no quorum: any order within batch limits
    kFollowersBeforeLeader,   // ZooKeeper: ask each server its mode
    kOneAtATimeDrainFirst,    // Cassandra: nodetool drain, wait for UP
    kStandbyBeforeActive,     // BAM analyzers: the task-holding one last
    kSingleInstanceDowntime,  // namenode/jobtracker: no HA in Hadoop 1.x
  };
  std::string group;  // instances that must not all be down: "zookeeper"
  Order order = Order::kAnyOrder;
  int max_unavailable = 1;  // per group, at any moment
  bool requires_downtime_flag = false;
  // Commands run in order, as the service's user, before the stop: nodetool
  // drain; dfsadmin -safemode enter, -saveNamespace. The first that fails
  // ends the sequence.
  std::vector<std::vector<std::string>> pre_stop;
  // A failed pre-stop command cancels the stop (the restart fails and says
  // why) instead of going on without it: a namenode is not stopped without
  // a saved namespace. `pre_stop_undo` then runs (leave safe mode again).
  bool pre_stop_required = false;
  std::vector<std::vector<std::string>> pre_stop_undo;
  // A command, run as the service's user, that prints how this instance
  // sees the others (`nodetool status`): a restarted instance is back only
  // when every other instance sees it up, not when its own ports open.
  std::vector<std::string> peer_view;

  bool operator==(const RestartSafety&) const = default;
};

// A service elsewhere in the cluster this one needs before it starts, with
// the probes (one per instance) that tell whether it is up.
struct Dependency {
  std::string service;        // "zookeeper", "namenode", "cassandra"
  std::vector<Probe> probes;  // one per instance
  int min_healthy = 1;        // how many must pass: a majority for a quorum

  bool operator==(const Dependency&) const = default;
};

// What the cluster needs to know about one service (one process) of a
// node without its files: which roles it serves, how its health is probed,
// the rule a safe restart follows and what it waits for. A driver computes
// it from the node's plan alone (RoleDriver::Describe), so the controller
// plans rollouts without rendering a file. A service serves one or more
// roles: the BAM server serves receiver, analyzer and dashboard.
struct ServiceDescription {
  std::string name;                // "zookeeper", "namenode", "bam"
  std::vector<std::string> roles;  // role names it serves
  std::vector<Probe> probes;
  RestartSafety restart;
  // What must be up before this starts: a ZooKeeper quorum, the namenode.
  std::vector<Dependency> depends_on;

  bool operator==(const ServiceDescription&) const = default;
};

// What running one described service takes on its host: files, removals,
// directories, one-time init steps and the process (RoleDriver::Setup).
struct ServiceSetup {
  std::vector<ConfigFile> files;
  // Files that must not exist: absolute paths whose last component may be
  // a glob pattern (fnmatch), e.g. ".../plugins/org.example.feature_*.jar".
  std::vector<std::string> remove_paths;
  std::vector<Directory> directories;  // created (mkdir -p) before init steps
  std::vector<InitStep> init_steps;
  ProcessSpec process;
};

// Everything one service on a node needs: its description and its setup.
struct ServicePlan : ServiceDescription, ServiceSetup {
  // Not the description's comparison: it would ignore the setup.
  bool operator==(const ServicePlan&) const = delete;
};

}  // namespace bamctl

#endif  // BAMCTL_ROLES_DRIVER_SERVICE_PLAN_H_
