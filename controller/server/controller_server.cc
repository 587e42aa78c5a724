#include "controller/server/controller_server.h"

#include <sys/stat.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/file_util.h"
#include "common/net_util.h"
#include "common/status_log.h"
#include "common/status_macros.h"
#include "common/thread_name.h"
#include "controller/server/transport_security.h"
#include "grpcpp/server_builder.h"
#include "pki/certs.h"
#include "spdlog/spdlog.h"

namespace bamctl {
namespace {

// The CA that signs node certificates: ca.crt and ca.key of `tls_dir`.
// Null without TLS or without ca.key (the CA key may be kept off the
// controller host; nodes then get certificates from bamctl pki issue).
absl::StatusOr<std::unique_ptr<CertificateAuthority>> LoadCaForEnrolment(
    const std::string& tls_dir) {
  if (tls_dir.empty()) return nullptr;
  const std::string key_path = tls_dir + "/ca.key";
  ASSIGN_OR_RETURN(std::optional<std::string> key, ReadFileIfExists(key_path));
  if (!key.has_value()) {
    spdlog::info("no {}: enrolment with tokens is off", key_path);
    return nullptr;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> cert, ReadFileIfExists(tls_dir + "/ca.crt"));
  if (!cert.has_value()) return absl::NotFoundError(absl::StrCat(tls_dir, "/ca.crt is missing"));
  absl::StatusOr<CertificateAuthority> ca = CertificateAuthority::Load(*cert, *key);
  if (!ca.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key_path, " and ca.crt do not make a CA: ", ca.status().message()));
  }
  return std::make_unique<CertificateAuthority>(*std::move(ca));
}

// How often the gauges of converged nodes and unfinished operations are
// refreshed.
constexpr int64_t kMaintenanceIntervalMs = 500;

constexpr int64_t kMillisPerDay = int64_t{24} * 3600 * 1000;
constexpr int64_t kMaxRetainDays = 36500;

// The store's retention policy from the options; InvalidArgument naming the
// flag for a value out of range.
absl::StatusOr<RetentionPolicy> RetentionFromOptions(const ControllerOptions& options) {
  for (const auto& [flag, value] :
       {std::pair<const char*, int64_t>{"retain_events", options.retain_events},
        {"retain_events_days", options.retain_events_days},
        {"retain_versions", options.retain_versions}}) {
    if (value < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--", flag, " must be >= 0 (0 keeps all), got ", value));
    }
  }
  if (options.retain_events_days > kMaxRetainDays) {
    return absl::InvalidArgumentError(absl::StrCat("--retain_events_days must be at most ",
                                                   kMaxRetainDays, " (0 keeps all), got ",
                                                   options.retain_events_days));
  }
  if (options.retention_interval.count() <= 0) {
    return absl::InvalidArgumentError("the retention interval must be positive");
  }
  RetentionPolicy policy;
  policy.max_events = options.retain_events;
  policy.max_event_age_ms = options.retain_events_days * kMillisPerDay;
  policy.max_versions = options.retain_versions;
  return policy;
}

// "user:password" from `path`, for ZooKeeper's digest ACLs: a secret, so
// a file others may read is refused.
absl::StatusOr<std::string> ReadDigest(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) == 0 && (!S_ISREG(st.st_mode) || (st.st_mode & 0077) != 0)) {
    return absl::PermissionDeniedError(absl::StrCat(
        "--ha_digest_file ", path, " must be a regular file only its owner can read (chmod 600)"));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> text, ReadFileIfExists(path));
  if (!text.has_value()) {
    return absl::NotFoundError(absl::StrCat("--ha_digest_file ", path, " is missing"));
  }
  std::string digest(absl::StripAsciiWhitespace(*text));
  const size_t colon = digest.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == digest.size() ||
      digest.find_first_of(" \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("--ha_digest_file ", path, " must hold one line USER:PASSWORD (no spaces)"));
  }
  return digest;
}

// InvalidArgument naming the flag unless the HA options make sense.
absl::Status CheckHaOptions(const ControllerOptions& options) {
  if (options.ha_path.size() < 2 || options.ha_path[0] != '/' || options.ha_path.back() == '/' ||
      absl::StrContains(options.ha_path, "//")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--ha_path must be a ZooKeeper path such as /bamctl/CLUSTER (absolute, no trailing /), "
        "got \"",
        options.ha_path, "\""));
  }
  if (options.advertise.empty() || options.advertise.rfind(':') == std::string::npos) {
    return absl::InvalidArgumentError(
        "--advertise=HOST:PORT is required with --ha_zookeeper: the address agents and bamctl "
        "reach this controller at");
  }
  return absl::OkStatus();
}

}  // namespace

