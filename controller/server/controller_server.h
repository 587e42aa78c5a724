#ifndef BAMCTL_CONTROLLER_SERVER_CONTROLLER_SERVER_H_
#define BAMCTL_CONTROLLER_SERVER_CONTROLLER_SERVER_H_

#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/sd_notify.h"
#include "controller/cluster/desired_state.h"
#include "controller/ha/replica.h"
#include "controller/server/agent_hub.h"
#include "controller/server/agent_service.h"
#include "controller/server/cluster_service.h"
#include "controller/server/enrollment_service.h"
#include "controller/server/metrics.h"
#include "controller/server/report_batcher.h"
#include "controller/store/store.h"
#include "controller/web/web_server.h"
#include "grpcpp/server.h"
#include "prometheus/exposer.h"
#include "prometheus/registry.h"

namespace bamctl {

struct ControllerOptions {
  std::string listen = "127.0.0.1:7443";  // gRPC, HOST:PORT (port 0: pick one)
  std::string db_path = "/var/lib/bam-controller/controller.db";
  std::string metrics_listen = "127.0.0.1:9464";  // empty: no /metrics
  // TLS material: ca.crt (the cluster CA, which client certificates must
  // chain to), controller.crt and controller.key (as `bamctl pki init`
  // writes them). Exactly one of tls_dir and insecure_plaintext is given.
  std::string tls_dir;
  // Serves plaintext with no caller identity: every caller may do all.
  // Refused unless `listen` is a loopback address.
  bool insecure_plaintext = false;
  std::chrono::milliseconds report_flush_interval{200};
  // A silent agent (no answer to HTTP/2 pings) is dropped after about
  // keepalive_time + keepalive_timeout.
  std::chrono::milliseconds keepalive_time{2000};
  // How long node certificates from enrolment and renewal last; 0: the
  // default (Enrolment::Options). Tests shorten it to see a renewal.
  std::chrono::milliseconds node_cert_lifetime{0};
  std::chrono::milliseconds keepalive_timeout{2000};
  // Retention (--retain_* flags); 0: keep all. Events: at most the newest
  // retain_events, none older than retain_events_days. Versions: the newest
  // retain_versions, and any still in use (Store::Prune). A pass runs at
  // start and every retention_interval, sooner while a backlog remains.
  int64_t retain_events = 100000;
  int64_t retain_events_days = 0;
  int64_t retain_versions = 1000;
  std::chrono::milliseconds retention_interval{std::chrono::minutes(10)};
  // How long Shutdown lets open calls finish before cancelling them.
  std::chrono::milliseconds shutdown_grace{2000};

  // HA (docs/ha.md): with ha_zookeeper ("host:port,..."), this controller is
  // one of several sharing `ha_path`; `advertise` is the address agents and
  // bamctl reach it at. ha_digest_file holds "user:password" for
  // ZooKeeper's digest ACLs (empty: none, the nodes are open to all).
  std::string ha_zookeeper;
  std::string ha_path;
  std::string advertise;
  std::string ha_digest_file;
  std::chrono::milliseconds ha_session_timeout{10'000};

  // systemd's notify socket: READY once serving, STATUS and WATCHDOG from
  // the maintenance loop; null: none. Not owned; must outlive the server.
  SystemdNotifier* notifier = nullptr;

  // The web page and Prometheus service discovery (docs/web.md): HOST:PORT,
  // "" for none. Over TLS with tls_dir's certificate; plaintext only on
  // loopback. web_url: the address people open, when not made from these.
  std::string web_listen;
  std::string web_url;
};

// The bam-controller daemon: store, services, gRPC server, /metrics.
class ControllerServer {
 public:
  explicit ControllerServer(ControllerOptions options, const Clock* clock = SystemClock::Get())
      : options_(std::move(options)), clock_(clock) {}
  ~ControllerServer();

  // Opens the store and starts serving. Errors name what failed (the
  // database, the address) and leave nothing running.
  absl::Status Start();
  // Stops accepting, ends agent streams, flushes reports, closes the store.
  void Shutdown();
  // Blocks until Shutdown (from another thread or a signal handler path).
  void Wait();

  int port() const { return port_; }  // the bound gRPC port
  // Null without HA.
  Replica* replica() { return replica_.get(); }
  std::string metrics_address() const;
  // The web page's address; "" without --web_listen.
  std::string web_url() const { return web_ != nullptr ? web_->url() : ""; }

  DesiredState* desired_state() { return state_.get(); }
  Store* store() { return store_.get(); }

 private:
  void MaintenanceLoop();
  // One line for `systemctl status`: leading or following, the version,
  // the nodes, running operations.
  std::string StatusLine(const v1::GetStatusResponse* status, int running_ops) const;
  // HA: the replica, made and listened to (started after serving begins).
  absl::Status MakeReplica();
  absl::Status StartWeb();
  absl::StatusOr<v1::GetControllersResponse> ControllersInfo();
  // A retention pass when one is due; returns when the next one is.
  int64_t PruneIfDue(int64_t now_ms, int64_t due_ms);

  ControllerOptions options_;
  RetentionPolicy retention_;  // from options_, checked in Start
  const Clock* clock_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<DesiredState> state_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<ControllerMetrics> metrics_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  AgentHub hub_;
  std::unique_ptr<ReportBatcher> batcher_;
  std::unique_ptr<RolloutEngine> rollouts_;
  std::unique_ptr<Authorizer> authz_;
  std::unique_ptr<ClusterServiceImpl> cluster_service_;
  std::unique_ptr<AgentServiceImpl> agent_service_;
  std::unique_ptr<Enrolment> enrolment_;
  std::unique_ptr<EnrollmentServiceImpl> enrollment_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Replica> replica_;
  std::unique_ptr<WebServer> web_;
  int port_ = 0;
  int64_t leadership_changes_seen_ = 0;  // the maintenance thread's
  // Held through the whole of Shutdown: a second caller (the signal
  // thread and main's own call, or the destructor) waits for the first to
  // finish instead of returning while threads are still being joined.
  absl::Mutex shutdown_mu_;
  bool stopped_ ABSL_GUARDED_BY(shutdown_mu_) = false;
  absl::Mutex maintenance_mu_;
  bool stop_maintenance_ ABSL_GUARDED_BY(maintenance_mu_) = false;
  // Refreshes gauges every 500 ms on clock_ and runs retention passes.
  std::thread maintenance_;
};

}  // namespace bamctl

#endif  // BAMCTL_CONTROLLER_SERVER_CONTROLLER_SERVER_H_
