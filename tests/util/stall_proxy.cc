#include "tests/util/stall_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace bamctl::testing {
namespace {

// Every poll wakes at least this often to see the flags change.
constexpr int kTickMs = 20;

int Connect(const std::string& target) {
  std::vector<std::string> parts = absl::StrSplit(target, ':');
  uint32_t port = 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  if (parts.size() != 2 || !absl::SimpleAtoi(parts[1], &port) ||
      inet_pton(AF_INET, parts[0].c_str(), &addr.sin_addr) != 1) {
    ADD_FAILURE() << "StallProxy target must be IPv4:PORT, not " << target;
    return -1;
  }
  addr.sin_port = htons(static_cast<uint16_t>(port));
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ADD_FAILURE() << "StallProxy cannot connect to " << target << ": errno " << errno;
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

StallProxy::StallProxy(std::string target) : target_(std::move(target)) {
  thread_ = std::thread([this] { Run(); });
}

StallProxy::~StallProxy() {
  stop_ = true;
  thread_.join();
}

std::string StallProxy::address() const { return absl::StrCat("127.0.0.1:", listener_.port()); }

bool StallProxy::Pump(int from, int to, std::atomic<int64_t>* count) {
  char buf[16384];
  ssize_t n = read(from, buf, sizeof(buf));
  if (n <= 0) return false;
  for (ssize_t done = 0; done < n;) {
    // Blocking: each side's own transport reads promptly, so this is short.
    ssize_t w = write(to, buf + done, static_cast<size_t>(n - done));
    if (w <= 0) return false;
    done += w;
  }
  if (count != nullptr) *count += n;
  return true;
}

void StallProxy::Run() {
  int client = -1;
  while (!stop_ && client < 0) {
    pollfd accept_fd{listener_.fd(), POLLIN, 0};
    if (poll(&accept_fd, 1, kTickMs) == 1) {
      client = accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    }
  }
  if (client < 0) return;
  int server = Connect(target_);
  while (!stop_ && server >= 0) {
    // A negative fd is not polled: while held, nothing is read from the
    // server, not even its hang-up.
    pollfd fds[2] = {{client, POLLIN, 0}, {held_ ? -1 : server, POLLIN, 0}};
    if (poll(fds, 2, kTickMs) <= 0) continue;
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 && !Pump(client, server, nullptr)) {
      break;
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
        !Pump(server, client, &to_client_)) {
      break;
    }
  }
  close(client);
  if (server >= 0) close(server);
}

}  // namespace bamctl::testing