ControllerServer::~ControllerServer() { Shutdown(); }

absl::Status ControllerServer::MakeReplica() {
  RETURN_IF_ERROR(CheckHaOptions(options_));
  ReplicaOptions ha;
  ha.zookeeper.servers = options_.ha_zookeeper;
  ha.zookeeper.session_timeout = options_.ha_session_timeout;
  if (!options_.ha_digest_file.empty()) {
    ASSIGN_OR_RETURN(ha.zookeeper.digest, ReadDigest(options_.ha_digest_file));
  }
  ha.ha_path = options_.ha_path;
  ha.advertise = options_.advertise;
  replica_ = std::make_unique<Replica>(std::move(ha), store_.get(), clock_);
  replica_->SetListeners(
      [this](bool serving) {
        metrics_->leader.Set(serving ? 1 : 0);
        if (serving) {
          state_->Invalidate();
          rollouts_->Start();  // resumes the operations the log has running
        } else {
          rollouts_->Stop();
          WARN_IF_ERROR(store_->DisconnectAll(), "marking the nodes disconnected");
        }
      },
      [this](int64_t index, const v1::StoreWrite& write) {
        // Only a version or an epoch changes the cached plans; operation
        // steps and events (most entries) leave the cache alone.
        if (write.has_commit() || write.has_epoch() || write.has_snapshot()) {
          state_->Invalidate();
        }
        metrics_->log_applied_index.Set(static_cast<double>(index));
      });
  store_->SetWriteLog(replica_.get());
  return absl::OkStatus();
}

absl::StatusOr<v1::GetControllersResponse> ControllerServer::ControllersInfo() {
  v1::GetControllersResponse response;
  v1::ControllerInfo* self = response.mutable_self();
  ASSIGN_OR_RETURN(int64_t version, store_->CurrentVersion());
  self->set_current_version(version);
  Replica::Status status = replica_->status();
  response.set_ha(true);
  response.set_leader(status.leader);
  self->set_address(status.advertise);
  self->set_role(ElectionRoleName(status.role));
  self->set_serving(status.serving);
  self->set_applied_index(status.applied_index);
  self->set_error(status.error);
  absl::StatusOr<std::vector<std::string>> members = replica_->Members();
  if (members.ok()) {
    for (std::string& m : *members) response.add_members(std::move(m));
  }
  return response;
}

std::string ControllerServer::metrics_address() const {
  if (exposer_ == nullptr) return "";
  auto ports = exposer_->GetListeningPorts();
  const std::string& listen = options_.metrics_listen;
  return absl::StrCat(listen.substr(0, listen.rfind(':')), ":", ports.empty() ? 0 : ports[0]);
}

