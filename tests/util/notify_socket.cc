#include "tests/util/notify_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>

#include "gtest/gtest.h"

namespace bamctl::testing {

NotifySocket::NotifySocket(std::string address) : address_(std::move(address)) {
  fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd_ < 0 || address_.empty() || address_.size() >= sizeof(addr.sun_path)) {
    ADD_FAILURE() << "notify socket \"" << address_ << "\": bad address or no socket";
    return;
  }
  std::memcpy(addr.sun_path, address_.data(), address_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  if (bind(fd_, reinterpret_cast<const sockaddr*>(&addr), len) != 0) {
    ADD_FAILURE() << "bind " << address_ << ": " << std::strerror(errno);
  }
}

NotifySocket::~NotifySocket() {
  if (fd_ >= 0) close(fd_);
  if (!address_.empty() && address_[0] == '/') unlink(address_.c_str());
}

std::optional<std::string> NotifySocket::Receive(std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return std::nullopt;
  char buf[4096];
  const ssize_t n = recv(fd_, buf, sizeof(buf), 0);
  if (n < 0) return std::nullopt;
  return std::string(buf, static_cast<size_t>(n));
}

}  // namespace bamctl::testing
