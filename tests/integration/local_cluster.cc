#include "tests/integration/local_cluster.h"

#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <optional>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "localcluster/local_cluster_layout.h"
#include "pki/client_config.h"
#include "proto/enum_text.h"
#include "tests/util/loopback_subnet.h"
#include "tests/util/test_pki.h"

namespace bamctl::testing {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

namespace {

// Fixed: a restarted controller must come back where the agents dial, and
// the address is this process's alone.
constexpr int kControllerPort = 7443;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : fallback;
}

absl::Status FromGrpc(const grpc::Status& s, absl::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      absl::StrCat(what, ": ", s.error_message()));
}

std::string Summary(const v1::GetStatusResponse& status) {
  std::string out;
  for (const v1::NodeStatus& n : status.nodes()) {
    absl::StrAppend(&out, "\n  ", n.node(), n.connected() ? "" : " (disconnected)", ": ",
                    n.converged() ? "converged" : n.reason());
    for (const v1::RoleStatus& r : n.roles()) {
      absl::StrAppend(&out, "\n    ", r.service(), " ", EnumText(r.phase()), " ",
                      EnumText(r.health()), " pid ", r.pid(), " restarts ", r.restarts(), " ",
                      r.reason());
    }
  }
  return out;
}

}  // namespace

std::string MissingLocalClusterParts(bool emulated) {
  if (!fs::exists("/usr/share/java/zookeeper.jar") || !fs::exists("/usr/lib/jvm/default-java")) {
    return "Debian's zookeeper package or default-java is not installed "
           "(scripts/install-deps.sh installs both)";
  }
  for (const char* var : {"BAMCTL_CONTROLLER_BIN", "BAMCTL_AGENTD_BIN", "BAMCTL_EMULATOR_BIN"}) {
    if (!emulated && std::string(var) == "BAMCTL_EMULATOR_BIN") continue;
    if (std::getenv(var) == nullptr) return absl::StrCat(var, " is not set");
  }
  return "";
}

std::string CurrentUser() {
  struct passwd* pw = getpwuid(geteuid());
  return pw != nullptr ? pw->pw_name : "root";
}

std::vector<pid_t> ProcessesWithMarker(const std::string& needle) {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) continue;
    std::ifstream in(entry.path() / "environ", std::ios::binary);
    std::string var;
    while (std::getline(in, var, '\0')) {
      if (var.rfind("BAMCTL_SERVICE=", 0) == 0 && var.find(needle) != std::string::npos) {
        pids.push_back(pid);
        break;
      }
    }
  }
  return pids;
}

absl::StatusOr<std::unique_ptr<LocalCluster>> LocalCluster::Create(const fs::path& dir,
                                                                   const std::string& spec_text,
                                                                   Options options) {
  if (options.address_base.empty()) options.address_base = ProcessLoopbackSubnet().base();
  LocalClusterOptions layout_options;
  layout_options.dir = dir.string();
  layout_options.address_base = options.address_base;
  layout_options.emulator = EnvOr("BAMCTL_EMULATOR_BIN", "");
  absl::StatusOr<LocalClusterLayout> layout = PrepareLocalCluster(spec_text, layout_options);
  if (!layout.ok()) return layout.status();
  std::unique_ptr<LocalCluster> cluster(new LocalCluster(dir, std::move(options)));
  cluster->spec_text_ = layout->spec_text;
  // As an operator would: pki init for the controller's address, then
  // talk as the admin it made, through its bamctl.conf.
  std::vector<std::string> hosts;
  for (int i = 0; i < cluster->controller_count(); ++i) {
    const std::string address = cluster->ControllerAddress(i);
    hosts.push_back(address.substr(0, address.rfind(':')));
  }
  cluster->controllers_.resize(cluster->controller_count());
  RETURN_IF_ERROR(MakeControllerTlsDir(cluster->pki_dir().string(), hosts).status());
  ASSIGN_OR_RETURN(ClientConfig admin,
                   ReadClientConfig((cluster->pki_dir() / "bamctl.conf").string()));
  ASSIGN_OR_RETURN(ClientTls admin_tls, LoadClientTls(admin));
  cluster->admin_tls_.pem_root_certs = admin_tls.ca_pem;
  cluster->admin_tls_.pem_cert_chain = admin_tls.cert_pem;
  cluster->admin_tls_.pem_private_key = admin_tls.key_pem;
  for (const LocalNode& n : layout->nodes) {
    cluster->nodes_.push_back(n.name);
    cluster->addresses_[n.name] = n.address;
  }
  if (absl::Status s = cluster->StartController(); !s.ok()) return s;
  absl::StatusOr<v1::ApplyResponse> applied = cluster->Apply(cluster->spec_text_);
  if (!applied.ok()) return applied.status();
  return cluster;
}