absl::Status ControllerServer::Start() {
  const std::string& db = options_.db_path;
  ASSIGN_OR_RETURN(retention_, RetentionFromOptions(options_));
  ASSIGN_OR_RETURN(
      std::shared_ptr<grpc::ServerCredentials> credentials,
      ControllerCredentials(options_.tls_dir, options_.insecure_plaintext, options_.listen,
                            absl::FromUnixMillis(clock_->NowMillis())));
  if (size_t slash = db.rfind('/'); slash != std::string::npos && slash > 0) {
    RETURN_IF_ERROR(Annotate(MakeDirs(db.substr(0, slash), 0700), "database directory"));
  }
  // The database holds the cluster's secrets' references and its history:
  // readable by the controller's user alone (SQLite gives its -wal and
  // -shm files the database file's mode).
  RETURN_IF_ERROR(Annotate(EnsureFileMode(db, 0600), "database file"));
  ASSIGN_OR_RETURN(store_, Store::Open(db, clock_));
  // No agent is connected yet, whatever a crash left recorded.
  RETURN_IF_ERROR(store_->DisconnectAll());
  state_ = std::make_unique<DesiredState>(store_.get());
  if (!options_.ha_zookeeper.empty()) RETURN_IF_ERROR(MakeReplica());

  registry_ = std::make_shared<prometheus::Registry>();
  metrics_ = std::make_unique<ControllerMetrics>(*registry_);
  metrics_->leader.Set(options_.ha_zookeeper.empty() ? 1 : 0);
  if (!options_.tls_dir.empty()) {
    // Read once: a new certificate takes a restart to be served anyway.
    for (const char* which : {"controller", "ca"}) {
      const std::string path = absl::StrCat(options_.tls_dir, "/", which, ".crt");
      absl::StatusOr<std::optional<std::string>> pem = ReadFileIfExists(path);
      absl::StatusOr<absl::Time> not_after =
          pem.ok() && pem->has_value() ? CertificateNotAfter(**pem)
                                       : absl::StatusOr<absl::Time>(absl::NotFoundError(path));
      if (!not_after.ok()) {
        WARN_IF_ERROR(not_after.status(), "metrics: the expiry of {}", path);
        continue;
      }
      metrics_->certificate_expiry.Add({{"certificate", which}})
          .Set(absl::ToDoubleSeconds(*not_after - absl::UnixEpoch()));
    }
  }
  if (!options_.metrics_listen.empty()) {
    try {  // prometheus-cpp reports a failed bind by throwing
      exposer_ = std::make_unique<prometheus::Exposer>(options_.metrics_listen);
    } catch (const std::exception& e) {
      return absl::UnavailableError(
          absl::StrCat("cannot serve /metrics on ", options_.metrics_listen, ": ", e.what()));
    }
    exposer_->RegisterCollectable(registry_);
  }
  ASSIGN_OR_RETURN(int64_t version, store_->CurrentVersion());
  metrics_->desired_version.Set(static_cast<double>(version));
  ASSIGN_OR_RETURN(int64_t epoch, store_->Epoch());
  metrics_->epoch.Set(static_cast<double>(epoch));

  batcher_ = std::make_unique<ReportBatcher>(store_.get(), options_.report_flush_interval);
  rollouts_ = std::make_unique<RolloutEngine>(
      store_.get(), state_.get(), &hub_, clock_,
      [](const std::string& host, uint32_t port, const std::string& word) {
        return TcpRequest(host, static_cast<int>(port), word, std::chrono::seconds(2));
      },
      RolloutEngine::Options());
  authz_ = std::make_unique<Authorizer>(!options_.insecure_plaintext);
  metrics_->insecure_plaintext.Set(options_.insecure_plaintext ? 1 : 0);
  if (options_.insecure_plaintext) {
    spdlog::warn(
        "serving WITHOUT TLS on {} (--insecure_plaintext): any local caller may apply specs, "
        "restart roles and receive any node's plan",
        options_.listen);
  }
  ASSIGN_OR_RETURN(std::unique_ptr<CertificateAuthority> ca, LoadCaForEnrolment(options_.tls_dir));
  Enrolment::Options enrolment_options;
  if (options_.node_cert_lifetime.count() > 0) {
    enrolment_options.node_certificate_lifetime = absl::FromChrono(options_.node_cert_lifetime);
  }
  enrolment_ = std::make_unique<Enrolment>(store_.get(), state_.get(), clock_, std::move(ca),
                                           enrolment_options);
  cluster_service_ = std::make_unique<ClusterServiceImpl>(
      authz_.get(), state_.get(), store_.get(), metrics_.get(), rollouts_.get(), enrolment_.get());
  std::function<absl::Status()> may_serve;
  if (replica_ != nullptr) {
    may_serve = [this] { return replica_->MayServe(); };
    cluster_service_->SetControllersInfo([this] { return ControllersInfo(); });
  }
  agent_service_ = std::make_unique<AgentServiceImpl>(
      authz_.get(), state_.get(), store_.get(), &hub_, batcher_.get(), metrics_.get(),
      rollouts_.get(), enrolment_.get(), std::move(may_serve));
  enrollment_service_ = std::make_unique<EnrollmentServiceImpl>(authz_.get(), enrolment_.get());
  state_->SetVersionListener([this](int64_t version) { agent_service_->PushVersion(version); });
  state_->SetPendingRollouts(rollouts_.get());
  // Before gRPC serves: CreateWebLogin must find the page's login set.
  if (!options_.web_listen.empty()) RETURN_IF_ERROR(StartWeb());

  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, credentials, &port_);
  builder.RegisterService(cluster_service_.get());
  builder.RegisterService(agent_service_.get());
  builder.RegisterService(enrollment_service_.get());
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                             static_cast<int>(options_.keepalive_time.count()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                             static_cast<int>(options_.keepalive_timeout.count()));
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  // Agents ping too (to notice a dead controller); allow it.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 1000);
  // A fixed receive window per stream: with BDP probing gRPC grows it to
  // tens of MB for a peer that sends fast, and buffers that much for each;
  // 1,000 results of 256 KiB from one node left the controller 28-38 MB
  // larger, against 3 MB with this (tests/integration/
  // controller_resource_test.cc). Agents send small reports; nothing here
  // needs the throughput.
  builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen, " (in use, or not an address here)"));
  }
  maintenance_ = std::thread([this] { MaintenanceLoop(); });
  if (replica_ != nullptr) {
    // The engine runs while this controller leads (the replica's listener).
    RETURN_IF_ERROR(replica_->Start());
  } else {
    rollouts_->Start();  // resumes operations a previous controller left running
  }
  spdlog::info("bam-controller serving on port {} (database {})", port_, db);
  if (options_.notifier != nullptr) options_.notifier->Ready(StatusLine(nullptr, 0));
  return absl::OkStatus();
}

