#ifndef BAMCTL_TESTS_UTIL_NOTIFY_SOCKET_H_
#define BAMCTL_TESTS_UTIL_NOTIFY_SOCKET_H_

#include <chrono>
#include <optional>
#include <string>

namespace bamctl::testing {

// What systemd listens on for a Type=notify service: an AF_UNIX datagram
// socket bound at `address` (a path, or "@name" in the abstract namespace),
// closed (and its path removed) by the destructor. Give `address()` to the
// daemon as NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(std::string address);
  ~NotifySocket();
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;

  const std::string& address() const { return address_; }
  // The next datagram, or nullopt after `timeout` without one.
  std::optional<std::string> Receive(std::chrono::milliseconds timeout);

 private:
  std::string address_;
  int fd_ = -1;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_NOTIFY_SOCKET_H_
