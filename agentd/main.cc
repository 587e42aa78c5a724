// bam-agentd: runs one host's share of the cluster. Everything but flag
// parsing and signal handling lives in agentd/agent/agent.cc.
#include <csignal>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/reflection.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "agentd/agent/agent.h"
#include "agentd/agent/config_file.h"
#include "agentd/hostfs/safe_fs.h"
#include "agentd/tls/enrol.h"
#include "common/file_util.h"
#include "common/sd_notify.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

ABSL_FLAG(std::string, config, "/etc/bam-agent/agentd.conf",
          "settings file (`name = value` lines); read when present, command-line flags win");
ABSL_FLAG(std::string, node, "", "this host's node name in the cluster spec (required)");
ABSL_FLAG(std::string, controller, "127.0.0.1:7443",
          "HOST:PORT of bam-controller, or HOST:PORT,HOST:PORT,... of the controllers of an HA "
          "cluster (the agent follows the leader)");
ABSL_FLAG(std::string, state_dir, "/var/lib/bam-agent", "the agent's state (plan, processes)");
ABSL_FLAG(std::string, root_dir, "",
          "prefix for every host path the roles use (installs, data, config); empty on a host");
ABSL_FLAG(std::string, log_dir, "/var/log/bam-agent", "per-service logs: <service>.log");
ABSL_FLAG(std::string, hosts_file, "",
          "hosts file for the cluster's host entries; default <root_dir>/etc/hosts");
ABSL_FLAG(std::string, allowed_paths, "",
          "host policy: comma-separated absolute dirs plans may touch (below them, after "
          "--root_dir is applied); empty: /opt,/srv,/var/lib,/var/log,/home");
ABSL_FLAG(std::string, secret_paths, "/etc/bamctl",
          "host policy: comma-separated absolute dirs (after --root_dir) where a plan's "
          "password_file may be, besides allowed_paths");
ABSL_FLAG(std::string, role_users, "",
          "host policy: comma-separated users roles may run as; empty: any user but uid 0");
ABSL_FLAG(bool, allow_hosts_file, true, "host policy: plans may manage the hosts file");
ABSL_FLAG(bool, allow_root_roles, false,
          "host policy: roles may run as root (a local cluster run by root; never on a host)");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9465",
          "HOST:PORT for Prometheus /metrics; empty disables it");
ABSL_FLAG(int, probe_interval_ms, 2000, "time between runs of each probe");
ABSL_FLAG(int, probe_timeout_ms, 2000, "bound of one probe run");
ABSL_FLAG(int, heartbeat_ms, 5000, "heartbeat interval towards the controller");
ABSL_FLAG(int, resync_ms, 5000, "longest time between reconcile passes (drift checks)");
ABSL_FLAG(int, backoff_initial_ms, 500, "wait before restarting a service that exited");
ABSL_FLAG(int, backoff_max_ms, 60000, "longest wait between restarts");
ABSL_FLAG(int, quick_exit_ms, 10000, "an exit sooner than this after start is a quick failure");
ABSL_FLAG(int, crash_loop_after, 5, "quick failures in a row that make a crash loop");
ABSL_FLAG(std::string, ca_file, "", "the cluster CA (PEM) that verifies the controller");
ABSL_FLAG(std::string, cert_file, "",
          "this node's certificate (PEM); default <state_dir>/node.crt");
ABSL_FLAG(std::string, key_file, "",
          "this node's private key (PEM, 0600); default <state_dir>/node.key");
ABSL_FLAG(std::string, bootstrap_token, "",
          "one-time enrolment token (bamctl node token create); used only while no certificate "
          "exists");
ABSL_FLAG(std::string, bootstrap_token_file, "",
          "file holding the enrolment token, to keep it off the command line");
ABSL_FLAG(bool, insecure_plaintext, false,
          "talk plaintext to a controller run with --insecure_plaintext (loopback only); "
          "required when no --ca_file is given");