absl::Status ControllerServer::StartWeb() {
  WebOptions web;
  web.listen = options_.web_listen;
  web.public_url = options_.web_url;
  web.advertise_host = options_.advertise.substr(0, options_.advertise.rfind(':'));
  if (!options_.tls_dir.empty()) {
    web.cert_file = options_.tls_dir + "/controller.crt";
    web.key_file = options_.tls_dir + "/controller.key";
    web.client_ca_file = options_.tls_dir + "/ca.crt";
    // Prometheus proves itself with a viewer certificate, as bamctl does.
    web.certificate_user = [](absl::string_view pem) -> absl::StatusOr<WebUser> {
      ASSIGN_OR_RETURN(const Identity id, IdentityOfCertificate(pem));
      RETURN_IF_ERROR(CheckAccess(Caller{id.name, id.role, true}, Access::kRead, "web"));
      return WebUser{id.name, std::string(PeerRoleText(id.role))};
    };
  }
  OverviewSources sources;
  sources.state = state_.get();
  sources.store = store_.get();
  if (replica_ != nullptr) sources.controllers = [this] { return ControllersInfo(); };
  sources.four_letter_word = [](const std::string& host, uint32_t port, const std::string& word) {
    return TcpRequest(host, static_cast<int>(port), word, std::chrono::seconds(1));
  };
  sources.clock = clock_;
  sources.metrics_address = metrics_address();
  ASSIGN_OR_RETURN(web_, WebServer::Start(std::move(web), std::move(sources), clock_));
  cluster_service_->SetWebLogin([this](const Caller& caller) {
    return web_->CreateLogin(WebUser{caller.name, caller.verified
                                                      ? std::string(PeerRoleText(caller.role))
                                                      : std::string("plaintext")});
  });
  spdlog::info("web page at {}", web_->url());
  return absl::OkStatus();
}

int64_t ControllerServer::PruneIfDue(int64_t now_ms, int64_t due_ms) {
  if (now_ms < due_ms) return due_ms;
  const int64_t next = now_ms + options_.retention_interval.count();
  if (retention_.max_events == 0 && retention_.max_event_age_ms == 0 &&
      retention_.max_versions == 0) {
    return next;  // keeps all: no need for the write lock
  }
  absl::StatusOr<PruneResult> pruned = store_->Prune(retention_);
  if (!pruned.ok()) {
    WARN_IF_ERROR(pruned.status(), "retention: pruning events and versions");
    return next;
  }
  if (pruned->events > 0 || pruned->versions > 0) {
    metrics_->pruned_events.Increment(static_cast<double>(pruned->events));
    metrics_->pruned_versions.Increment(static_cast<double>(pruned->versions));
    spdlog::info("retention: pruned {} events and {} versions{}", pruned->events, pruned->versions,
                 pruned->more ? "; more in the next pass" : "");
  }
  // A backlog (a new limit, a burst of events) goes a bounded pass per tick.
  return pruned->more ? now_ms : next;
}

