#ifndef BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_H_
#define BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_H_

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"
#include "proto/controller.grpc.pb.h"
#include "tests/integration/child_process.h"

namespace bamctl::testing {

// A whole cluster on one machine, in the spirit of a mini-cluster: one
// bam-controller (SQLite file in the run dir) and one bam-agentd per node of
// the spec, each node with its own loopback address, root dir, state dir
// and log dir. Addresses come from the test process's own loopback subnet
// (tests/util/loopback_subnet.h): node N at <base>.N, the controller at
// <base>.254:7443, so test binaries running at the same time never share
// an address and the ports the spec names can stay fixed. The roles run for
// real from the files the agents render.
//
// All of it talks mutual TLS as in production: the controller serves from
// a `bamctl pki init` directory (pki/ in the run dir, CA key included), the
// test talks to it as `admin`, and each agent enrols with a one-time token
// the first time it starts (later starts reuse the certificate in its
// state dir).
//
// Every wait is bounded; the destructor kills the agents, the controller
// and every role process the agents started, also when a test fails
// half-way.
class LocalCluster {
 public:
  struct Options {
    // Node N of the spec gets <address_base>.N, the controller
    // <address_base>.254. Empty: this process's subnet
    // (ProcessLoopbackSubnet()), which no other process uses.
    std::string address_base;
    std::vector<std::string> agent_flags = {"--probe_interval_ms=250", "--resync_ms=1000",
                                            "--heartbeat_ms=1000", "--backoff_initial_ms=200"};
    // Added to the controller's command line (e.g. a short
    // --node_cert_lifetime_ms to see renewals).
    std::vector<std::string> controller_flags;
    // HA: "host:port,..." of a ZooKeeper ensemble for the controllers. Set,
    // three controllers run (at <address_base>.254, .253 and .252, one
    // database each), the agents and this class follow their leader.
    std::string ha_zookeeper;
  };

  // Lays the spec out on this machine (localcluster/: addresses, node
  // roots, emulated installs from BAMCTL_EMULATOR_BIN), starts the
  // controller and applies the local spec; agents are started by
  // StartAgents (so a test can look at the cluster before they run).
  static absl::StatusOr<std::unique_ptr<LocalCluster>> Create(const std::filesystem::path& dir,
                                                              const std::string& spec_text,
                                                              Options options);
  ~LocalCluster();

  // Starts the controller, or (HA) every controller not running, and
  // waits (bounded) until one leads.
  absl::Status StartController();
  // SIGKILL to the controller, or (HA) to the leader; returns its index.
  int KillController();
  absl::Status StartAgents();
  absl::Status StartAgent(const std::string& node);
  void KillAgent(const std::string& node);  // SIGKILL: its roles keep running
  void SignalAgent(const std::string& node, int signal);
  pid_t AgentPid(const std::string& node) const;

  absl::StatusOr<v1::ApplyResponse> Apply(const std::string& spec_text);
  absl::StatusOr<v1::GetStatusResponse> Status();
  // A one-time login to the web page (controllers started with --web_listen).
  absl::StatusOr<v1::CreateWebLoginResponse> WebLogin();
  // Polls status until `done` holds (or the timeout passes: DeadlineExceeded
  // with the last status and any daemon that exited in the message).
  absl::StatusOr<v1::GetStatusResponse> WaitFor(
      const std::function<bool(const v1::GetStatusResponse&)>& done,
      std::chrono::milliseconds timeout);
  absl::StatusOr<v1::GetStatusResponse> WaitConverged(std::chrono::milliseconds timeout);

  // Rolling restarts through the controller's API.
  absl::StatusOr<v1::Operation> StartRollingRestart(const v1::RollingRestartRequest& request);
  absl::StatusOr<v1::Operation> GetOperation(int64_t id);
  // Polls the operation until it is no longer running (or the timeout
  // passes: DeadlineExceeded naming its state) and returns it.
  absl::StatusOr<v1::Operation> WaitOperationDone(int64_t id, std::chrono::milliseconds timeout);

  // The node's role `service` as the controller last heard of it.
  static const v1::RoleStatus* FindRole(const v1::GetStatusResponse& status,
                                        const std::string& node, const std::string& service);

  const std::filesystem::path& dir() const { return dir_; }
  std::string NodeRoot(const std::string& node) const;
  std::string StateDir(const std::string& node) const;
  std::string LogDir(const std::string& node) const;
  const std::vector<std::string>& nodes() const { return nodes_; }
  std::string Address(const std::string& node) const;
  // The spec as applied (rewritten for this machine).
  const std::string& spec_text() const { return spec_text_; }
  // The text of the last spec Apply stored, or spec_text() before any.
  const std::string& applied_spec_text() const {
    return applied_spec_text_.empty() ? spec_text_ : applied_spec_text_;
  }
  std::string controller_address() const;  // the first controller's
  int controller_count() const { return options_.ha_zookeeper.empty() ? 1 : 3; }
  std::string ControllerAddress(int i) const;
  // Every controller's address, comma-separated (what agents are given).
  std::string ControllerAddresses() const;
  // The controller's TLS dir (ca.crt, bamctl.conf for admin, ...).
  std::filesystem::path pki_dir() const { return dir_ / "pki"; }
  // The certificate the node's agent holds (empty before it enrolled).
  std::string NodeCertificate(const std::string& node) const;

 private:
  LocalCluster(std::filesystem::path dir, Options options)
      : dir_(std::move(dir)), options_(std::move(options)) {}
  void KillRoles();
  // A one-time token for `node`, from the controller, in a 0600 file.
  absl::StatusOr<std::string> WriteEnrolmentToken(const std::string& node);
  // The controller and agents that have exited on their own, for messages.
  std::string ExitedDaemons();
  absl::Status StartOneController(int i);
  std::filesystem::path ControllerLog(int i) const;
  // Points the stub at the controller that serves (HA: the leader), waiting
  // up to `timeout`; the stub of a call that failed UNAVAILABLE is dropped
  // by Forget, and the next call looks again.
  absl::Status Connect(std::chrono::milliseconds timeout);
  v1::ClusterService::Stub* Stub();
  void Forget(const grpc::Status& status);

  std::filesystem::path dir_;
  Options options_;
  std::vector<std::string> nodes_;
  std::map<std::string, std::string> addresses_;
  std::string spec_text_;
  std::string applied_spec_text_;
  std::vector<std::unique_ptr<ChildProcess>> controllers_;
  int leader_ = 0;  // the controller the stub talks to
  std::map<std::string, std::unique_ptr<ChildProcess>> agents_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::ClusterService::Stub> stub_;
  grpc::SslCredentialsOptions admin_tls_;
};

// Pids of live processes whose environment has BAMCTL_SERVICE with `needle`
// in its value (the agents' marker: node/service@state_dir).
std::vector<pid_t> ProcessesWithMarker(const std::string& needle);

// Why a local cluster cannot run here ("" when it can): Debian's ZooKeeper
// and default-java missing, or the binaries' paths not in the environment
// (CTest sets BAMCTL_CONTROLLER_BIN, BAMCTL_AGENTD_BIN and, when
// `emulated` products are needed, BAMCTL_EMULATOR_BIN).
std::string MissingLocalClusterParts(bool emulated);

// The name of the user running the test (roles run as the agent's user).
std::string CurrentUser();

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_INTEGRATION_LOCAL_CLUSTER_H_