namespace {

const std::vector<std::string>& SettingNames() {
  static const std::vector<std::string> names = {"node",
                                                 "controller",
                                                 "state_dir",
                                                 "root_dir",
                                                 "log_dir",
                                                 "hosts_file",
                                                 "allowed_paths",
                                                 "secret_paths",
                                                 "role_users",
                                                 "allow_hosts_file",
                                                 "allow_root_roles",
                                                 "metrics_listen",
                                                 "probe_interval_ms",
                                                 "probe_timeout_ms",
                                                 "heartbeat_ms",
                                                 "resync_ms",
                                                 "backoff_initial_ms",
                                                 "backoff_max_ms",
                                                 "quick_exit_ms",
                                                 "crash_loop_after",
                                                 "ca_file",
                                                 "cert_file",
                                                 "key_file",
                                                 "bootstrap_token",
                                                 "bootstrap_token_file",
                                                 "insecure_plaintext"};
  return names;
}

// The config file's settings go before the command line's arguments, so
// the command line wins; --config itself is looked for first.
std::vector<std::string> ArgsWithConfig(int argc, char** argv) {
  std::string path = "/etc/bam-agent/agentd.conf";
  bool explicit_path = false;
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (absl::ConsumePrefix(&arg, "--config=") || absl::ConsumePrefix(&arg, "-config=")) {
      path = std::string(arg);
      explicit_path = true;
    }
  }
  std::vector<std::string> args = {argv[0]};
  absl::StatusOr<std::optional<std::string>> text = bamctl::ReadAgentConfig(path);
  if (!text.ok() || (!text->has_value() && explicit_path)) {
    spdlog::critical("bam-agentd: cannot read {}: {}", path,
                     text.ok() ? "no such file" : text.status().ToString());
    std::exit(2);
  }
  if (text->has_value()) {
    auto is_flag = [](absl::string_view name) {
      for (const std::string& n : SettingNames()) {
        if (n == name) return true;
      }
      return false;
    };
    absl::StatusOr<std::vector<std::string>> settings =
        bamctl::ParseAgentConfig(**text, path, is_flag, SettingNames());
    if (!settings.ok()) {
      spdlog::critical("bam-agentd: {}", settings.status().ToString());
      std::exit(2);
    }
    args.insert(args.end(), settings->begin(), settings->end());
  }
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return args;
}

// A policy setting's comma-separated directories, each below `root_dir`.
absl::StatusOr<std::vector<std::string>> PolicyDirs(absl::string_view setting,
                                                    absl::string_view value,
                                                    const std::string& root_dir) {
  std::vector<std::string> dirs;
  for (absl::string_view path : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
    path = absl::StripAsciiWhitespace(path);
    if (absl::Status valid = bamctl::safefs::CheckPath(path); !valid.ok() || path == "/") {
      return absl::InvalidArgumentError(
          absl::StrCat("--", setting, ": \"", path,
                       "\" must be an absolute, normalized directory other than /"));
    }
    dirs.push_back(absl::StrCat(root_dir, path));
  }
  return dirs;
}

