#include "tests/emulators/coordination.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "tests/emulators/product_util.h"

namespace bamctl::emulator {
namespace {

using Clock = std::chrono::steady_clock;

// ntask's member ids: the sequence node's name.
bool IsMember(absl::string_view name) {
  return name.size() == 14 && absl::StartsWith(name, "node") &&
         std::all_of(name.begin() + 4, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

sockaddr_in Ipv4(const std::string& ip, int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  return addr;
}

// Copies bytes both ways until either side closes.
void Pump(int a, int b) {
  char buf[16384];
  pollfd fds[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
  while (poll(fds, 2, -1) > 0) {
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = recv(fds[i].fd, buf, sizeof(buf), 0);
      if (n <= 0) return;
      for (ssize_t sent = 0; sent < n;) {
        const ssize_t m =
            send(fds[1 - i].fd, buf + sent, static_cast<size_t>(n - sent), MSG_NOSIGNAL);
        if (m <= 0) return;
        sent += m;
      }
    }
  }
}

}  // namespace

// Listens on source:ephemeral and forwards each connection to one server,
// connecting from `source`.
class TaskCoordination::Relay {
 public:
  Relay(std::string source, std::string server_ip, int server_port)
      : source_(std::move(source)), server_ip_(std::move(server_ip)), server_port_(server_port) {}
  ~Relay() {
    stop_ = true;
    if (listen_fd_ >= 0) shutdown(listen_fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    if (listen_fd_ >= 0) close(listen_fd_);
  }

  absl::StatusOr<std::string> Start() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = Ipv4(source_, 0);
    socklen_t len = sizeof(addr);
    if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        listen(listen_fd_, 16) != 0 ||
        getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      return absl::UnavailableError(absl::StrCat("relay on ", source_, ": ", std::strerror(errno)));
    }
    thread_ = std::thread([this] { Serve(); });
    return absl::StrCat(source_, ":", ntohs(addr.sin_port));
  }

 private:
  void Serve() {
    while (!stop_) {
      const int client = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0) return;  // shut down
      const int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in from = Ipv4(source_, 0);
      sockaddr_in to = Ipv4(server_ip_, server_port_);
      if (server < 0 || bind(server, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0 ||
          connect(server, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) {
        if (server >= 0) close(server);
        close(client);  // the client tries its next server
        continue;
      }
      // One session at a time per server: the pump ends with either side.
      std::thread([client, server] {
        Pump(client, server);
        close(client);
        close(server);
      }).detach();
    }
  }

  const std::string source_;
  const std::string server_ip_;
  const int server_port_;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TaskCoordination::TaskCoordination(DaemonPlan::Coordination config, Logger* log)
    : config_(std::move(config)), log_(log) {}

TaskCoordination::~TaskCoordination() { Close(); }

absl::Status TaskCoordination::Start() {
  std::vector<std::string> hosts;
  const bool relayed = !config_.source_address.empty() && config_.source_address != "0.0.0.0";
  for (const auto& [host, port] : config_.servers) {
    absl::StatusOr<std::string> ip = ResolveIPv4(host);
    if (!ip.ok()) return ip.status();
    if (!relayed) {
      hosts.push_back(absl::StrCat(*ip, ":", port));
      continue;
    }
    if (relays_.size() < config_.servers.size()) {
      relays_.push_back(std::make_unique<Relay>(config_.source_address, *ip, port));
      absl::StatusOr<std::string> relay = relays_.back()->Start();
      if (!relay.ok()) return relay.status();
      relay_hosts_.push_back(*relay);
    }
  }
  if (relayed) hosts = relay_hosts_;
  zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);
  const std::string connect = absl::StrJoin(hosts, ",");
  zh_ = zookeeper_init(connect.c_str(), nullptr, config_.session_timeout_ms, nullptr, nullptr, 0);
  if (zh_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("zookeeper_init(", connect, ") failed"));
  }
  member_.clear();
  leader_ = false;
  return absl::OkStatus();
}

bool TaskCoordination::AwaitConnected(std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (zh_ != nullptr && zoo_state(zh_) != ZOO_CONNECTED_STATE && Clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return zh_ != nullptr && zoo_state(zh_) == ZOO_CONNECTED_STATE;
}

absl::Status TaskCoordination::CreateMember() {
  // Every ancestor persistent and empty; others may have made them.
  std::string path;
  for (absl::string_view part : absl::StrSplit(kHiveTaskGroup, '/', absl::SkipEmpty())) {
    absl::StrAppend(&path, "/", part);
    const int rc = zoo_create(zh_, path.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, nullptr, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
      return absl::UnavailableError(absl::StrCat("creating ", path, ": ", zerror(rc)));
    }
  }
  char created[512];
  const std::string prefix = absl::StrCat(kHiveTaskGroup, "/node");
  const int rc = zoo_create(zh_, prefix.c_str(), "", 0, &ZOO_OPEN_ACL_UNSAFE,
                            ZOO_EPHEMERAL | ZOO_SEQUENCE, created, sizeof(created));
  if (rc != ZOK) {
    return absl::UnavailableError(absl::StrCat("joining ", kHiveTaskGroup, ": ", zerror(rc)));
  }
  member_ = std::string(created).substr(std::string(kHiveTaskGroup).size() + 1);
  log_->Info(absl::StrCat("Joined the task server group [HIVE_TASK] as member ", member_));
  return absl::OkStatus();
}

void TaskCoordination::Poll() {
  if (zh_ == nullptr) return;
  if (zoo_state(zh_) == ZOO_EXPIRED_SESSION_STATE) {
    if (leader_) log_->Warn("ZooKeeper session expired: local tasks stopped");
    log_->Warn("ZooKeeper session expired; joining the task server group again");
    zookeeper_close(zh_);
    zh_ = nullptr;
    if (absl::Status s = Start(); !s.ok()) log_->Error(s.message());
    return;
  }
  if (zoo_state(zh_) != ZOO_CONNECTED_STATE) {
    if (!told_waiting_) {
      log_->Warn("Coordination service: not connected to ZooKeeper; the task server waits");
      told_waiting_ = true;
    }
    return;
  }
  told_waiting_ = false;
  if (member_.empty()) {
    log_->Info(absl::StrCat("Session establishment complete, sessionid = 0x",
                            absl::Hex(zoo_client_id(zh_)->client_id)));
    if (absl::Status joined = CreateMember(); !joined.ok()) {
      log_->Error(absl::StrCat("Coordination service: ", joined.message()));
      return;
    }
  }
  String_vector children{};
  if (zoo_get_children(zh_, kHiveTaskGroup, 0, &children) != ZOK) return;  // retried next poll
  std::vector<std::string> members;
  for (int i = 0; i < children.count; ++i) {
    if (IsMember(children.data[i])) members.emplace_back(children.data[i]);
  }
  deallocate_String_vector(&children);
  std::sort(members.begin(), members.end());
  const bool leader = !members.empty() && members.front() == member_;
  if (leader && !leader_) {
    log_->Info("Task server leader changed [HIVE_TASK], rescheduling missing tasks...");
    for (const std::string& task : config_.tasks) {
      log_->Info(absl::StrCat("Task scheduled: [-1234][HIVE_TASK][", task, "]"));
    }
  } else if (!leader && leader_) {
    log_->Info("No longer the task server leader [HIVE_TASK]: local tasks stopped");
  }
  leader_ = leader;
}

void TaskCoordination::Close() {
  if (zh_ != nullptr) {
    zookeeper_close(zh_);  // the member znode goes with the session
    zh_ = nullptr;
  }
  relays_.clear();
}

}  // namespace bamctl::emulator
