// bam-controller: keeps the desired state and streams plans to agents.
// Everything but flag parsing and signal handling lives in
// controller/server/controller_server.cc.
#include <csignal>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "common/sd_notify.h"
#include "controller/server/controller_server.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:7443",
          "HOST:PORT for the gRPC API (bamctl and agents); port 0 picks a free one");
ABSL_FLAG(std::string, db, "/var/lib/bam-controller/controller.db", "SQLite database file");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "HOST:PORT for Prometheus /metrics; empty disables it");
ABSL_FLAG(int, report_flush_interval_ms, 200,
          "how often agent reports are written to the database, in one transaction");
ABSL_FLAG(std::string, tls_dir, "",
          "directory with ca.crt, controller.crt and controller.key (bamctl pki init): serve "
          "TLS and verify client certificates against the CA");
ABSL_FLAG(bool, insecure_plaintext, false,
          "serve without TLS, every caller with all rights; only on a loopback --listen");
// Hidden (no help text people need): tests shorten it to watch a renewal.
ABSL_FLAG(int64_t, node_cert_lifetime_ms, 0,
          "lifetime of node certificates this controller signs; 0: 30 days (tests only)");
ABSL_FLAG(int64_t, retain_events, 100000,
          "keep at most this many of the newest audit events (bamctl events); 0 keeps all");
ABSL_FLAG(int64_t, retain_events_days, 0,
          "also prune audit events older than this many days; 0: no age limit");
ABSL_FLAG(int64_t, retain_versions, 1000,
          "keep the newest this many desired-state versions, and any still in use (the current "
          "one, one a node holds, one an unfinished operation names); 0 keeps all");
ABSL_FLAG(int, keepalive_time_ms, 2000, "HTTP/2 ping interval towards agents");
ABSL_FLAG(int, keepalive_timeout_ms, 2000, "time to wait for a ping answer before dropping");

ABSL_FLAG(std::string, ha_zookeeper, "",
          "HOST:PORT,... of a ZooKeeper ensemble: run as one of several controllers, one leading "
          "(docs/ha.md); empty: this controller alone, on its database");
ABSL_FLAG(std::string, ha_path, "/bamctl/cluster",
          "the ZooKeeper path the controllers of one cluster share");
ABSL_FLAG(std::string, advertise, "",
          "HOST:PORT agents and bamctl reach this controller at (required with --ha_zookeeper)");
ABSL_FLAG(std::string, ha_digest_file, "",
          "file holding USER:PASSWORD: the controllers' ZooKeeper nodes are theirs alone "
          "(digest ACLs); empty: open to every client of the ensemble");
ABSL_FLAG(std::string, web_listen, "",
          "HOST:PORT of the web status page and Prometheus service discovery (HTTPS with "
          "--tls_dir's controller certificate; plaintext only on loopback); empty: none");
ABSL_FLAG(std::string, web_url, "",
          "the web page's address as people open it (https://ctl1.example:9443); default: "
          "made from --web_listen and --advertise");
ABSL_FLAG(int, ha_session_timeout_ms, 10000,
          "ZooKeeper session timeout: how long a silent leader keeps leading");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bam-controller --listen=HOST:PORT --tls_dir=DIR --db=PATH --metrics_listen=HOST:PORT\n"
      "Flags may also come from a file: --flagfile=/etc/bam-controller/flags");
  // --help lists this program's own flags (absl matches them by the file
  // that defines them), --version names the release.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "controller/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.version_string = [] { return std::string("bam-controller " BAMCTL_VERSION "\n"); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  // Before any thread: it unsets systemd's variables.
  bamctl::SystemdNotifier notifier = bamctl::SystemdNotifier::FromEnvironment();

  // SIGINT/SIGTERM are waited for on a thread, not handled asynchronously.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  bamctl::ControllerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.db_path = absl::GetFlag(FLAGS_db);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.tls_dir = absl::GetFlag(FLAGS_tls_dir);
  options.insecure_plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  options.report_flush_interval =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_report_flush_interval_ms));
  options.keepalive_time = std::chrono::milliseconds(absl::GetFlag(FLAGS_keepalive_time_ms));
  options.keepalive_timeout = std::chrono::milliseconds(absl::GetFlag(FLAGS_keepalive_timeout_ms));
  options.node_cert_lifetime =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_node_cert_lifetime_ms));
  options.retain_events = absl::GetFlag(FLAGS_retain_events);
  options.retain_events_days = absl::GetFlag(FLAGS_retain_events_days);
  options.retain_versions = absl::GetFlag(FLAGS_retain_versions);
  options.ha_zookeeper = absl::GetFlag(FLAGS_ha_zookeeper);
  options.ha_path = absl::GetFlag(FLAGS_ha_path);
  options.advertise = absl::GetFlag(FLAGS_advertise);
  options.ha_digest_file = absl::GetFlag(FLAGS_ha_digest_file);
  options.ha_session_timeout =
      std::chrono::milliseconds(absl::GetFlag(FLAGS_ha_session_timeout_ms));
  options.web_listen = absl::GetFlag(FLAGS_web_listen);
  options.web_url = absl::GetFlag(FLAGS_web_url);
  options.notifier = &notifier;
  bamctl::ControllerServer server(options);
  if (absl::Status s = server.Start(); !s.ok()) {
    spdlog::critical("bam-controller: {}", s.ToString());
    // 1 for what may pass (an address in use); 2 for what a restart cannot
    // fix (flags, TLS files, the database): the unit does not restart on 2.
    return s.code() == absl::StatusCode::kUnavailable ? 1 : 2;
  }
  std::thread waiter([&] {
    int signal = 0;
    sigwait(&signals, &signal);
    spdlog::info("signal {}: shutting down", signal);
    server.Shutdown();
  });
  server.Wait();
  server.Shutdown();
  waiter.detach();  // still blocked in sigwait when the server stopped itself
  return 0;
}