// The host policy (agentd.conf or flags): the host's, never the plan's.
absl::StatusOr<bamctl::HostPolicy> PolicyFromFlags(const std::string& root_dir) {
  bamctl::HostPolicy policy;
  const std::string paths = absl::GetFlag(FLAGS_allowed_paths);
  if (paths.empty()) {
    policy.allowed_paths = bamctl::DefaultOwnedRoots(root_dir);
  } else {
    ASSIGN_OR_RETURN(policy.allowed_paths, PolicyDirs("allowed_paths", paths, root_dir));
  }
  // Where operators keep secrets (the seed's password files).
  ASSIGN_OR_RETURN(policy.secret_paths,
                   PolicyDirs("secret_paths", absl::GetFlag(FLAGS_secret_paths), root_dir));
  for (absl::string_view user :
       absl::StrSplit(absl::GetFlag(FLAGS_role_users), ',', absl::SkipWhitespace())) {
    policy.role_users.emplace_back(absl::StripAsciiWhitespace(user));
  }
  policy.hosts_file = absl::GetFlag(FLAGS_allow_hosts_file);
  policy.allow_root_roles = absl::GetFlag(FLAGS_allow_root_roles);
  return policy;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bam-agentd --node=NAME --controller=HOST:PORT --state_dir=DIR --root_dir=DIR "
      "--metrics_listen=HOST:PORT\n  (--ca_file=CA.crt [--bootstrap_token_file=FILE] | "
      "--insecure_plaintext)\nSettings may also come from /etc/bam-agent/agentd.conf.");
  // --help lists this program's own flags (absl matches them by the file
  // that defines them), --version names the release.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::EndsWith(file, "agentd/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.version_string = [] { return std::string("bam-agentd " BAMCTL_VERSION "\n"); };
  absl::SetFlagsUsageConfig(usage);
  // Before any thread: it unsets systemd's variables, which roles must not
  // inherit.
  bamctl::SystemdNotifier notifier = bamctl::SystemdNotifier::FromEnvironment();
  std::vector<std::string> args = ArgsWithConfig(argc, argv);
  std::vector<char*> arg_ptrs;
  arg_ptrs.reserve(args.size());
  for (std::string& a : args) arg_ptrs.push_back(a.data());
  absl::ParseCommandLine(static_cast<int>(arg_ptrs.size()), arg_ptrs.data());

  if (absl::GetFlag(FLAGS_node).empty()) {
    spdlog::critical("bam-agentd: --node is required (this host's node name in the spec)");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A role's stop command or a closed controller socket must not kill us.
  signal(SIGPIPE, SIG_IGN);

  bamctl::AgentOptions options;
  bamctl::ReconcilerOptions& r = options.reconciler;
  r.node = absl::GetFlag(FLAGS_node);
  r.agent_version = BAMCTL_VERSION;
  r.root_dir = absl::GetFlag(FLAGS_root_dir);
  r.state_dir = absl::GetFlag(FLAGS_state_dir);
  r.log_dir = absl::GetFlag(FLAGS_log_dir);
  r.hosts_file = absl::GetFlag(FLAGS_hosts_file);
  if (r.hosts_file.empty()) r.hosts_file = r.root_dir + "/etc/hosts";
  absl::StatusOr<bamctl::HostPolicy> policy = PolicyFromFlags(r.root_dir);
  if (!policy.ok()) {
    spdlog::critical("bam-agentd: {}", std::string(policy.status().message()));
    return 2;
  }
  r.policy = *std::move(policy);
  r.resync_ms = absl::GetFlag(FLAGS_resync_ms);
  r.restart.backoff_initial_ms = absl::GetFlag(FLAGS_backoff_initial_ms);
  r.restart.backoff_max_ms = absl::GetFlag(FLAGS_backoff_max_ms);
  r.restart.quick_exit_ms = absl::GetFlag(FLAGS_quick_exit_ms);
  r.restart.crash_loop_after = absl::GetFlag(FLAGS_crash_loop_after);
  options.controller = absl::GetFlag(FLAGS_controller);
  options.metrics_listen = absl::GetFlag(FLAGS_metrics_listen);
  options.probe_interval = std::chrono::milliseconds(absl::GetFlag(FLAGS_probe_interval_ms));
  options.probe_timeout = std::chrono::milliseconds(absl::GetFlag(FLAGS_probe_timeout_ms));
  options.heartbeat = std::chrono::milliseconds(absl::GetFlag(FLAGS_heartbeat_ms));

  if (absl::Status s = bamctl::MakeDirs(r.state_dir, 0700); !s.ok()) {
    spdlog::critical("bam-agentd: state dir: {}", s.ToString());
    return 1;
  }
  bamctl::AgentTlsSettings tls;
  tls.insecure_plaintext = absl::GetFlag(FLAGS_insecure_plaintext);
  tls.controller = options.controller;
  tls.node = r.node;
  tls.files.ca_file = absl::GetFlag(FLAGS_ca_file);
  tls.files.cert_file = absl::GetFlag(FLAGS_cert_file);
  if (tls.files.cert_file.empty()) tls.files.cert_file = r.state_dir + "/node.crt";
  tls.files.key_file = absl::GetFlag(FLAGS_key_file);
  if (tls.files.key_file.empty()) tls.files.key_file = r.state_dir + "/node.key";
  tls.token = absl::GetFlag(FLAGS_bootstrap_token);
  tls.token_file = absl::GetFlag(FLAGS_bootstrap_token_file);
  absl::StatusOr<std::unique_ptr<bamctl::FileNodeCredentials>> credentials =
      bamctl::PrepareNodeCredentials(tls, bamctl::SystemClock::Get());
  if (!credentials.ok()) {
    spdlog::critical("bam-agentd: {}", std::string(credentials.status().message()));
    return 2;
  }
  options.credentials = credentials->get();
  options.notifier = &notifier;
  bamctl::HostAgentParts parts(options);
  bamctl::Agent agent(options, parts.Deps());
  if (absl::Status s = agent.Start(); !s.ok()) {
    spdlog::critical("bam-agentd: {}", s.ToString());
    return 1;
  }
  spdlog::info("bam-agentd {} for node {} (controller {}, {}, state {})", r.agent_version, r.node,
               options.controller, options.credentials != nullptr ? "mutual TLS" : "plaintext",
               r.state_dir);
  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("signal {}: stopping the agent; roles keep running", sig);
  agent.Stop();
  return 0;
}
