#ifndef BAMCTL_TESTS_UTIL_LOOPBACK_LISTENER_H_
#define BAMCTL_TESTS_UTIL_LOOPBACK_LISTENER_H_

#include <cstdint>

namespace bamctl::testing {

// A listening TCP socket on 127.0.0.1 with a kernel-chosen port, closed by
// the destructor. Connections queue in the backlog until accepted.
class LoopbackListener {
 public:
  LoopbackListener();
  ~LoopbackListener();
  LoopbackListener(const LoopbackListener&) = delete;
  LoopbackListener& operator=(const LoopbackListener&) = delete;

  int fd() const { return fd_; }
  uint32_t port() const { return port_; }

 private:
  int fd_;
  uint32_t port_ = 0;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_LOOPBACK_LISTENER_H_