std::string ControllerServer::StatusLine(const v1::GetStatusResponse* status,
                                         int running_ops) const {
  std::string line;
  if (replica_ == nullptr) {
    line = "serving";
  } else {
    const Replica::Status r = replica_->status();
    if (!r.error.empty()) {
      line = absl::StrCat("not serving: ", r.error);
    } else if (r.serving) {
      line = "leading";
    } else {
      line = absl::StrCat("following ", r.leader.empty() ? "(no leader yet)" : r.leader);
    }
    absl::StrAppend(&line, ", log index ", r.applied_index);
  }
  if (status != nullptr) {
    int connected = 0;
    int converged = 0;
    for (const v1::NodeStatus& n : status->nodes()) {
      connected += n.connected() ? 1 : 0;
      converged += n.converged() ? 1 : 0;
    }
    absl::StrAppend(&line, "; version ", status->desired_version(), "; ", status->nodes_size(),
                    " nodes, ", connected, " connected, ", converged, " converged");
    if (running_ops > 0) absl::StrAppend(&line, "; ", running_ops, " operations running");
  }
  return line;
}

void ControllerServer::MaintenanceLoop() {
  NameThisThread("ctl-maintain");
  int64_t prune_due_ms = clock_->MonotonicMillis();  // the first pass on the first tick
  SystemdNotifier* notifier = options_.notifier;
  while (true) {
    {
      absl::MutexLock lock(&maintenance_mu_);
      const bool* stop = &stop_maintenance_;
      int64_t tick = kMaintenanceIntervalMs;
      if (notifier != nullptr) tick = std::min(tick, notifier->PingIntervalMs());
      clock_->AwaitUntil(maintenance_mu_, absl::Condition(stop), clock_->MonotonicMillis() + tick);
      if (stop_maintenance_) return;
    }
    // The watchdog hears from this loop, after it has read the database
    // (the previous pass): a wedged store or a deadlocked loop stops it.
    if (notifier != nullptr) notifier->Ping(clock_->MonotonicMillis());
    prune_due_ms = PruneIfDue(clock_->MonotonicMillis(), prune_due_ms);
    if (replica_ != nullptr) {
      const int64_t changes = replica_->status().leadership_changes;
      if (changes > leadership_changes_seen_) {
        metrics_->leadership_changes.Increment(
            static_cast<double>(changes - leadership_changes_seen_));
        leadership_changes_seen_ = changes;
      }
    }
    absl::StatusOr<v1::GetStatusResponse> status = state_->Status();
    if (!status.ok()) {
      WARN_IF_ERROR(status.status(), "metrics: reading the cluster status");
      continue;
    }
    int converged = 0;
    for (const v1::NodeStatus& n : status->nodes()) converged += n.converged() ? 1 : 0;
    metrics_->nodes_converged.Set(converged);
    metrics_->nodes_not_converged.Set(status->nodes_size() - converged);
    absl::StatusOr<std::vector<v1::Operation>> ops = store_->ListOperations(1000, true);
    if (!ops.ok()) {
      WARN_IF_ERROR(ops.status(), "metrics: listing operations");
      continue;
    }
    std::map<v1::OperationState, int> by_state;
    for (const v1::Operation& op : *ops) ++by_state[op.state()];
    for (auto& [state, gauge] : metrics_->operations) gauge->Set(by_state[state]);
    if (notifier != nullptr) {
      notifier->Status(StatusLine(&*status, by_state[v1::OPERATION_STATE_RUNNING]));
    }
  }
}

void ControllerServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

void ControllerServer::Shutdown() {
  absl::MutexLock shutdown_lock(&shutdown_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (options_.notifier != nullptr) options_.notifier->Stopping("shutting down");
  if (web_ != nullptr) web_->Shutdown();  // ends the pages' streams
  if (server_ != nullptr) {
    // Ends open agent streams (their reactors finish) after a short grace.
    server_->Shutdown(std::chrono::system_clock::now() + options_.shutdown_grace);
  }
  {
    absl::MutexLock lock(&maintenance_mu_);
    stop_maintenance_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  if (replica_) replica_->Stop();  // leaves the election: another leads at once
  if (rollouts_) rollouts_->Stop();
  batcher_.reset();  // flushes
  server_.reset();
  exposer_.reset();
  web_.reset();
  store_.reset();
}

}  // namespace bamctl