LocalCluster::~LocalCluster() {
  agents_.clear();  // SIGKILL: nothing stops the roles behind our back
  controllers_.clear();
  KillRoles();
}

void LocalCluster::KillRoles() {
  // Bounded: a group that survives SIGKILL is in uninterruptible sleep.
  // Done after two empty scans in a row: a role an agent forked just before
  // it was killed carries the marker only once it has exec'd.
  int empty_scans = 0;
  for (int round = 0; round < 50 && empty_scans < 2; ++round) {
    std::vector<pid_t> pids = ProcessesWithMarker("@" + dir_.string());
    empty_scans = pids.empty() ? empty_scans + 1 : 0;
    for (pid_t pid : pids) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

std::string LocalCluster::ExitedDaemons() {
  std::string out;
  for (size_t i = 0; i < controllers_.size(); ++i) {
    if (controllers_[i] != nullptr && !controllers_[i]->Running()) {
      absl::StrAppend(&out, "\nbam-controller exited; see ",
                      ControllerLog(static_cast<int>(i)).string());
    }
  }
  for (const auto& [node, agent] : agents_) {
    if (!agent->Running()) {
      absl::StrAppend(&out, "\nbam-agentd of ", node, " exited; see ",
                      (dir_ / node / "agent.log").string());
    }
  }
  return out;
}

// The same layout as PrepareLocalCluster's.
std::string LocalCluster::NodeRoot(const std::string& node) const {
  return (dir_ / node / "root").string();
}
std::string LocalCluster::StateDir(const std::string& node) const {
  return (dir_ / node / "state").string();
}
std::string LocalCluster::LogDir(const std::string& node) const {
  return (dir_ / node / "log").string();
}
std::string LocalCluster::Address(const std::string& node) const {
  auto it = addresses_.find(node);
  return it == addresses_.end() ? "" : it->second;
}
std::string LocalCluster::NodeCertificate(const std::string& node) const {
  absl::StatusOr<std::optional<std::string>> cert = ReadFileIfExists(StateDir(node) + "/node.crt");
  return cert.ok() && cert->has_value() ? **cert : "";
}
std::string LocalCluster::controller_address() const { return ControllerAddress(0); }

std::string LocalCluster::ControllerAddress(int i) const {
  return absl::StrCat(LoopbackSubnet(options_.address_base).Address(254 - i), ":", kControllerPort);
}

std::string LocalCluster::ControllerAddresses() const {
  std::string out;
  for (int i = 0; i < controller_count(); ++i) {
    absl::StrAppend(&out, i > 0 ? "," : "", ControllerAddress(i));
  }
  return out;
}

fs::path LocalCluster::ControllerLog(int i) const {
  return dir_ / (i == 0 ? std::string("controller.log") : absl::StrCat("controller-", i, ".log"));
}

absl::Status LocalCluster::StartOneController(int i) {
  std::vector<std::string> argv = {
      EnvOr("BAMCTL_CONTROLLER_BIN", "bam-controller"),
      "--listen=" + ControllerAddress(i),
      "--db=" +
          (dir_ / (i == 0 ? std::string("controller.db") : absl::StrCat("controller-", i, ".db")))
              .string(),
      "--metrics_listen=",
      "--report_flush_interval_ms=20",
      "--tls_dir=" + pki_dir().string()};
  if (!options_.ha_zookeeper.empty()) {
    argv.push_back("--ha_zookeeper=" + options_.ha_zookeeper);
    argv.push_back("--ha_path=/bamctl/local-cluster");
    argv.push_back("--advertise=" + ControllerAddress(i));
    argv.push_back("--ha_session_timeout_ms=2000");  // the test servers' tick allows it
  }
  argv.insert(argv.end(), options_.controller_flags.begin(), options_.controller_flags.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, {}, dir_.string(), ControllerLog(i).string());
  if (!child.ok()) return child.status();
  controllers_[i] = std::move(*child);
  return absl::OkStatus();
}

absl::Status LocalCluster::StartController() {
  stub_.reset();
  channel_.reset();
  for (int i = 0; i < controller_count(); ++i) {
    if (controller_count() == 1) controllers_[i].reset();
    if (controllers_[i] == nullptr) RETURN_IF_ERROR(StartOneController(i));
  }
  return Connect(std::chrono::seconds(30));
}

absl::Status LocalCluster::Connect(std::chrono::milliseconds timeout) {
  // Bounded, and a controller that exits at start (its address taken) fails
  // at once instead of after the whole wait.
  const auto deadline = std::chrono::system_clock::now() + timeout;
  std::string last;
  while (std::chrono::system_clock::now() < deadline) {
    for (int i = 0; i < controller_count(); ++i) {
      if (controllers_[i] == nullptr) continue;
      if (!controllers_[i]->Running()) {
        return absl::FailedPreconditionError(
            absl::StrCat("bam-controller exited at start; see ", ControllerLog(i).string()));
      }
      auto channel = grpc::CreateChannel(ControllerAddress(i), grpc::SslCredentials(admin_tls_));
      if (!channel->WaitForConnected(std::chrono::system_clock::now() +
                                     std::chrono::milliseconds(250))) {
        last = absl::StrCat(ControllerAddress(i), " does not answer");
        continue;
      }
      auto stub = v1::ClusterService::NewStub(channel);
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
      v1::GetControllersResponse info;
      grpc::Status s = stub->GetControllers(&ctx, v1::GetControllersRequest(), &info);
      if (s.ok() && (!info.ha() || info.self().serving())) {
        channel_ = std::move(channel);
        stub_ = std::move(stub);
        leader_ = i;
        return absl::OkStatus();
      }
      last =
          absl::StrCat(ControllerAddress(i), ": ", s.ok() ? info.self().role() : s.error_message());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(absl::StrCat("no controller serves after ", timeout.count(),
                                                  " ms (", last, "); see ",
                                                  ControllerLog(0).string()));
}

v1::ClusterService::Stub* LocalCluster::Stub() {
  if (stub_ == nullptr && !options_.ha_zookeeper.empty()) {
    Connect(std::chrono::seconds(5)).IgnoreError();  // the caller reports "no controller"
  }
  return stub_.get();
}

void LocalCluster::Forget(const grpc::Status& status) {
  if (!options_.ha_zookeeper.empty() && status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    stub_.reset();
    channel_.reset();
  }
}

int LocalCluster::KillController() {
  const int killed = leader_;
  controllers_[killed].reset();
  stub_.reset();
  channel_.reset();
  return killed;
}

absl::Status LocalCluster::StartAgents() {
  for (const std::string& node : nodes_) {
    if (absl::Status s = StartAgent(node); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> LocalCluster::WriteEnrolmentToken(const std::string& node) {
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  v1::CreateNodeTokenRequest request;
  request.set_node(node);
  v1::CreateNodeTokenResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  if (grpc::Status s = stub_->CreateNodeToken(&ctx, request, &response); !s.ok()) {
    return FromGrpc(s, absl::StrCat("token for ", node));
  }
  const std::string path = (dir_ / node / "enrolment.token").string();
  std::error_code ec;
  fs::create_directories(dir_ / node, ec);
  RETURN_IF_ERROR(WriteFileAtomically(path, response.token(), 0600));
  return path;
}

absl::Status LocalCluster::StartAgent(const std::string& node) {
  agents_.erase(node);
  std::vector<std::string> argv = {EnvOr("BAMCTL_AGENTD_BIN", "bam-agentd"),
                                   "--config=/dev/null",
                                   "--ca_file=" + (pki_dir() / "ca.crt").string(),
                                   "--node=" + node,
                                   "--controller=" + ControllerAddresses(),
                                   "--state_dir=" + StateDir(node),
                                   "--root_dir=" + NodeRoot(node),
                                   "--log_dir=" + LogDir(node),
                                   absl::StrCat("--metrics_listen=", addresses_[node], ":9465")};
  // First start: enrol with a token. Later starts hold a certificate.
  if (NodeCertificate(node).empty()) {
    absl::StatusOr<std::string> token_file = WriteEnrolmentToken(node);
    if (!token_file.ok()) return token_file.status();
    argv.push_back("--bootstrap_token_file=" + *token_file);
  }
  // Roles run as the test's user; when that is root, the host policy must
  // allow it (a real host never does).
  if (geteuid() == 0) argv.emplace_back("--allow_root_roles");
  argv.insert(argv.end(), options_.agent_flags.begin(), options_.agent_flags.end());
  absl::StatusOr<std::unique_ptr<ChildProcess>> child =
      ChildProcess::Start(argv, {}, dir_.string(), (dir_ / node / "agent.log").string());
  if (!child.ok()) return child.status();
  agents_[node] = std::move(*child);
  return absl::OkStatus();
}

void LocalCluster::KillAgent(const std::string& node) { agents_.erase(node); }

void LocalCluster::SignalAgent(const std::string& node, int signal) {
  auto it = agents_.find(node);
  if (it != agents_.end()) kill(it->second->pid(), signal);
}

pid_t LocalCluster::AgentPid(const std::string& node) const {
  auto it = agents_.find(node);
  return it == agents_.end() ? 0 : it->second->pid();
}

absl::StatusOr<v1::ApplyResponse> LocalCluster::Apply(const std::string& spec_text) {
  v1::ApplyRequest request;
  request.set_spec_text(spec_text);
  request.set_file_name("local-cluster.yaml");
  request.set_author("local-cluster");
  v1::ApplyResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  grpc::Status s = stub_->ApplyDesiredState(&ctx, request, &response);
  Forget(s);
  if (!s.ok()) return FromGrpc(s, "apply");
  applied_spec_text_ = spec_text;
  return response;
}

absl::StatusOr<v1::GetStatusResponse> LocalCluster::Status() {
  v1::GetStatusResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  grpc::Status s = stub_->GetStatus(&ctx, v1::GetStatusRequest(), &response);
  Forget(s);
  if (!s.ok()) return FromGrpc(s, "status");
  return response;
}

absl::StatusOr<v1::CreateWebLoginResponse> LocalCluster::WebLogin() {
  v1::CreateWebLoginResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  grpc::Status s = stub_->CreateWebLogin(&ctx, v1::CreateWebLoginRequest(), &response);
  Forget(s);
  if (!s.ok()) return FromGrpc(s, "web login");
  return response;
}

absl::StatusOr<v1::GetStatusResponse> LocalCluster::WaitFor(
    const std::function<bool(const v1::GetStatusResponse&)>& done,
    std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  v1::GetStatusResponse last;
  std::string last_error;
  while (SteadyClock::now() < deadline) {
    absl::StatusOr<v1::GetStatusResponse> status = Status();
    if (status.ok()) {
      last = *status;
      if (done(last)) return last;
    } else {
      last_error = status.status().ToString();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("timed out after ", timeout.count(), " ms; last status:", Summary(last),
                   last_error.empty() ? "" : "\nlast error: ", last_error, ExitedDaemons(),
                   "\nlogs in ", dir_.string()));
}

absl::StatusOr<v1::GetStatusResponse> LocalCluster::WaitConverged(
    std::chrono::milliseconds timeout) {
  return WaitFor([](const v1::GetStatusResponse& s) { return s.converged(); }, timeout);
}

absl::StatusOr<v1::Operation> LocalCluster::StartRollingRestart(
    const v1::RollingRestartRequest& request) {
  v1::Operation op;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  grpc::Status s = stub_->StartRollingRestart(&ctx, request, &op);
  Forget(s);
  if (!s.ok()) return FromGrpc(s, "rolling restart");
  return op;
}

absl::StatusOr<v1::Operation> LocalCluster::GetOperation(int64_t id) {
  v1::GetOperationRequest request;
  request.set_id(id);
  v1::Operation op;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  if (Stub() == nullptr) return absl::FailedPreconditionError("no controller");
  grpc::Status s = stub_->GetOperation(&ctx, request, &op);
  Forget(s);
  if (!s.ok()) return FromGrpc(s, "operation");
  return op;
}

absl::StatusOr<v1::Operation> LocalCluster::WaitOperationDone(int64_t id,
                                                              std::chrono::milliseconds timeout) {
  const auto deadline = SteadyClock::now() + timeout;
  v1::Operation last;
  while (SteadyClock::now() < deadline) {
    // A controller being restarted does not answer for a moment.
    absl::StatusOr<v1::Operation> op = GetOperation(id);
    if (op.ok()) {
      last = *op;
      if (last.state() != v1::OPERATION_STATE_RUNNING &&
          last.state() != v1::OPERATION_STATE_WAITING) {
        return last;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("operation ", id, " still ", EnumText(last.state()), " after ", timeout.count(),
                   " ms: ", last.ShortDebugString(), ExitedDaemons()));
}

const v1::RoleStatus* LocalCluster::FindRole(const v1::GetStatusResponse& status,
                                             const std::string& node, const std::string& service) {
  for (const v1::NodeStatus& n : status.nodes()) {
    if (n.node() != node) continue;
    for (const v1::RoleStatus& r : n.roles()) {
      if (r.service() == service) return &r;
    }
  }
  return nullptr;
}

}  // namespace bamctl::testing
