#include "common/net_util.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace bamctl {
namespace {

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

// Waits for `events` on fd until the deadline; false on timeout or error.
bool WaitFor(int fd, int16_t events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    int n = poll(&p, 1, RemainingMs(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) return false;
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// A connected, non-blocking socket to host:port, or why there is none.
absl::StatusOr<std::unique_ptr<Fd>> Connect(absl::string_view host, int port,
                                            Clock::time_point deadline) {
  const std::string where = absl::StrCat(host, ":", port);
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  const std::string host_str(host);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
  if (inet_pton(AF_INET, host_str.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host_str.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(sockaddr_in6);
  } else {
    // A host name (the seed's files name hosts): resolve it. getaddrinfo is
    // not bounded by the deadline; probes run off the agent's loop for that.
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = getaddrinfo(host_str.c_str(), nullptr, &hints, &found);
    if (rc != 0 || found == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("resolve ", host, ": ", rc != 0 ? gai_strerror(rc) : "no address"));
    }
    std::memcpy(&addr, found->ai_addr, found->ai_addrlen);
    addr_len = found->ai_addrlen;
    freeaddrinfo(found);
    if (addr.ss_family == AF_INET) {
      v4->sin_port = htons(static_cast<uint16_t>(port));
    } else {
      v6->sin6_port = htons(static_cast<uint16_t>(port));
    }
  }
  auto fd =
      std::make_unique<Fd>(socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd->get() < 0) return absl::InternalError(absl::StrCat("socket: ", std::strerror(errno)));
  if (connect(fd->get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat("connect ", where, ": ", std::strerror(errno)));
    }
    if (!WaitFor(fd->get(), POLLOUT, deadline)) {
      return absl::DeadlineExceededError(absl::StrCat("connect ", where, ": timed out"));
    }
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(fd->get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      return absl::UnavailableError(absl::StrCat("connect ", where, ": ", std::strerror(err)));
    }
  }
  return fd;
}

// Sends all of `data` on the non-blocking `fd` by `deadline`.
absl::Status SendAll(const Fd& fd, absl::string_view data, Clock::time_point deadline,
                     const std::string& where) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = send(fd.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      if (!WaitFor(fd.get(), POLLOUT, deadline)) {
        return absl::DeadlineExceededError(absl::StrCat("send to ", where, ": timed out"));
      }
    } else {
      return absl::UnavailableError(absl::StrCat("send to ", where, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status TcpConnect(absl::string_view host, int port, std::chrono::milliseconds timeout) {
  absl::StatusOr<std::unique_ptr<Fd>> fd = Connect(host, port, Clock::now() + timeout);
  return fd.status();
}

absl::Status TcpSend(absl::string_view host, int port, absl::string_view data,
                     std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  absl::StatusOr<std::unique_ptr<Fd>> connected = Connect(host, port, deadline);
  if (!connected.ok()) return connected.status();
  return SendAll(**connected, data, deadline, absl::StrCat(host, ":", port));
}

absl::StatusOr<std::string> TcpRequest(absl::string_view host, int port, absl::string_view request,
                                       std::chrono::milliseconds timeout) {
  const Clock::time_point deadline = Clock::now() + timeout;
  const std::string where = absl::StrCat(host, ":", port);
  absl::StatusOr<std::unique_ptr<Fd>> connected = Connect(host, port, deadline);
  if (!connected.ok()) return connected.status();
  const Fd& fd = **connected;
  if (absl::Status sent = SendAll(fd, request, deadline, where); !sent.ok()) return sent;
  shutdown(fd.get(), SHUT_WR);
  std::string reply;
  char buf[4096];
  while (true) {
    ssize_t n = recv(fd.get(), buf, sizeof(buf), 0);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
    } else if (n == 0) {
      return reply;
    } else if (errno == EAGAIN || errno == EINTR) {
      if (!WaitFor(fd.get(), POLLIN, deadline)) {
        return absl::DeadlineExceededError(absl::StrCat("read from ", where, ": timed out"));
      }
    } else {
      return absl::UnavailableError(absl::StrCat("read from ", where, ": ", std::strerror(errno)));
    }
  }
}

std::vector<std::string> SplitAddressList(absl::string_view list) {
  std::vector<std::string> out;
  for (absl::string_view item : absl::StrSplit(list, ',')) {
    item = absl::StripAsciiWhitespace(item);
    if (!item.empty()) out.emplace_back(item);
  }
  return out;
}

bool IsLoopbackListen(absl::string_view listen) {
  absl::string_view host = listen;
  if (size_t colon = host.rfind(':'); colon != absl::string_view::npos) {
    host = host.substr(0, colon);
  }
  if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
  if (host == "localhost") return true;
  const std::string h(host);
  in_addr v4{};
  if (inet_pton(AF_INET, h.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  return inet_pton(AF_INET6, h.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool IsWildcardHost(absl::string_view host) {
  return host.empty() || host == "0.0.0.0" || host == "::" || host == "[::]";
}

std::string AddressOf(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    return host;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const void* raw =
      found->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(found->ai_addr)->sin_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(found->ai_addr)->sin6_addr);
  inet_ntop(found->ai_family, raw, text, sizeof(text));
  freeaddrinfo(found);
  return text;
}

}  // namespace bamctl
