#ifndef BAMCTL_TESTS_UTIL_STALL_PROXY_H_
#define BAMCTL_TESTS_UTIL_STALL_PROXY_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "tests/util/loopback_listener.h"

namespace bamctl::testing {

// A TCP proxy on 127.0.0.1 for one connection to `target` ("IP:PORT"),
// which can stop reading what the server sends: a peer that truly does not
// read, as a stopped or wedged process is. A client library in the test's
// own process cannot be that peer, because its transport keeps taking bytes
// off the socket whether or not the test reads them. While held, the
// server's writes back up in its own flow-control window and TCP buffers;
// bytes from the client still go through. Stops and closes both sockets in
// the destructor.
class StallProxy {
 public:
  explicit StallProxy(std::string target);
  ~StallProxy();
  StallProxy(const StallProxy&) = delete;
  StallProxy& operator=(const StallProxy&) = delete;

  // Where clients connect: "127.0.0.1:PORT".
  std::string address() const;

  // Stops reading from the server; Release reads (and forwards) again.
  void Hold() { held_ = true; }
  void Release() { held_ = false; }

  // Bytes forwarded from the server to the client so far.
  int64_t forwarded_to_client() const { return to_client_; }

 private:
  void Run();
  bool Pump(int from, int to, std::atomic<int64_t>* count);

  std::string target_;
  LoopbackListener listener_;
  std::atomic<bool> held_{false};
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> to_client_{0};
  std::thread thread_;
};

}  // namespace bamctl::testing

#endif  // BAMCTL_TESTS_UTIL_STALL_PROXY_H_
